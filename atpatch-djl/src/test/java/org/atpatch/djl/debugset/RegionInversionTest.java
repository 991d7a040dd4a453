package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.RegionInversion.Region;
import org.junit.jupiter.api.Test;

/** The region scan: grid and blankness ranking, candidate choice, and selection on the planted victim. */
class RegionInversionTest {

    @Test
    void gridTilesTheImageAndSupportsCoverOnlyTheirRegion() {
        List<Region> g = RegionInversion.grid(8, 12, 4);
        assertEquals(6, g.size());
        assertEquals(new Region(4, 8, 4, 4), g.get(5));
        float[] s = new Region(4, 8, 4, 4).support(8, 12);
        int ones = 0;
        for (int i = 0; i < s.length; i++) {
            boolean inside = i / 12 >= 4 && i % 12 >= 8;
            assertEquals(inside ? 1f : 0f, s[i], "pixel " + i);
            ones += (int) s[i];
        }
        assertEquals(16, ones);
        assertEquals(9, RegionInversion.grid(10, 10, 3).size(), "squares that would cross the border are left out");
        assertThrows(IllegalArgumentException.class, () -> RegionInversion.grid(8, 8, 9));
        assertThrows(IllegalArgumentException.class, () -> new Region(6, 0, 4, 4).support(8, 8));
        assertThrows(IllegalArgumentException.class, () -> new Region(-1, 0, 4, 4));
    }

