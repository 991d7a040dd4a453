package org.atpatch.examples.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import org.junit.jupiter.api.Test;

class CareTest {

    @Test
    void attributionRanksThePlantedCausalUnitFirstAndTheSwarmRepairsIt() {
        try (Model victim = PlantedModels.backdoored()) {
            RepairInput in = BaselineFixture.backdoorInput(victim);
            try (HeadRepair r = HeadRepair.prepare(in, "t", 1000)) {
                double[] effect = Care.backdoor().attribution(r);
                int best = 0;
                for (int u = 1; u < effect.length; u++) {
                    best = effect[u] > effect[best] ? u : best;
                }
                assertEquals(PlantedModels.BACKDOOR_UNIT, best, java.util.Arrays.toString(effect));
                assertEquals(0, effect[4], 1e-9, "the unit the head ignores has no effect");
            }
            double acc = BaselineFixture.accuracy(victim);
            try (Repaired repaired = Care.backdoor().repair(in)) {
                assertTrue(BaselineFixture.asr(repaired.model()) < 0.05, repaired.settings().toString());
                assertTrue(BaselineFixture.accuracy(repaired.model()) >= acc - 0.05, repaired.settings().toString());
            }
        }
    }

    @Test
    void negativeIterationsAndAZeroSampleBudgetAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Care.backdoor().withIterations(-1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Care.fairness().withMaxClean(0));
        assertTrue(e.getMessage().contains("clean sample"), e.getMessage());
    }
}
