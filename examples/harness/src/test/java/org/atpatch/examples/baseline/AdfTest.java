package org.atpatch.examples.baseline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import java.util.List;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.Predictions;
import org.junit.jupiter.api.Test;

class AdfTest {

    private static final Adf SMALL = Adf.builder().optSearch(40, 10, 50).optRetraining(2, 1e-2f, 16).build();

    @Test
    void findsDiscriminatoryInstancesWhereTheProtectedAttributeDecides() {
        try (Model biased = PlantedModels.linear(2, 4.5f)) {
            LabelledData seeds = PlantedModels.fairnessSeeds(60, 5);
            Adf.Found found = SMALL.search(biased, seeds, BaselineFixture.flips());
            // Every seed but the one at x1 = 4 starts below the discriminatory region x1 >= 3: the global
            // phase must climb x1 to reach it.
            assertTrue(found.global().size() >= 10, "global IDIs: " + found.global().size());
            assertTrue(!found.local().isEmpty(), "the local walk over x2 finds more");
            for (float[] x : found.all()) {
                assertTrue(x[1] >= 3, "an IDI lies where x0 decides: " + java.util.Arrays.toString(x));
                float[] other = x.clone();
                other[0] = 1 - x[0];
                int[] p = Predictions.classes(biased, LabelledData.unlabelled(List.of(x, other), seeds.sampleShape()), 2);
                assertTrue(p[0] != p[1], "flipping x0 changes the prediction");
            }
        }
    }

    @Test
    void findsNoneOnAModelThatIgnoresTheProtectedAttribute() {
        try (Model fair = PlantedModels.linear(0, 2.5f)) {
            Adf.Found found = SMALL.search(fair, PlantedModels.fairnessSeeds(60, 5), BaselineFixture.flips());
            assertEquals(0, found.all().size());
        }
    }

    @Test
    void retrainsACopyAndLeavesTheVictimAlone() {
        try (Model biased = PlantedModels.linear(2, 4.5f)) {
            float[][] before = PlantedModels.weights(biased);
            RepairInput in = new RepairInput(biased, PlantedModels::fairnessArchitecture, PlantedModels.fairnessSeeds(60, 5),
                    new Defect.Unfairness(BaselineFixture.flips()));
            try (Repaired r = SMALL.repair(in)) {
                assertTrue(r.settings().get("IDIs global / local").matches("[1-9]\\d* / \\d+"), r.settings().toString());
            }
            float[][] after = PlantedModels.weights(biased);
            for (int i = 0; i < before.length; i++) {
                assertArrayEquals(before[i], after[i]);
            }
            RepairInput backdoor = new RepairInput(biased, PlantedModels::fairnessArchitecture, in.clean(),
                    new Defect.Backdoor(in.clean()));
            assertThrows(IllegalArgumentException.class, () -> SMALL.repair(backdoor));
        }
    }
}
