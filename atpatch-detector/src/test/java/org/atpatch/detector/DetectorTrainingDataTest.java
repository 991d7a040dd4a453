package org.atpatch.detector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.atpatch.core.AttentionTrace;
import org.atpatch.core.ColumnLabels;
import org.atpatch.core.LayerAttention;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** Building the detector's data from captured traces, and splitting it by pair. */
class DetectorTrainingDataTest {

    /** A trace of B samples, L layers, 2 heads, N tokens; head h of sample b, layer l holds value v(b, l, h). */
    private static AttentionTrace trace(int b, int l, int n, float offset) {
        List<LayerAttention> layers = new java.util.ArrayList<>();
        for (int layer = 0; layer < l; layer++) {
            float[] v = new float[b * 2 * n * n];
            for (int s = 0; s < b; s++) {
                for (int h = 0; h < 2; h++) {
                    for (int k = 0; k < n * n; k++) {
                        v[((s * 2 + h) * n * n) + k] = offset + s + 10 * layer + h; // head mean = offset + s + 10l + 0.5
                    }
                }
            }
            layers.add(new LayerAttention(layer, Nd4j.create(v, new long[] {b, 2, n, n})));
        }
        return new AttentionTrace(layers, List.of());
    }

    @Test
    void addPairsHeadAveragesLabelsAndGroups() {
        int b = 3;
        int l = 2;
        int n = 4;
        boolean[][] anomalous = new boolean[b][n];
        anomalous[0][1] = true;
        anomalous[1][2] = true;
        anomalous[2][3] = true;
        DetectorTrainingData d = DetectorTrainingData.builder()
                .addPairs(trace(b, l, n, 0), trace(b, l, n, 100), ColumnLabels.sameForAllLayers(anomalous, l))
                .build();
        assertEquals(2 * b * l, d.size());
        assertEquals(n, d.tokens());
        assertEquals(l, d.layers());
        assertEquals(b * l, d.anomalousMaps());
        // Clean sample 1 at layer 1: every value 0 + 1 + 10 + 0.5.
        int cleanS1L1 = b + 1; // clean maps are added layer by layer, then the anomalous ones
        assertEquals(1, d.layer(cleanS1L1));
        assertEquals(11.5f, d.map(cleanS1L1)[5], 1e-6);
        assertArrayEquals(new boolean[n], d.labels(cleanS1L1));
        // Its anomalous counterpart shares the group.
        int anomS1L1 = 2 * b * l / 2 + b + 1;
        assertEquals(d.group(cleanS1L1), d.group(anomS1L1));
        assertTrue(d.labels(anomS1L1)[2]);
        assertEquals(111.5f, d.map(anomS1L1)[0], 1e-6);
        // Units: one per pair and layer, each the clean map and its counterpart.
        assertEquals(b * l, d.pairUnits().size());
        for (int[] u : d.pairUnits()) {
            assertEquals(2, u.length);
        }
    }

    /** Uniform maps (B, 1 head, N, N), except that column {@code hot} of layer {@code hotLayer} gets {@code boost}. */
    private static AttentionTrace uniformWithHotColumn(int b, int l, int n, int hotLayer, int hot, float boost) {
        List<LayerAttention> layers = new java.util.ArrayList<>();
        for (int layer = 0; layer < l; layer++) {
            float[] v = new float[b * n * n];
            java.util.Arrays.fill(v, 1f / n);
            for (int k = 0; layer == hotLayer && k < b * n; k++) {
                v[k * n + hot] += boost;
            }
            layers.add(new LayerAttention(layer, Nd4j.create(v, new long[] {b, 1, n, n})));
        }
        return new AttentionTrace(layers, List.of());
    }

