package org.atpatch.examples.baseline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import org.junit.jupiter.api.Test;

class FinePruningTest {

    @Test
    void prunesTheDormantBackdoorUnitAndStopsBeforeTheAccuracyThreshold() {
        try (Model victim = PlantedModels.backdoored()) {
            float[][] before = PlantedModels.weights(victim);
            assertTrue(BaselineFixture.asr(victim) > 0.99, "the planted backdoor fires");
            double acc = BaselineFixture.accuracy(victim);
            try (HeadRepair r = HeadRepair.prepare(BaselineFixture.backdoorInput(victim), "t", Integer.MAX_VALUE)) {
                FinePruning.Pruned p = FinePruning.builder().build().prune(r);
                // The backdoor unit (clean mean 0.1) goes first; the next, a class unit, would cost a third of the
                // accuracy, past the 10 % relative threshold.
                assertArrayEquals(new int[] {PlantedModels.BACKDOOR_UNIT}, p.units());
                assertTrue(p.after() >= 0.9 * p.before(), p.toString());
            }
            try (Repaired repaired = FinePruning.builder().optFineTuning(1, 1e-3f, 32).build()
                    .repair(BaselineFixture.backdoorInput(victim))) {
                assertTrue(BaselineFixture.asr(repaired.model()) < 0.05, "ASR " + BaselineFixture.asr(repaired.model()));
                assertTrue(BaselineFixture.accuracy(repaired.model()) >= 0.9 * acc);
                float[] head = HeadLayer.of(repaired.model()).weight();
                for (int k = 0; k < 3; k++) {
                    assertEquals(0f, head[k * 5 + PlantedModels.BACKDOOR_UNIT], "the pruned column stays zero after fine-tuning");
                }
                assertTrue(repaired.settings().get("pruned").startsWith("1 units"), repaired.settings().toString());
            }
            float[][] after = PlantedModels.weights(victim);
            for (int i = 0; i < before.length; i++) {
                assertArrayEquals(before[i], after[i], "the victim's parameters are untouched");
            }
        }
    }

    @Test
    void pruningEveryUnitSkipsFineTuningInsteadOfFailing() {
        // A floor of 1 % of the clean accuracy lets pruning remove every unit; the head then reads a constant.
        try (Model victim = PlantedModels.backdoored();
                Repaired repaired = FinePruning.builder().optMaxRelativeDrop(0.99).optFineTuning(1, 1e-3f, 32).build()
                        .repair(BaselineFixture.backdoorInput(victim))) {
            int units = HeadLayer.of(victim).units();
            assertTrue(repaired.settings().get("pruned").startsWith(units + " units"), repaired.settings().toString());
            assertEquals("skipped: every unit pruned, the head reads a constant", repaired.settings().get("fine-tuning"));
            assertTrue(BaselineFixture.accuracy(repaired.model()) >= 0, "the repaired model still predicts");
        }
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> FinePruning.builder().optMaxRelativeDrop(0).build());
        assertThrows(IllegalArgumentException.class, () -> FinePruning.builder().optStepShare(0).build());
        assertThrows(IllegalArgumentException.class, () -> FinePruning.builder().optFineTuning(1, 0f, 8).build());
    }
}
