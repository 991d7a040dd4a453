package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.junit.jupiter.api.Test;

/**
 * The target search on the planted victim: it finds the planted target from the blank squares (where
 * the MAD test's verdict is not used) and hands the triggers to the debugging set; the decision and
 * its no-flag policies behave as documented.
 */
class TargetSearchTest {

    private static TargetSearch.Builder quick() {
        return TargetSearch.builder().optSeed(5).optRegionCount(4)
                .optInversion(() -> TriggerInversion.builder().optMaxRounds(40));
    }

    @Test
    void findsThePlantedTargetAndHandsItsTriggerToTheDebuggingSet() {
        PlantedBackdoor v = PlantedBackdoor.get();
        LabelledData pool = v.test.range(0, 300);
        TargetSearch.Result r = quick().build().search(v.model, pool);
        System.out.println("planted victim: " + r);
        assertTrue(r.backdoorFound(), r.toString());
        // On this 16 x 16 grating task a 4 x 4 square is a whole token, a sixteenth of the image, and a clean
        // class can fire from it too: the planted target must be found, other classes may come with it.
        assertTrue(java.util.Arrays.stream(r.targets()).anyMatch(c -> c == PlantedBackdoor.TARGET), r.toString());
        assertTrue(r.firingShare(PlantedBackdoor.TARGET) >= 0.25, r.toString());
        assertTrue(r.evidence() >= r.firingShare(PlantedBackdoor.TARGET), "the evidence is the largest share");
        for (int c : r.targets()) {
            assertTrue(r.selected().stream().anyMatch(t -> t.target() == c), "each target brings its confined trigger");
        }
        assertTrue(r.selected().stream().allMatch(t -> java.util.Arrays.stream(r.targets()).anyMatch(c -> c == t.target())),
                "only targets' triggers are selected: " + r.selected());
        assertTrue(r.seconds() >= r.scan().seconds() - 1e-3, "the search's time holds the scan's and the inversion's");
        DebuggingSet set = BackdoorDebuggingSetBuilder.of(v.model, pool).addTriggers(r).optPairsPerTrigger(32)
                .optCleanOnly(8).build();
        assertEquals(32 * r.selected().size(), set.pairs().size());
        assertTrue(Double.parseDouble(set.provenance().get("seconds.inversion")) >= r.seconds() - 1e-3,
                set.provenance().toString());
    }

    /** Two classes' triggers; class 1's mask is the smaller. A scan over four squares where nothing fired. */
    private static InversionReport twoClasses(double classOneSuccess) {
        Trigger big = Trigger.square(0, 0, 0, 3, 1f, PlantedBackdoor.SHAPE);
        Trigger small = Trigger.square(1, 0, 0, 2, 1f, PlantedBackdoor.SHAPE);
        return InversionReport.analyse(List.of(new InvertedTrigger(big, big.maskL1(), 0.5, false, 10, 1e-3),
                new InvertedTrigger(small, small.maskL1(), classOneSuccess, false, 10, 1e-3)), 2.0, NoFlagPolicy.EMPTY,
                Map.of(), 1.0);
    }

    /** A scan over four squares in which class 1's confined trigger fires everywhere or nowhere. */
    private static RegionInversion.Result scan(InversionReport report, boolean classOneFires) {
        Trigger confined = Trigger.square(1, 8, 8, 2, 0.5f, PlantedBackdoor.SHAPE);
        InvertedTrigger fired = new InvertedTrigger(confined, confined.maskL1(), 0.97, true, 10, 1e-3);
        List<RegionInversion.Region> regions = RegionInversion.grid(PlantedBackdoor.IMAGE, PlantedBackdoor.IMAGE, 8);
        List<RegionInversion.Attempt> attempts = new ArrayList<>();
        for (RegionInversion.Region region : regions) {
            for (InvertedTrigger t : report.triggers()) {
                boolean fires = classOneFires && t.target() == 1;
                attempts.add(new RegionInversion.Attempt(region, fires ? fired : t, fires));
            }
        }
        List<InvertedTrigger> selected = classOneFires ? List.of(fired) : List.of();
        return new RegionInversion.Result(new int[] {0, 1}, regions, attempts, selected, 0.25, 2.0);
    }

    @Test
    void whatASearchThatFindsNothingDoesFollowsThePolicy() {
        InversionReport report = twoClasses(0.5);
        RegionInversion.Result nothing = scan(report, false);
        NoTargetFlaggedException e = assertThrows(NoTargetFlaggedException.class,
                () -> TargetSearch.builder().build().decide(report, nothing, 3.0));
        assertTrue(e.getMessage().contains("no backdoor found"), e.getMessage());
        assertTrue(e.getMessage().contains("class 0: 0, class 1: 0"), "the firing counts are named: " + e.getMessage());
        assertSame(report, e.report(), "the inversion comes with the refusal");

        TargetSearch.Result empty = TargetSearch.builder().optNoFlagPolicy(NoFlagPolicy.EMPTY).build()
                .decide(report, nothing, 3.0);
        assertFalse(empty.backdoorFound());
        assertTrue(empty.selected().isEmpty());
        assertEquals(0, empty.evidence());
        assertEquals(3.0, empty.seconds());

        TargetSearch.Result forced = TargetSearch.builder().optNoFlagPolicy(NoFlagPolicy.USE_SMALLEST_NORM).build()
                .decide(report, nothing, 3.0);
        assertFalse(forced.backdoorFound(), "a forced selection is no finding");
        assertEquals(List.of(report.trigger(1)), forced.selected(), "the smallest mask");

        RegionInversion.Result fires = scan(report, true);
        TargetSearch.Result found = TargetSearch.builder().build().decide(report, fires, 3.0);
        assertTrue(found.backdoorFound());
        assertArrayEquals(new int[] {1}, found.targets());
        assertEquals(1.0, found.firingShare(1));
        assertEquals(0.0, found.firingShare(0));
        assertEquals(1.0, found.evidence());
        assertEquals(fires.selected(), found.selected(), "an unrestricted trigger that does not fire is left out");

        InversionReport firing = twoClasses(0.95);
        TargetSearch.Result both = TargetSearch.builder().build().decide(firing, scan(firing, true), 3.0);
        assertEquals(List.of(fires.selected().get(0).target(), 1), both.selected().stream().map(InvertedTrigger::target)
                .toList());
        assertSame(firing.trigger(1), both.selected().get(1), "the target's unrestricted trigger comes second");
    }

    @Test
    void badSettingsAreRefusedByName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TargetSearch.builder().optRegionCount(0).build())
                .getMessage().contains("region count"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TargetSearch.builder().optMinFiringShare(0).build())
                .getMessage().contains("firing share"));
        assertThrows(IllegalArgumentException.class, () -> TargetSearch.builder().optNoFlagPolicy(null));
        assertThrows(IllegalArgumentException.class, () -> TargetSearch.builder().optInversion(null));
    }
}
