package org.atpatch.djl.model;

import static org.atpatch.djl.model.TabTransformerTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import org.atpatch.core.BenignStatistics;
import org.atpatch.core.SerialisedRowLayout;
import org.atpatch.djl.LabelledData;
import org.junit.jupiter.api.Test;

class TaBertStyleEncoderTest {

    static {
        org.atpatch.detector.DjlOffline.configure();
    }

    private static TaBertStyleEncoder.Builder sizes(TaBertStyleEncoder.Builder b) {
        return b.setDepth(2).setWidth(8).setHeads(2).setClasses(2);
    }

    /** COMPAS-like: age and priors bucketed, then sex and race codes. */
    private static TaBertStyleEncoder compas() {
        return sizes(TaBertStyleEncoder.builder()
                .addNumericFeature("age", 25, 45)
                .addNumericFeature("priors", 1, 4, 10)
                .addCategoricalFeature("sex", 2)
                .addCategoricalFeature("race", 6)).build();
    }

    private static Model model(int seed) {
        Engine.getInstance().setRandomSeed(seed);
        Model model = Model.newInstance("tabert");
        TaBertStyleEncoder t = compas();
        model.setBlock(t);
        t.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 4));
        return model;
    }

    @Test
    void layoutRecorderAndPatchedModel() {
        try (Model model = model(3)) {
            TaBertStyleEncoder t = (TaBertStyleEncoder) model.getBlock();
            SerialisedRowLayout layout = t.tokenLayout();
            assertEquals(9, layout.size());
            assertTrue(layout.isSpecial(0));
            assertArrayEquals(new int[] {5, 6}, layout.columnsOf("sex"));
            assertEquals("name of priors", layout.describe(3));
            assertEquals("value of race", layout.describe(8));
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDArray x = m.create(new float[] {
                    19f, 0f, 1f, 2f,
                    50f, 12f, 0f, 0f,
                    30f, 3f, 1f, 5f}, new Shape(3, 4));
                BenignStatistics stats = FamilyChecks.recordAndCheck(model, x, t);
                FamilyChecks.patchedModelContract(model, x, stats, layout.columnsOf("sex")[1], 2);
            }
        }
    }

    @Test
    void numericValuesAreBucketedAndCategoriesMatter() {
        try (Model model = model(4)) {
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDArray x = m.create(new float[] {
                    26f, 2f, 1f, 2f, // age bucket 1, priors bucket 1
                    44.5f, 3.9f, 1f, 2f, // same buckets
                    45f, 2f, 1f, 2f, // age bucket 2
                    26f, 2f, 0f, 2f}, new Shape(4, 4)); // other sex
                float[] out = FamilyChecks.unpatched(model, x);
                assertArrayEquals(Arrays.copyOfRange(out, 0, 2), Arrays.copyOfRange(out, 2, 4), 0f);
                assertFalse(Arrays.equals(Arrays.copyOfRange(out, 0, 2), Arrays.copyOfRange(out, 4, 6)));
                assertFalse(Arrays.equals(Arrays.copyOfRange(out, 0, 2), Arrays.copyOfRange(out, 6, 8)));
            }
        }
    }

    @Test
    void trainsDeterministically() {
        // Label: age at least 25 (a bucket boundary) and race code below 3.
        java.util.Random r = new java.util.Random(6);
        int n = 64;
        float[] x = new float[n * 4];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[i * 4] = 18 + r.nextInt(50);
            x[i * 4 + 1] = r.nextInt(12);
            x[i * 4 + 2] = r.nextInt(2);
            x[i * 4 + 3] = r.nextInt(6);
            y[i] = x[i * 4] >= 25 && x[i * 4 + 3] < 3 ? 1 : 0;
        }
        FamilyChecks.trainsDeterministically(() -> model(9), new LabelledData(x, y, new Shape(4)), 12, 0.9);
    }

    @Test
    void inputChecks() {
        try (Model model = model(5)) {
            try (NDManager m = model.getNDManager().newSubManager()) {
                ParameterStore ps = new ParameterStore(m, false);
                var block = model.getBlock();
                NDArray badCode = m.create(new float[] {30f, 1f, 2f, 0f}, new Shape(1, 4));
                assertMessage("categorical codes", () -> block.forward(ps, new NDList(badCode), false));
                NDArray nan = m.create(new float[] {Float.NaN, 1f, 1f, 0f}, new Shape(1, 4));
                assertMessage("must be finite", () -> block.forward(ps, new NDList(nan), false));
                assertMessage("(batch, 4)", () -> block.forward(ps, new NDList(m.zeros(new Shape(2, 5))), false));
            }
        }
    }

    @Test
    void builderValidation() {
        assertMessage("at least one feature", () -> sizes(TaBertStyleEncoder.builder()).build());
        assertMessage("bucket boundary", () -> TaBertStyleEncoder.builder().addNumericFeature("age"));
        assertMessage("strictly increasing", () -> TaBertStyleEncoder.builder().addNumericFeature("age", 3, 3));
        assertMessage("strictly increasing", () -> TaBertStyleEncoder.builder().addNumericFeature("age", 1, Double.NaN));
        assertMessage("used twice", () -> sizes(TaBertStyleEncoder.builder().addNumericFeature("a", 1)
                .addCategoricalFeature("a", 2)).build());
        assertMessage("width", () -> TaBertStyleEncoder.builder().addCategoricalFeature("a", 2).setDepth(1)
                .setHeads(2).setClasses(2).build());
    }

    @Test
    void layoutRejectsBadColumns() {
        SerialisedRowLayout layout = new SerialisedRowLayout(java.util.List.of("a"));
        assertMessage("no feature named 'b'", () -> layout.columnsOf("b"));
        assertMessage("CLS", () -> layout.featureOf(0));
        org.junit.jupiter.api.Assertions.assertThrows(IndexOutOfBoundsException.class, () -> layout.describe(3));
    }
}
