package org.atpatch.djl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import org.atpatch.core.BenignStatistics;
import org.atpatch.djl.LabelledData;
import org.junit.jupiter.api.Test;

class TabTransformerTest {

    static {
        org.atpatch.detector.DjlOffline.configure();
    }

    private static TabTransformer.Builder sizes(TabTransformer.Builder b) {
        return b.setDepth(2).setWidth(8).setHeads(2).setClasses(2).optHeadHidden(16);
    }

    private static TabTransformer census() {
        return sizes(TabTransformer.builder()
                .addNumericFeature("age")
                .addNumericFeature("hours")
                .addCategoricalFeature("workclass", 4)
                .addCategoricalFeature("sex", 2)
                .addCategoricalFeature("race", 5)).build();
    }

    /** Numeric age and hours, then workclass, sex, race codes. */
    private static NDArray rows(NDManager m) {
        return m.create(new float[] {
            0.3f, -1f, 0f, 1f, 4f,
            1.2f, 0.5f, 3f, 0f, 2f,
            -0.7f, 0.1f, 1f, 1f, 0f,
            0.0f, 2.0f, 2f, 0f, 3f}, new Shape(4, 5));
    }

    @Test
    void layoutRecorderAndPatchedModel() {
        Engine.getInstance().setRandomSeed(3);
        try (Model model = Model.newInstance("tab")) {
            TabTransformer t = census();
            model.setBlock(t);
            t.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 5));
            assertEquals(3, t.tokenLayout().size());
            assertEquals(1, t.tokenLayout().columnOf("sex"));
            assertEquals("feature race", t.tokenLayout().describe(2));
            assertTrue(!t.tokenLayout().isSpecial(0), "TabTransformer has no CLS: every column is a feature");
            assertEquals(new Shape(5), t.sampleInputShape());
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDArray x = rows(m);
                BenignStatistics stats = FamilyChecks.recordAndCheck(model, x, t);
                FamilyChecks.patchedModelContract(model, x, stats, t.tokenLayout().columnOf("sex"), 2);
            }
        }
    }

    @Test
    void protectedAttributeAndNumericFeaturesReachTheLogits() {
        Engine.getInstance().setRandomSeed(5);
        try (Model model = Model.newInstance("tab")) {
            TabTransformer t = census();
            model.setBlock(t);
            t.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 5));
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDArray base = m.create(new float[] {0.3f, -1f, 0f, 1f, 4f, 0.3f, -1f, 0f, 0f, 4f, 0.9f, -1f, 0f, 1f, 4f},
                        new Shape(3, 5));
                float[] out = FamilyChecks.unpatched(model, base);
                // Flipping sex (a token) and changing age (concatenated after the transformer) both matter.
                assertNotEquals(out[0], out[2]);
                assertNotEquals(out[0], out[4]);
            }
        }
    }

    @Test
    void trainsDeterministically() {
        // Label: sex == 1 and age above 0, so the token path and the numeric path both matter.
        java.util.Random r = new java.util.Random(4);
        int n = 64;
        float[] x = new float[n * 5];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[i * 5] = (float) r.nextGaussian();
            x[i * 5 + 1] = (float) r.nextGaussian();
            x[i * 5 + 2] = r.nextInt(4);
            x[i * 5 + 3] = r.nextInt(2);
            x[i * 5 + 4] = r.nextInt(5);
            y[i] = x[i * 5 + 3] == 1 && x[i * 5] > 0 ? 1 : 0;
        }
        FamilyChecks.trainsDeterministically(() -> {
            Engine.getInstance().setRandomSeed(8);
            Model model = Model.newInstance("tab");
            TabTransformer t = census();
            model.setBlock(t);
            t.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 5));
            return model;
        }, new LabelledData(x, y, new Shape(5)), 12, 0.9);
    }

    @Test
    void inputChecks() {
        try (Model model = Model.newInstance("tab")) {
            TabTransformer t = census();
            model.setBlock(t);
            t.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 5));
            try (NDManager m = model.getNDManager().newSubManager()) {
                ParameterStore ps = new ParameterStore(m, false);
                NDArray badCode = m.create(new float[] {0f, 0f, 0f, 2f, 1f}, new Shape(1, 5));
                assertMessage("categorical codes", () -> t.forward(ps, new NDList(badCode), false));
                NDArray fractional = m.create(new float[] {0f, 0f, 0.5f, 1f, 1f}, new Shape(1, 5));
                assertMessage("categorical codes", () -> t.forward(ps, new NDList(fractional), false));
                assertMessage("(batch, 5)", () -> t.forward(ps, new NDList(m.zeros(new Shape(1, 4))), false));
            }
        }
    }

    @Test
    void builderValidation() {
        assertMessage("categorical feature", () -> sizes(TabTransformer.builder().addNumericFeature("a")).build());
        assertMessage("cardinality", () -> TabTransformer.builder().addCategoricalFeature("x", 0));
        assertMessage("used twice", () -> sizes(TabTransformer.builder().addNumericFeature("a")
                .addCategoricalFeature("a", 2)).build());
        assertMessage("heads 3 must divide width 8", () -> sizes(TabTransformer.builder()
                .addCategoricalFeature("a", 2)).setHeads(3).build());
        assertMessage("MLP head width", () -> sizes(TabTransformer.builder()
                .addCategoricalFeature("a", 2)).optHeadHidden(4, 0).build());
        assertMessage("depth", () -> TabTransformer.builder().addCategoricalFeature("a", 2).setWidth(8).setHeads(2)
                .setClasses(2).build());
    }

    static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        String msg = assertThrows(IllegalArgumentException.class, e).getMessage();
        assertTrue(msg.contains(part), "message '" + msg + "' should mention '" + part + "'");
    }
}