    @Test
    void keepsPairLabelsOnlyWhereTheColumnIsOverAttended() {
        int b = 2;
        int l = 3;
        int n = 5;
        boolean[][] mask = new boolean[b][n];
        mask[0][2] = true;
        mask[1][2] = true;
        mask[1][4] = true; // labelled by the mask, never over-attended
        AttentionTrace clean = uniformWithHotColumn(b, l, n, -1, 0, 0);
        AttentionTrace anomalous = uniformWithHotColumn(b, l, n, 1, 2, 0.2f); // 0.4 vs 0.2 at layer 1 only
        DetectorTrainingData.Builder builder = DetectorTrainingData.builder().optOverAttentionRatio(1.5);
        DetectorTrainingData d = builder.addPairs(clean, anomalous, ColumnLabels.sameForAllLayers(mask, l)).build();
        assertArrayEquals(new long[] {3 * l, 2}, builder.pairLabelCounts());
        for (int i = 0; i < d.size(); i++) {
            boolean[] expected = new boolean[n];
            expected[2] = i >= b * l && d.layer(i) == 1; // anomalous maps follow the clean ones
            assertArrayEquals(expected, d.labels(i), "map " + i + " at layer " + d.layer(i));
        }
        DetectorTrainingData.Builder all = DetectorTrainingData.builder(); // the default keeps every label
        all.addPairs(clean, anomalous, ColumnLabels.sameForAllLayers(mask, l));
        assertArrayEquals(new long[] {3 * l, 3 * l}, all.pairLabelCounts());
        // A higher bar: 0.4 is not 2.5 × 0.2.
        DetectorTrainingData.Builder strict = DetectorTrainingData.builder().optOverAttentionRatio(2.5);
        strict.addPairs(clean, anomalous, ColumnLabels.sameForAllLayers(mask, l));
        assertArrayEquals(new long[] {3 * l, 0}, strict.pairLabelCounts());
        assertThrows(IllegalArgumentException.class, () -> DetectorTrainingData.builder().optOverAttentionRatio(-1));
        assertThrows(IllegalArgumentException.class,
                () -> DetectorTrainingData.builder().optOverAttentionRatio(Double.NaN));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DetectorTrainingData.builder()
                .addPairs(clean, anomalous, ColumnLabels.sameForAllLayers(mask, l - 1)));
        assertTrue(e.getMessage().contains("samples × layers"), e.getMessage());
        // One layer at a time (window maps): the same rule, and mismatched pairs are refused.
        DetectorTrainingData.Builder perLayer = DetectorTrainingData.builder().optOverAttentionRatio(1.5);
        boolean[][] kept = perLayer.confirmOverAttention(clean.layer(1), anomalous.layer(1), mask);
        assertArrayEquals(new boolean[] {false, false, true, false, false}, kept[0]);
        assertArrayEquals(new boolean[] {false, false, true, false, false}, kept[1]);
        assertArrayEquals(new long[] {3, 2}, perLayer.pairLabelCounts());
        e = assertThrows(IllegalArgumentException.class,
                () -> perLayer.confirmOverAttention(clean.layer(1), anomalous.layer(1), new boolean[1][n]));
        assertTrue(e.getMessage().contains("labels for 1"), e.getMessage());
    }

    @Test
    void splitKeepsEveryPairOnOneSide() {
        SyntheticAttention gen = new SyntheticAttention(9, 2, SyntheticAttention.THREE_LAYERS);
        DetectorTrainingData d = gen.pairs(50, 3);
        DetectorTrainingData.Split s = d.split(0.2, 11);
        assertEquals(d.size(), s.train().size() + s.validation().size());
        assertEquals(10 * 2 * 3, s.validation().size());
        Set<Long> trainGroups = new HashSet<>();
        for (int i = 0; i < s.train().size(); i++) {
            trainGroups.add(s.train().group(i));
        }
        for (int i = 0; i < s.validation().size(); i++) {
            assertTrue(!trainGroups.contains(s.validation().group(i)), "a pair leaked into both sides");
        }
        assertEquals(d.split(0.2, 11).validation().group(0), s.validation().group(0), "split is seeded");
        assertEquals(null, d.split(0, 1).validation());
    }

    @Test
    void rejectsInconsistentMaps() {
        DetectorTrainingData.Builder b = DetectorTrainingData.builder();
        b.addMap(new float[9], 0, new boolean[3], 0);
        IllegalArgumentException n = assertThrows(IllegalArgumentException.class,
                () -> b.addMap(new float[16], 0, new boolean[4], 1));
        assertTrue(n.getMessage().contains("N = 4"), n.getMessage());
        float[] nan = new float[9];
        nan[4] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.addMap(nan, 0, new boolean[3], 2));
        assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.addMap(new float[8], 0, new boolean[3], 2));
        assertThrows(IllegalArgumentException.class, () -> DetectorTrainingData.builder().build());
        assertThrows(IllegalArgumentException.class, () -> DetectorTrainingData.builder().optLayers(1)
                .addMap(new float[4], 1, new boolean[2], 0).build());
    }
}
