package org.atpatch.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.atpatch.core.BenignStatistics;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad input gets an exception that names the problem. */
class PatchedModelValidationTest {

    private static Model model;
    private static NDManager manager;
    private static BenignStatistics benign;

    @BeforeAll
    static void setUp() {
        model = Fixtures.vitModel();
        manager = model.getNDManager().newSubManager();
        benign = Fixtures.benign(model, manager);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
        model.close();
    }

    private static void assertMessage(Class<? extends Throwable> type, String fragment, Executable e) {
        Throwable t = assertThrows(type, e);
        assertTrue(t.getMessage().contains(fragment), "message '" + t.getMessage() + "' lacks '" + fragment + "'");
    }

    private static PatchedModel.Builder builder() {
        return PatchedModel.builder().setModel(model).setDetector(Fixtures.scripted(new int[2][0])).setBenignStatistics(benign);
    }

    @Test
    void aNullInputIsRefusedByName() {
        try (PatchedModel pm = builder().build()) {
            NullPointerException e = assertThrows(NullPointerException.class, () -> pm.predict(null));
            assertTrue(e.getMessage().contains("input"), e.getMessage());
            assertThrows(NullPointerException.class, () -> pm.predictWithReport(null));
        }
    }

    @Test
    void otherNumericDtypesAreConvertedAndOthersRefused() {
        try (PatchedModel pm = builder().build(); NDManager m = NDManager.newBaseManager()) {
            NDArray x = Fixtures.images(m, 2, 5);
            float[] expected = pm.predict(x).toFloatArray();
            NDArray wide = x.toType(ai.djl.ndarray.types.DataType.FLOAT64, true);
            assertArrayEquals(expected, pm.predict(wide).toFloatArray(), 0f, "float64 holding float32 values");
            assertEquals(ai.djl.ndarray.types.DataType.FLOAT64, wide.getDataType(), "the caller's array is untouched");
            NDArray bytes = x.mul(255).floor().toType(ai.djl.ndarray.types.DataType.UINT8, true);
            assertArrayEquals(pm.predict(bytes.toType(ai.djl.ndarray.types.DataType.FLOAT32, true)).toFloatArray(),
                    pm.predict(bytes).toFloatArray(), 0f, "uint8 is read as its float32 values");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> pm.predict(x.gt(0.5f)));
            assertTrue(e.getMessage().contains("numeric") && e.getMessage().contains("boolean"), e.getMessage());
        }
    }

    @Test
    void wrongImageSize() {
        try (PatchedModel pm = builder().build()) {
            NDArray wrong = manager.zeros(new Shape(2, 1, 10, 10));
            assertMessage(IllegalArgumentException.class, "(batch, 1, 8, 8)", () -> pm.predict(wrong));
            NDArray empty = manager.zeros(new Shape(0, 1, 8, 8));
            assertMessage(IllegalArgumentException.class, "non-empty batch", () -> pm.predict(empty));
        }
    }

    @Test
    void tauOutsideUnitInterval() {
        for (double tau : new double[] {0, 1, -0.1, 1.5, Double.NaN}) {
            assertMessage(IllegalArgumentException.class, "τ", () -> builder().optTau(tau).build());
        }
    }

    @Test
    void detectorOrQOfAnotherShape() {
        ColumnDetector forN20 = new ColumnDetector() {
            @Override
            public NDArray detect(NDArray maps, int layer) {
                return maps.sum(new int[] {1});
            }

            @Override
            public int tokens() {
                return 20;
            }
        };
        assertMessage(IllegalArgumentException.class, "N = 20", () -> builder().setDetector(forN20).build());
        ColumnDetector twoLayers = new ColumnDetector() {
            @Override
            public NDArray detect(NDArray maps, int layer) {
                return maps.sum(new int[] {1});
            }

            @Override
            public int layers() {
                return 2;
            }
        };
        assertMessage(IllegalArgumentException.class, "2 layers", () -> builder().setDetector(twoLayers).build());
        assertMessage(IllegalArgumentException.class, "2 layers",
                () -> builder().setBenignStatistics(BenignStatistics.empty(2, Fixtures.HEADS, Fixtures.N, 0)).build());
        assertMessage(IllegalArgumentException.class, "N = 9",
                () -> builder().setBenignStatistics(BenignStatistics.empty(Fixtures.DEPTH, Fixtures.HEADS, 9, 0)).build());
        assertMessage(IllegalArgumentException.class, "heads",
                () -> builder().setBenignStatistics(BenignStatistics.empty(Fixtures.DEPTH, 4, Fixtures.N, 0)).build());
        BenignStatistics qOnly = new BenignStatistics(benign.attention(), null);
        assertMessage(IllegalArgumentException.class, "token states",
                () -> builder().setBenignStatistics(qOnly).optPatchRule(PatchRules.tokenStateAtFirstLayer()).build());
        assertMessage(IllegalArgumentException.class, "setDetector", () -> PatchedModel.builder().setModel(model).build());
    }

    @Test
    void nanInputIsReportedNotPropagated() {
        try (PatchedModel pm = builder().build()) {
            NDArray x = Fixtures.images(manager, 2, 9);
            x.set(new ai.djl.ndarray.index.NDIndex("1, 0, 3, 3"), Float.NaN);
            assertMessage(IllegalArgumentException.class, "NaN or Inf", () -> pm.predict(x));
            NDArray inf = Fixtures.images(manager, 2, 9);
            inf.set(new ai.djl.ndarray.index.NDIndex("0, 0, 0, 0"), Float.POSITIVE_INFINITY);
            assertMessage(IllegalArgumentException.class, "sample 0", () -> pm.predict(inf));
        }
    }

    @Test
    void aDetectorOutputWithNaNOrInfIsReportedEvenOnAColumnThatCannotBeFlagged() {
        // The maps are finite; only the detector's output is not: NaN on CLS (never flaggable) of
        // sample 1, then +Inf on a token column of sample 0, in both modes.
        for (PatchMode mode : PatchMode.values()) {
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
                int sample = Float.isNaN(bad) ? 1 : 0;
                int column = Float.isNaN(bad) ? 0 : 3;
                ColumnDetector broken = (maps, layer) -> {
                    long n = maps.getShape().get(1);
                    float[] p = new float[(int) (2 * n)];
                    p[(int) (sample * n + column)] = layer == 1 ? bad : 0f;
                    return maps.getManager().create(p, new Shape(2, n));
                };
                try (PatchedModel pm = builder().setDetector(broken).optMode(mode).build()) {
                    assertMessage(IllegalArgumentException.class, "layer 1 for sample " + sample,
                            () -> pm.predict(Fixtures.images(manager, 2, 9)));
                }
            }
        }
    }

    @Test
    void logitsThatOverflowAfterFiniteMapsAreReported() {
        withClassifier(weight -> weight.muli(3e38f), 2, pm -> assertMessage(IllegalArgumentException.class,
                "logits contain NaN or Inf", () -> pm.predict(Fixtures.images(manager, 2, 9))));
    }

    @Test
    void largeFiniteLogitsWhoseSumOverflowsAreReturned() {
        withClassifier(bias -> bias.set(new ai.djl.ndarray.index.NDIndex(":"), 3e38f), 1, pm -> {
            for (float v : pm.predict(Fixtures.images(manager, 2, 9)).toFloatArray()) {
                assertTrue(Float.isFinite(v), "finite logits come back as they are: " + v);
            }
        });
    }

    /**
     * Runs a check on a patched fresh tiny ViT whose classifier parameter ({@code fromEnd} 2: weight,
     * 1: bias) was changed first.
     */
    private static void withClassifier(java.util.function.Consumer<NDArray> change, int fromEnd,
            java.util.function.Consumer<PatchedModel> check) {
        try (Model m = Fixtures.vitModel();
                PatchedModel pm = PatchedModel.builder().setModel(m).setDetector(Fixtures.scripted(new int[2][0]))
                        .setBenignStatistics(benign).build()) {
            var params = m.getBlock().getParameters();
            change.accept(params.valueAt(params.size() - fromEnd).getArray());
            check.accept(pm);
        }
    }

    @Test
    void modelWithoutInterceptableAttentionIsRefused() {
        try (Model plain = Model.newInstance("mlp")) {
            ai.djl.nn.SequentialBlock b = new ai.djl.nn.SequentialBlock()
                    .add(ai.djl.nn.core.Linear.builder().setUnits(3).build());
            plain.setBlock(b);
            b.initialize(plain.getNDManager(), ai.djl.ndarray.types.DataType.FLOAT32, new Shape(1, 4));
            assertMessage(IllegalArgumentException.class, "InterceptableSelfAttention",
                    () -> PatchedModel.builder().setModel(plain).setDetector(Fixtures.scripted(new int[1][0]))
                            .setBenignStatistics(benign).build());
        }
    }

    @Test
    void builderRejectsBadSizes() {
        assertMessage(IllegalArgumentException.class, "must divide image size",
                () -> VisionTransformer.builder().setImageSize(28).setPatchSize(5).setDepth(1).setWidth(8).setHeads(2).setClasses(2).build());
        assertMessage(IllegalArgumentException.class, "heads 3 must divide width 8",
                () -> VisionTransformer.builder().setImageSize(28).setPatchSize(4).setDepth(1).setWidth(8).setHeads(3).setClasses(2).build());
        assertMessage(IllegalArgumentException.class, "depth",
                () -> VisionTransformer.builder().setImageSize(28).setPatchSize(4).setWidth(8).setHeads(2).setClasses(2).build());
    }
}