    @Test
    void blankestRanksRegionsByPixelVariance() {
        // Two channels, 4 × 4, four 2 × 2 regions: region 3 constant, region 1 varies in channel 1 only,
        // regions 0 and 2 vary in both channels, region 0 more.
        int n = 50;
        float[] x = new float[n * 2 * 16];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < 2; ch++) {
                for (int p = 0; p < 16; p++) {
                    int row = p / 4;
                    int col = p % 4;
                    int region = (row / 2) * 2 + col / 2;
                    float v = switch (region) {
                        case 0 -> r.nextFloat();
                        case 1 -> ch == 1 ? 0.2f * r.nextFloat() : 0.5f;
                        case 2 -> 0.5f * r.nextFloat();
                        default -> 0.7f;
                    };
                    x[(i * 2 + ch) * 16 + p] = v;
                }
            }
        }
        LabelledData data = new LabelledData(x, new int[n], new Shape(2, 4, 4));
        List<Region> grid = RegionInversion.grid(4, 4, 2);
        assertEquals(List.of(grid.get(3), grid.get(1), grid.get(2), grid.get(0)),
                RegionInversion.blankest(grid, data, 4));
        assertEquals(List.of(grid.get(3), grid.get(1)), RegionInversion.blankest(grid, data, 2));
    }

    @Test
    void candidatesAreTheFlaggedThenTheSmallestNormClasses() {
        double[] l1 = {9, 2, 8, 7.5, 8.5, 9.5};
        List<InvertedTrigger> ts = new ArrayList<>();
        for (int c = 0; c < l1.length; c++) {
            float[] mask = new float[16];
            ts.add(new InvertedTrigger(Trigger.of(c, mask, new float[16], new Shape(1, 4, 4)), l1[c], 1, true, 1, 1));
        }
        InversionReport flagged = InversionReport.analyse(ts, 2, NoFlagPolicy.EMPTY, Map.of(), 0);
        assertArrayEquals(new int[] {1}, flagged.flaggedClasses());
        assertArrayEquals(new int[] {1, 3, 2}, RegionInversion.candidatesOf(flagged, 3));
        assertArrayEquals(new int[] {1}, RegionInversion.candidatesOf(flagged, 0));
        double[] flat = {5, 5.1, 5.2, 5.3, 5.4, 5.5};
        for (int c = 0; c < flat.length; c++) {
            ts.set(c, new InvertedTrigger(ts.get(c).trigger(), flat[c], 1, true, 1, 1));
        }
        InversionReport none = InversionReport.analyse(ts, 2, NoFlagPolicy.EMPTY, Map.of(), 0);
        assertArrayEquals(new int[] {0, 1}, RegionInversion.candidatesOf(none, 2));
        assertThrows(IllegalArgumentException.class, () -> RegionInversion.candidatesOf(none, 0));
    }

    @Test
    void selectsThePlantedTargetFromRegionsItFiresInAndNotACleanClass() {
        PlantedBackdoor v = PlantedBackdoor.get();
        LabelledData pool = v.test.range(0, 300);
        int p = PlantedBackdoor.PATCH;
        // The trigger's own patch, its neighbour and the opposite corner.
        List<Region> regions = List.of(new Region(12, 12, p, p), new Region(12, 8, p, p), new Region(0, 0, p, p));
        RegionInversion scan = RegionInversion.builder().optRegions(regions)
                .optInversion(() -> TriggerInversion.builder().optMaxRounds(40).optSeed(5)).build();
        RegionInversion.Result r = scan.invert(v.model, pool, PlantedBackdoor.TARGET, 0);
        System.out.println("planted victim region scan: " + r);
        assertEquals(6, r.attempts().size());
        assertTrue(r.firedRegions(PlantedBackdoor.TARGET) >= 2, r.toString());
        assertEquals(0, r.firedRegions(0), r.toString());
        assertArrayEquals(new int[] {PlantedBackdoor.TARGET}, r.selectedClasses());
        InvertedTrigger best = r.selected().get(0);
        for (RegionInversion.Attempt a : r.attempts()) {
            if (a.fired() && a.trigger().target() == PlantedBackdoor.TARGET) {
                assertTrue(best.maskL1() <= a.trigger().maskL1(), "the lowest-L1 firing trigger is kept: " + r);
            }
        }
        Region where = r.attempts().stream().filter(a -> a.trigger() == best).findFirst().orElseThrow().region();
        float[] support = where.support(PlantedBackdoor.IMAGE, PlantedBackdoor.IMAGE);
        float[] mask = best.mask();
        for (int i = 0; i < mask.length; i++) {
            if (support[i] == 0f) {
                assertEquals(0f, mask[i], "pixel " + i + " lies outside " + where);
            }
        }
        // A debugging set takes the selection and counts the scan's time.
        DebuggingSet set = BackdoorDebuggingSetBuilder.of(v.model, pool).addTriggers(r).optPairsPerTrigger(32)
                .optCleanOnly(8).build();
        assertEquals(32, set.pairs().size());
        assertTrue(Double.parseDouble(set.provenance().get("seconds.inversion")) >= r.seconds() - 1e-3,
                set.provenance().toString());
        // With the unrestricted inversion as fallback: the selection when there is one, else the
        // inversion's triggers; the scan's time counts either way.
        List<InvertedTrigger> perClass = new java.util.ArrayList<>();
        for (RegionInversion.Attempt a : r.attempts()) {
            if (perClass.stream().noneMatch(t -> t.target() == a.trigger().target())) {
                perClass.add(a.trigger());
            }
        }
        InversionReport unrestricted = InversionReport.analyse(perClass, 2.0, NoFlagPolicy.USE_SMALLEST_NORM,
                java.util.Map.of(), 0);
        assertEquals(32, BackdoorDebuggingSetBuilder.of(v.model, pool).addTriggers(r, unrestricted).optPairsPerTrigger(32)
                .optCleanOnly(8).build().pairs().size(), "the scan's selection only");
        RegionInversion.Result none = new RegionInversion.Result(r.candidates(), r.regions(), r.attempts(), List.of(),
                r.minFiringShare(), r.seconds());
        DebuggingSet fallback = BackdoorDebuggingSetBuilder.of(v.model, pool).addTriggers(none, unrestricted)
                .optPairsPerTrigger(32).optCleanOnly(8).build();
        DebuggingSet direct = BackdoorDebuggingSetBuilder.of(v.model, pool).addTriggers(unrestricted.selected())
                .optPairsPerTrigger(32).optCleanOnly(8).build();
        assertTrue(!direct.pairs().isEmpty(), "the inversion's trigger fires on the pool");
        assertEquals(direct.pairs().size(), fallback.pairs().size());
        assertTrue(Double.parseDouble(fallback.provenance().get("seconds.inversion")) >= r.seconds() - 1e-3);
    }

    @Test
    void rejectsBadSettingsWithClearMessages() {
        PlantedBackdoor v = PlantedBackdoor.get();
        RegionInversion scan = RegionInversion.builder().build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scan.invert(v.model, v.test));
        assertTrue(e.getMessage().contains("candidate"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> scan.invert(v.model, v.test, 1, 1));
        assertTrue(e.getMessage().contains("repeat"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> RegionInversion.builder().optRegionSize(32).build().invert(v.model, v.test, 1));
        assertTrue(e.getMessage().contains("region size 32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RegionInversion.builder().optMinSuccess(0));
        assertTrue(e.getMessage().contains("(0, 1]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RegionInversion.builder().optMinFiringShare(1.5));
        assertThrows(IllegalArgumentException.class, () -> RegionInversion.builder().optRegions(List.of()));
        assertThrows(IllegalArgumentException.class, () -> RegionInversion.builder().optRegionCount(0));
        assertThrows(IllegalArgumentException.class, () -> scan.invert(v.model, v.test, (InversionReport) null));
    }
}
