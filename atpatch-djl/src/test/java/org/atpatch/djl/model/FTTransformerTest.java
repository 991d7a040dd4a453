package org.atpatch.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.atpatch.core.BenignStatistics;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.Test;

class FTTransformerTest {

    static {
        org.atpatch.detector.DjlOffline.configure();
    }

    private static FTTransformer ft() {
        return FTTransformer.builder()
                .addNumericFeature("age")
                .addNumericFeature("hours")
                .addCategoricalFeature("sex", 2)
                .addCategoricalFeature("race", 5)
                .setDepth(2)
                .setWidth(8)
                .setHeads(2)
                .setClasses(2)
                .build();
    }

    @Test
    void layoutAndPatchedPredictOnTabularRows() {
        try (Model model = Model.newInstance("ft")) {
            FTTransformer ft = ft();
            model.setBlock(ft);
            ft.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 4));
            assertEquals(5, ft.tokenLayout().size());
            assertEquals(3, ft.tokenLayout().columnOf("sex"));
            assertEquals("feature race", ft.tokenLayout().describe(4));
            assertTrue(ft.tokenLayout().isSpecial(0));
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDArray rows = m.create(new float[] {0.3f, -1f, 1f, 4f, 1.2f, 0.5f, 0f, 2f}, new Shape(2, 4));
                BenignStatistics stats = BenignStatistics.empty(2, 2, 5, 8);
                AttentionRecorder.record(model, rows, true).accumulateInto(stats);
                try (PatchedModel pm = PatchedModel.builder()
                        .setModel(model)
                        .setDetector(Fixtures.scripted(new int[][] {{3}, {}}))
                        .setBenignStatistics(stats)
                        .optPatchRule(PatchRules.tokenStateAtFirstLayer())
                        .build()) {
                    PatchResult r = pm.predictWithReport(rows);
                    assertEquals(new Shape(2, 2), r.logits().getShape());
                    assertArrayEquals(new int[] {3}, r.reports().get(0).flags().union());
                    assertTrue(r.reports().get(0).patched());
                    // Out-of-range and fractional categorical codes, and a wrong feature count.
                    NDArray badCode = m.create(new float[] {0f, 0f, 2f, 1f}, new Shape(1, 4));
                    assertTrue(assertThrows(IllegalArgumentException.class, () -> model.getBlock().forward(
                            new ai.djl.training.ParameterStore(m, false), new ai.djl.ndarray.NDList(badCode), false))
                            .getMessage().contains("categorical codes"));
                    NDArray wrongCount = m.zeros(new Shape(1, 5));
                    assertTrue(assertThrows(IllegalArgumentException.class, () -> pm.predict(wrongCount))
                            .getMessage().contains("(batch, 4)"));
                }
            }
        }
    }

    @Test
    void builderValidation() {
        assertThrows(IllegalArgumentException.class, () -> FTTransformer.builder().setDepth(1).setWidth(4).setHeads(2).setClasses(2).build());
        assertThrows(IllegalArgumentException.class, () -> FTTransformer.builder().addCategoricalFeature("x", 0));
        assertThrows(IllegalArgumentException.class, () -> FTTransformer.builder().addNumericFeature("a")
                .addCategoricalFeature("a", 2).setDepth(1).setWidth(4).setHeads(2).setClasses(2).build());
    }
}
