package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.atpatch.core.ImagePatchLayout;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.model.VisionTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trigger inversion on the planted victim (the flagged target and its mask) and its input validation. */
class TriggerInversionTest {

    @Test
    void inversionFlagsThePlantedTargetAndLocatesItsTrigger(@TempDir Path dir) throws Exception {
        PlantedBackdoor v = PlantedBackdoor.get();
        assertTrue(v.cleanAccuracy >= 0.95, "victim clean accuracy " + v.cleanAccuracy);
        assertTrue(v.attackSuccess >= 0.9, "victim attack success " + v.attackSuccess);

        InversionReport report = TriggerInversion.builder().build().invert(v.model, v.test);
        System.out.println("planted-backdoor inversion: " + report);
        int t = PlantedBackdoor.TARGET;
        assertTrue(report.anomalyIndex(t) > 2, "anomaly index of the target " + report.anomalyIndex(t));
        assertEquals(t, report.flaggedClasses()[0], "flagged " + Arrays.toString(report.flaggedClasses()));
        assertEquals(InversionReport.Outcome.FLAGGED, report.outcome());
        assertTrue(report.trigger(t).attackSuccess() >= 0.9, "inverted trigger success " + report.trigger(t).attackSuccess());
        for (int c = 0; c < PlantedBackdoor.CLASSES; c++) {
            if (c != t) {
                assertTrue(report.maskL1(c) > 2 * report.maskL1(t), "class " + c + " mask L1 " + report.maskL1(c));
            }
        }

        // Most of the target's mask mass lies in the trigger's patch (rows and columns 12–15).
        ImagePatchLayout layout = ((VisionTransformer) v.model.getBlock()).tokenLayout();
        float[] mask = report.trigger(t).mask();
        double inside = OverlapRule.regionMass(mask, PlantedBackdoor.IMAGE, layout.region(PlantedBackdoor.TRIGGER_COLUMN));
        double total = report.maskL1(t);
        System.out.printf(Locale.ROOT, "target mask: L1 %.2f, %.2f of it in the trigger's patch%n", total, inside);
        assertTrue(inside >= 0.6 * total, "mask mass in the trigger's patch " + inside + " of " + total);
        // Its strongest pixel lies in that patch too. (The inverted pixels need not be the trigger's own:
        // the patch embedding is linear, and a sparser pattern in the same patch makes a similar token.)
        int best = 0;
        for (int i = 1; i < mask.length; i++) {
            best = mask[i] > mask[best] ? i : best;
        }
        assertEquals(PlantedBackdoor.TRIGGER_COLUMN, layout.columnOf(best / PlantedBackdoor.IMAGE, best % PlantedBackdoor.IMAGE),
                "strongest mask pixel " + best);

        // The labelled columns of the debugging set include the trigger's token column.
        DebuggingSet set = BackdoorDebuggingSetBuilder.of(v.model, v.test).addTriggers(report.selected())
                .optPairsPerTrigger(64).optCleanOnly(16).build();
        assertEquals(64, set.pairs().size());
        boolean[] columns = set.pairs().get(0).columns();
        assertTrue(columns[PlantedBackdoor.TRIGGER_COLUMN], "labelled columns " + set.provenance().get("trigger0"));
        assertTrue(set.provenance().get("trigger0").contains("target=" + t), set.provenance().toString());

        report.writeTo(dir);
        assertTrue(Files.size(dir.resolve("class-" + t + "-mask.png")) > 0);
        assertTrue(Files.readString(dir.resolve("summary.json")).contains("\"flagged\""));
    }

    @Test
    void invertsOnlyTheRequestedClasses() {
        PlantedBackdoor v = PlantedBackdoor.get();
        InversionReport r = TriggerInversion.builder().optClasses(PlantedBackdoor.TARGET, 0)
                .optMaxRounds(3).optNoFlagPolicy(NoFlagPolicy.EMPTY).build().invert(v.model, v.test.range(0, 200));
        assertEquals(2, r.triggers().size());
        assertEquals(PlantedBackdoor.TARGET, r.triggers().get(0).target());
        assertEquals(6, r.triggers().get(0).steps(), "3 rounds of 2 mini-batches");
    }

