package org.atpatch.examples.reproduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import org.atpatch.djl.LabelledData;
import org.junit.jupiter.api.Test;

class TabularFamilyTest {

    private static LabelledData column(float... values) {
        return new LabelledData(values, new int[values.length], new Shape(1));
    }

    @Test
    void aMassPointFallsWhollyBelowItsCut() {
        // 80 % zeros, then 1..20: every quantile up to 7/8 is 0, so the first cut sits between 0 and 1.
        float[] v = new float[100];
        for (int i = 80; i < 100; i++) {
            v[i] = i - 79;
        }
        double[] cuts = TabularFamily.bucketBoundaries(column(v), 0);
        assertEquals(0.5, cuts[0], 1e-9);
        for (int k = 1; k < cuts.length; k++) {
            assertTrue(cuts[k] > cuts[k - 1], "strictly increasing");
        }
    }

    @Test
    void evenlySpreadValuesGetSevenCuts() {
        float[] v = new float[800];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        assertArrayEquals(new double[] {100.5, 200.5, 300.5, 400.5, 500.5, 600.5, 700.5},
                TabularFamily.bucketBoundaries(column(v), 0), 1e-9);
    }

    @Test
    void aConstantFeatureGetsOneCutAboveIt() {
        assertArrayEquals(new double[] {4}, TabularFamily.bucketBoundaries(column(3, 3, 3), 0), 1e-9);
    }

    @Test
    void familiesByDatasetAndName() {
        assertEquals(TabularFamily.TAB_TRANSFORMER, TabularFamily.forDataset("adult"));
        assertEquals(TabularFamily.TABERT, TabularFamily.forDataset("compas"));
        assertEquals(TabularFamily.FT_TRANSFORMER, TabularFamily.forDataset("bank"));
        assertEquals(TabularFamily.TABERT, TabularFamily.byName("TaBERT"));
        assertThrows(IllegalArgumentException.class, () -> TabularFamily.forDataset("iris"));
        assertThrows(IllegalArgumentException.class, () -> TabularFamily.byName("mlp"));
    }

    @Test
    void configurationsSelectInTableOrderAndRejectUnknownNames() {
        assertEquals(7, FairnessConfig.select(java.util.List.of("all")).size());
        assertEquals(java.util.List.of("census-age", "bank-edu"), FairnessConfig.select(
                java.util.List.of("bank-edu", "census-age")).stream().map(FairnessConfig::name).toList());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FairnessConfig.select(java.util.List.of("census-income")));
        assertTrue(e.getMessage().contains("census-income"));
    }
}
