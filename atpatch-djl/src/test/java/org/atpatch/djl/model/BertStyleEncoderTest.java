package org.atpatch.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.atpatch.core.AnomalySet;
import org.atpatch.core.BenignStatistics;
import org.atpatch.djl.PatchReport;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.interception.AttentionInterceptor;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.interception.Interception;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.djl.patch.PatchRules;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BertStyleEncoderTest {

    private static final int VOCAB = 30;
    private static final int MAX = 12;
    private static final int DEPTH = 2;
    private static final int HEADS = 2;
    private static Model model;

    @BeforeAll
    static void build() {
        Engine.getInstance().setRandomSeed(3);
        model = Model.newInstance("bert-style-test");
        BertStyleEncoder bert = BertStyleEncoder.builder().setVocabularySize(VOCAB).setMaxLength(MAX)
                .setDepth(DEPTH).setWidth(16).setHeads(HEADS).setClasses(2).build();
        model.setBlock(bert);
        bert.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, MAX));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** [CLS] words [SEP] padded with [PAD] to {@code length}. */
    private static float[] ids(int length, int... words) {
        float[] x = new float[length];
        x[0] = BertStyleEncoder.CLS;
        for (int i = 0; i < words.length; i++) {
            x[i + 1] = words[i];
        }
        x[words.length + 1] = BertStyleEncoder.SEP;
        return x;
    }

    private static float[] logits(NDManager m, float[][] rows) {
        float[] flat = new float[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, flat, r * rows[0].length, rows[0].length);
        }
        NDArray x = m.create(flat, new Shape(rows.length, rows[0].length));
        return model.getBlock().forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow().toFloatArray();
    }

    @Test
    void paddingColumnsGetExactlyZeroAttentionInEveryLayerAndHead() {
        try (NDManager m = model.getNDManager().newSubManager()) {
            NDArray x = m.create(new float[][] {ids(MAX, 5, 6, 7), ids(MAX, 8, 9, 10, 11, 12, 13, 14)});
            var trace = AttentionRecorder.record(model, x, false);
            assertEquals(DEPTH, trace.depth());
            for (int l = 0; l < DEPTH; l++) {
                float[] maps = trace.layer(l).maps().data().asFloat(); // (2, H, N, N)
                for (int s = 0; s < 2; s++) {
                    int real = s == 0 ? 5 : 9; // CLS + words + SEP
                    for (int h = 0; h < HEADS; h++) {
                        for (int q = 0; q < MAX; q++) {
                            double row = 0;
                            for (int k = 0; k < MAX; k++) {
                                float a = maps[((s * HEADS + h) * MAX + q) * MAX + k];
                                row += a;
                                if (k >= real) {
                                    assertEquals(0f, a, "layer " + l + " sample " + s + " query " + q + " padding key " + k);
                                } else {
                                    assertTrue(a > 0f, "a real key gets some attention");
                                }
                            }
                            assertEquals(1.0, row, 1e-5);
                        }
                    }
                }
            }
        }
    }

    @Test
    void logitsDoNotDependOnHowMuchPaddingTheBatchHas() {
        try (NDManager m = model.getNDManager().newSubManager()) {
            float[] alone = logits(m, new float[][] {ids(5, 5, 6, 7)});
            float[] padded = Arrays.copyOf(logits(m, new float[][] {ids(MAX, 5, 6, 7), ids(MAX, 8, 9, 10, 11, 12, 13, 14)}), 2);
            float[] longer = Arrays.copyOf(logits(m, new float[][] {ids(8, 5, 6, 7)}), 2);
            assertArrayEquals(alone, padded, 1e-5f);
            assertArrayEquals(alone, longer, 1e-5f);
            float[] other = logits(m, new float[][] {ids(MAX, 5, 6, 9)});
            assertFalse(Math.abs(other[0] - alone[0]) < 1e-6 && Math.abs(other[1] - alone[1]) < 1e-6,
                    "a different word changes the logits (the test can see a change)");
        }
    }

    @Test
    void aForwardLeavesNothingInTheModelsManager() {
        int before = model.getNDManager().getManagedArrays().size();
        try (NDManager m = model.getNDManager().newSubManager()) {
            logits(m, new float[][] {ids(MAX, 5, 6, 7), ids(MAX, 8, 9)});
        }
        assertEquals(before, model.getNDManager().getManagedArrays().size(), "every intermediate lives in the batch's manager");
    }

    @Test
    void layersArePostNormAndBothInterceptionPointsExist() {
        AttentionLayers layers = AttentionLayers.of(model.getBlock());
        assertEquals(DEPTH, layers.attention().size());
        assertEquals(DEPTH, layers.tokenStatePoints().size());
        assertTrue(layers.hasTokenStatePoints());
        // Post-norm: the states entering layer 1 are layer 0's output, which ends in a LayerNorm with
        // gamma 1 and beta 0 at initialisation: every token has mean 0 and variance 1 (a pre-norm layer
        // ends in a residual add and would not).
        List<float[]> states = new ArrayList<>();
        AttentionInterceptor spy = new AttentionInterceptor() {
            @Override
            public NDArray onTokenStates(int layer, NDArray s) {
                if (layer == 1) {
                    states.add(s.toFloatArray());
                }
                return s;
            }
        };
        try (NDManager m = model.getNDManager().newSubManager(); Interception.Scope ignored = Interception.open(spy)) {
            logits(m, new float[][] {ids(MAX, 5, 6, 7)});
        }
        float[] s = states.get(0);
        for (int t = 0; t < MAX; t++) {
            double mean = 0;
            double sq = 0;
            for (int w = 0; w < 16; w++) {
                mean += s[t * 16 + w] / 16.0;
            }
            for (int w = 0; w < 16; w++) {
                sq += Math.pow(s[t * 16 + w] - mean, 2) / 16.0;
            }
            assertEquals(0, mean, 1e-4, "token " + t + " mean");
            assertEquals(1, sq, 1e-3, "token " + t + " variance");
        }
    }

    /** A detector that says every column of every map is anomalous. */
    private static ColumnDetector everything() {
        return new ColumnDetector() {
            @Override
            public NDArray detect(NDArray maps, int layer) {
                return maps.getManager().ones(maps.getShape().slice(0, 2)).mul(0.99f);
            }
        };
    }

    @Test
    void paddingClsAndSepAreNeverFlaggedOrPatched() {
        try (NDManager m = model.getNDManager().newSubManager()) {
            NDArray x = m.create(new float[][] {ids(MAX, 5, 6, 7), ids(MAX, 8, 9, 10, 11, 12, 13, 14)});
            BenignStatistics stats = BenignStatistics.empty(DEPTH, HEADS, MAX, 16);
            AttentionRecorder.record(model, x, true).accumulateInto(stats);
            for (var mode : org.atpatch.djl.PatchMode.values()) {
                try (PatchedModel pm = PatchedModel.builder().setModel(model).setDetector(everything())
                        .setBenignStatistics(stats).optPatchRule(PatchRules.gamma()).optMode(mode).build()) {
                    NDArray shorter = m.create(new float[][] {ids(MAX - 2, 5, 6, 7)});
                    var e = assertThrows(IllegalArgumentException.class, () -> pm.predict(shorter));
                    assertTrue(e.getMessage().contains("(batch, " + MAX + ")"), "a patched model needs N = max length: "
                            + e.getMessage());
                    PatchResult r = pm.predictWithReport(x);
                    int[][] words = {{1, 2, 3}, {1, 2, 3, 4, 5, 6, 7}};
                    for (int s = 0; s < 2; s++) {
                        PatchReport rep = r.reports().get(s);
                        assertTrue(rep.patched());
                        for (AnomalySet.LayerFlags f : rep.flags().layers()) {
                            assertArrayEquals(words[s], f.columns(), mode + ": sample " + s + " layer " + f.layer()
                                    + " flags only its words");
                        }
                    }
                }
            }
        }
    }

    @Test
    void noPatchRuleMovesAttentionOntoPadding() {
        try (NDManager m = model.getNDManager().newSubManager()) {
            NDArray x = m.create(new float[][] {ids(MAX, 5, 6, 7), ids(MAX, 8, 9, 10, 11, 12, 13, 14)});
            BenignStatistics stats = BenignStatistics.empty(DEPTH, HEADS, MAX, 16);
            // Q from texts of every length, so Q itself has mass on columns that are padding here.
            AttentionRecorder.record(model, m.create(new float[][] {ids(MAX, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14)}), true)
                    .accumulateInto(stats);
            for (var rule : PatchRules.all()) {
                try (PatchedModel pm = PatchedModel.builder().setModel(model).setDetector(everything())
                        .setBenignStatistics(stats).optPatchRule(rule).build()) {
                    var audit = pm.audit(x);
                    int[] real = {5, 9};
                    for (int s = 0; s < 2; s++) {
                        assertTrue(audit.reports().get(s).patched());
                        for (int l = 0; l < DEPTH; l++) {
                            float[] after = audit.after(s, l);
                            for (int q = 0; q < MAX; q++) {
                                for (int k = real[s]; k < MAX; k++) {
                                    assertEquals(0f, after[q * MAX + k], rule.name() + ": sample " + s + " layer " + l
                                            + " query " + q + " padding key " + k);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void badInputGetsAClearMessage() {
        try (NDManager m = model.getNDManager().newSubManager()) {
            var ex = assertThrows(IllegalArgumentException.class, () -> logits(m, new float[][] {ids(MAX, VOCAB)}));
            assertTrue(ex.getMessage().contains("vocabulary"), ex.getMessage());
            var tooLong = assertThrows(IllegalArgumentException.class, () -> logits(m, new float[][] {ids(MAX + 1, 5)}));
            assertTrue(tooLong.getMessage().contains("1 <= n <= " + MAX), tooLong.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> BertStyleEncoder.builder().setVocabularySize(4).setMaxLength(8)
                .setDepth(1).setWidth(8).setHeads(2).setClasses(2).build());
    }
}