    @Test
    void aMaskSupportKeepsTheTriggerInsideOnePatch() {
        PlantedBackdoor v = PlantedBackdoor.get();
        int size = PlantedBackdoor.IMAGE;
        float[] lastPatch = new float[size * size];
        for (int r = 0; r < PlantedBackdoor.PATCH; r++) {
            for (int c = 0; c < PlantedBackdoor.PATCH; c++) {
                lastPatch[(size - 1 - r) * size + (size - 1 - c)] = 1f;
            }
        }
        LabelledData pool = v.test.range(0, 300);
        InversionReport r = TriggerInversion.builder().optClasses(PlantedBackdoor.TARGET, 0).optMaskSupport(lastPatch)
                .optMaxRounds(40).optNoFlagPolicy(NoFlagPolicy.EMPTY).optSeed(5).build().invert(v.model, pool);
        float[] mask = r.trigger(PlantedBackdoor.TARGET).mask();
        for (int i = 0; i < mask.length; i++) {
            if (lastPatch[i] == 0f) {
                assertEquals(0f, mask[i], "pixel " + i + " lies outside the support");
            }
        }
        assertTrue(r.trigger(PlantedBackdoor.TARGET).attackSuccess() >= 0.9,
                "the trigger's own patch carries it: " + r.trigger(PlantedBackdoor.TARGET));
        assertTrue(r.trigger(PlantedBackdoor.TARGET).maskL1() < r.trigger(0).maskL1() / 2,
                "inside one patch the target needs a much smaller mask than a clean class: " + r.triggers());
        assertEquals("16", r.configuration().get("maskSupportPixels"), r.configuration().toString());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TriggerInversion.builder().optMaskSupport(new float[size * size]));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        float[] half = lastPatch.clone();
        half[0] = 0.5f;
        e = assertThrows(IllegalArgumentException.class, () -> TriggerInversion.builder().optMaskSupport(half));
        assertTrue(e.getMessage().contains("only 0 and 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TriggerInversion.builder().optMaskSupport(new float[] {1f})
                .build().invert(v.model, pool));
        assertTrue(e.getMessage().contains("1 values") && e.getMessage().contains("16 × 16"), e.getMessage());
    }

    @Test
    void isDeterministicForASeed() {
        PlantedBackdoor v = PlantedBackdoor.get();
        // Two clean classes: the MAD test flags neither; the reports are compared, not the outcome.
        TriggerInversion inv = TriggerInversion.builder().optClasses(1, 3).optMaxRounds(4).optSeed(9)
                .optNoFlagPolicy(NoFlagPolicy.EMPTY).build();
        LabelledData few = v.test.range(0, 300);
        InversionReport a = inv.invert(v.model, few);
        InversionReport b = inv.invert(v.model, few);
        for (int c : new int[] {1, 3}) {
            assertTrue(Arrays.equals(a.trigger(c).mask(), b.trigger(c).mask()), "class " + c);
            assertTrue(Arrays.equals(a.trigger(c).pattern(), b.trigger(c).pattern()), "class " + c);
        }
    }

    @Test
    void rejectsBadInputsWithClearMessages() {
        PlantedBackdoor v = PlantedBackdoor.get();
        TriggerInversion inv = TriggerInversion.builder().build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TriggerInversion.builder().optClasses(7).build().invert(v.model, v.test));
        assertTrue(e.getMessage().contains("class 7") && e.getMessage().contains("[0, 6)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> inv.invert(v.model, new LabelledData(new float[0], new int[0], PlantedBackdoor.SHAPE)));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> inv.invert(v.model, new LabelledData(new float[256], new int[1], new Shape(256))));
        assertTrue(e.getMessage().contains("(C, H, W)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> inv.invert(v.model, new LabelledData(new float[64], new int[1], new Shape(1, 8, 8))));
        assertTrue(e.getMessage().contains("rejected inputs shaped (1, 1, 8, 8)"), e.getMessage());
        float[] nan = v.test.range(0, 2).inputs().clone();
        nan[3] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class,
                () -> inv.invert(v.model, new LabelledData(nan, new int[2], PlantedBackdoor.SHAPE)));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> inv.invert(null, v.test));
        assertThrows(IllegalArgumentException.class, () -> TriggerInversion.builder().optClasses(1, 1));
        assertThrows(IllegalArgumentException.class, () -> TriggerInversion.builder().optBatchSize(0).build());
        assertThrows(IllegalArgumentException.class, () -> TriggerInversion.builder().optCostMultipliers(1, 2).build());
        assertThrows(IllegalArgumentException.class, () -> TriggerInversion.builder().optSuccessThreshold(1.5).build());
        assertThrows(IllegalArgumentException.class, () -> TriggerInversion.builder().optPatternRange(1, 0).build());
    }
}
