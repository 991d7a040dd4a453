package org.atpatch.examples.baseline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import org.atpatch.djl.LabelledData;
import org.junit.jupiter.api.Test;

class IdnnTest {

    @Test
    void isolatesThePlantedBackdoorUnitAlone() {
        try (Model victim = PlantedModels.backdoored();
                HeadRepair r = HeadRepair.prepare(BaselineFixture.backdoorInput(victim), "t", 1000)) {
            Idnn.Choice c = Idnn.of(20, 1000).choose(r);
            assertEquals(PlantedModels.BACKDOOR_UNIT, c.ranking()[0]);
            assertEquals(1, c.k(), "one unit already takes the ASR to its minimum");
            // Isolated at its clean value 0.1, the unit makes each stamped input behave as its clean copy: the
            // ASR falls to the share of clean non-target inputs the victim itself sends to the target.
            LabelledData cleanCopies = BaselineFixture.nonTarget(PlantedModels.data(400, 1, false));
            double floor = org.atpatch.core.Metrics.accuracy(org.atpatch.djl.Predictions.classes(victim, cleanCopies, 128),
                    cleanCopies.labels());
            assertTrue(c.before() > 0.99, "before: " + c.before());
            assertEquals(floor, c.after(), 1e-9);
            assertTrue(floor < 0.2, "floor " + floor);
        }
    }

    @Test
    void isolationFixesTheUnitAtItsCleanMean() {
        try (Model victim = PlantedModels.backdoored();
                Repaired repaired = Idnn.of(20, 1000).repair(BaselineFixture.backdoorInput(victim))) {
            // h3 is 0.1 on every clean input, so isolated at its mean a stamped input behaves as its clean copy.
            LabelledData stamped = PlantedModels.data(50, 9, true);
            LabelledData clean = PlantedModels.data(50, 9, false);
            float[][] zs = ModelOutputs.logits(repaired.model(), stamped, 64);
            float[][] zc = ModelOutputs.logits(victim, clean, 64);
            for (int i = 0; i < zs.length; i++) {
                assertArrayEquals(zc[i], zs[i], 1e-4f);
            }
        }
    }

    @Test
    void badBudgetsAndEmptyCleanSetsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Idnn.of(0, 10));
        try (Model victim = PlantedModels.backdoored()) {
            LabelledData empty = BaselineFixture.CLEAN.range(0, 0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RepairInput(victim,
                    PlantedModels::backdoorArchitecture, empty, new Defect.Backdoor(BaselineFixture.STAMPED_EVAL)));
            assertTrue(e.getMessage().contains("empty clean set"), e.getMessage());
        }
    }
}
