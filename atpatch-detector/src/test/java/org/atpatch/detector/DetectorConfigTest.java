package org.atpatch.detector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The two presets, copying, and validation. */
class DetectorConfigTest {

    @Test
    void defaultsAreTheSmallDebuggingSetPreset() {
        DetectorConfig d = DetectorConfig.defaults();
        assertEquals(3e-3, d.learningRate());
        assertTrue(d.cosineDecay());
        assertEquals(50, d.epochs());
        assertEquals("maxF1", d.tauSelection().describe());
        assertEquals(0, d.patience());
        assertEquals(10, DetectorConfig.paper().patience());
        assertEquals(DetectorArchitecture.Kind.COLUMN_STATISTICS, d.architectureKind());
        assertEquals(DetectorArchitecture.Kind.COLUMN_STATISTICS, d.architecture(17, 4).kind());
        assertEquals("column-statistics", d.toMap().get("architecture"));
        DetectorConfig cnn = d.toBuilder().optArchitecture(DetectorArchitecture.Kind.PAPER_CNN).build();
        assertEquals(DetectorArchitecture.Kind.PAPER_CNN, cnn.architecture(17, 4).kind());
        assertEquals("paper-cnn", cnn.toMap().get("architecture"));
        assertEquals(DetectorConfig.smallDebuggingSet().toMap(), d.toMap());
        assertEquals(d.toMap(), DetectorConfig.builder().build().toMap());
    }

    @Test
    void toBuilderCopiesEverySettingAndLeavesTheOriginalAlone() {
        DetectorConfig a = DetectorConfig.paper().toBuilder().optSeed(9).optHiddenSize(12).optDevice(ai.djl.Device.cpu())
                .build();
        DetectorConfig.Builder copy = a.toBuilder();
        assertEquals(a.toMap(), copy.build().toMap());
        DetectorConfig b = copy.optSeed(10).optLearningRate(0.5).build();
        assertEquals(9, a.seed());
        assertEquals(1e-4, a.learningRate());
        assertEquals(10, b.seed());
    }

    @Test
    void paperPresetIsThePapers() {
        DetectorConfig c = DetectorConfig.paper();
        assertTrue(!c.cosineDecay());
        assertEquals(DetectorArchitecture.Kind.PAPER_CNN, c.architectureKind());
        assertEquals(1e-4, c.learningRate());
        assertEquals(50, c.epochs());
        assertEquals(1.0, c.lambda());
        assertEquals(0.1, c.temperature());
        assertEquals("fixed(0.1)", c.tauSelection().describe());
        assertEquals("AdamW", c.toMap().get("optimizer"));
        assertTrue(c.layerEmbedding());
        assertTrue(c.architecture(17, 4).positionEmbedding());
        assertEquals(-1, DetectorConfig.builder().optTokenAgnostic(true).build().architecture(17, 4).tokens());
        assertTrue(!DetectorConfig.builder().optTokenAgnostic(true).build().architecture(17, 4).positionEmbedding());
    }

    private static void rejects(String fragment, Supplier<Object> build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::get);
        assertTrue(e.getMessage().contains(fragment), "message should name " + fragment + ": " + e.getMessage());
    }

    @Test
    void rejectsBadValuesWithMessagesNamingThem() {
        rejects("λ", () -> DetectorConfig.builder().optLambda(-0.1).build());
        rejects("λ", () -> DetectorConfig.builder().optLambda(Double.NaN).build());
        rejects("learning rate", () -> DetectorConfig.builder().optLearningRate(0).build());
        rejects("learning rate", () -> DetectorConfig.builder().optLearningRate(-1e-4).build());
        rejects("learning rate", () -> DetectorConfig.builder().optLearningRate(Double.POSITIVE_INFINITY).build());
        rejects("epochs", () -> DetectorConfig.builder().optEpochs(0).build());
        rejects("τ", () -> DetectorConfig.builder().optTau(0).build());
        rejects("τ", () -> DetectorConfig.builder().optTau(1).build());
        rejects("τ", () -> DetectorConfig.builder().optTau(Double.NaN).build());
        rejects("temperature", () -> DetectorConfig.builder().optTemperature(0).build());
        rejects("batch size", () -> DetectorConfig.builder().optBatchSize(1).build());
        rejects("validation fraction", () -> DetectorConfig.builder().optValidationFraction(1).build());
        rejects("patience", () -> DetectorConfig.builder().optPatience(-1).build());
        rejects("positive weight", () -> DetectorConfig.builder().optPositiveWeight(0).build());
        rejects("weight decay", () -> DetectorConfig.builder().optWeightDecay(-1).build());
        rejects("contrastive columns", () -> DetectorConfig.builder().optContrastiveColumns(1).build());
        rejects("convChannels", () -> DetectorConfig.builder().optConvChannels(0).build());
        rejects("target false positive rate", () -> TauSelection.targetFpr(1.5));
        rejects("layers", () -> DetectorArchitecture.builder().build());
        rejects("tokens", () -> DetectorArchitecture.builder().setLayers(2).optTokens(1).build());
        rejects("position embedding needs a fixed N",
                () -> DetectorArchitecture.builder().setLayers(2).optPositionEmbedding(true).build());
    }

    @Test
    void tauSelectionPicksMaxF1AndRespectsTargetFpr() {
        // Map 0 and 1 anomalous at column 1; map 2 and 3 clean, map 3 with a normal column at 0.5.
        float[][] p = {{0.05f, 0.9f, 0.1f}, {0.05f, 0.6f, 0.1f}, {0.02f, 0.05f, 0.1f}, {0.5f, 0.05f, 0.1f}};
        boolean[][] t = {{false, true, false}, {false, true, false}, {false, false, false}, {false, false, false}};
        TauSelection.Choice f1 = TauSelection.maxF1().select(p, t);
        assertEquals(1.0, f1.metrics().f1(), 1e-12);
        assertTrue(f1.tau() >= 0.5 && f1.tau() < 0.6, "τ in the plateau [0.5, 0.6): " + f1.tau());
        TauSelection.Choice fpr = TauSelection.targetFpr(0.0).select(p, t);
        assertEquals(0.0, fpr.metrics().fpr());
        assertEquals("targetFpr(0.0)", fpr.method());
        assertEquals(0.3, TauSelection.fixed(0.3).select(p, t).tau());
    }

    @Test
    void tauSelectionFallsBackToColumnLevelF1WhenStrictF1IsZeroEverywhere() {
        // Map 0's truth is {1, 2}, but column 0 outranks column 2: no τ flags exactly {1, 2}, so the strict
        // F1 is 0 at every τ. Column-level F1 peaks (2/3) on [0.25, 0.45), where only column 1 is flagged;
        // the blind middle of all candidates (0.5) would flag nothing.
        float[][] p = {{0.25f, 0.45f, 0.1f}, {0.2f, 0.2f, 0.2f}};
        boolean[][] t = {{false, true, true}, {false, false, false}};
        for (TauSelection sel : new TauSelection[] {TauSelection.maxF1(), TauSelection.targetFpr(0.0)}) {
            TauSelection.Choice c = sel.select(p, t);
            assertTrue(c.tau() >= 0.25 && c.tau() < 0.45, sel + ": τ in [0.25, 0.45): " + c.tau());
            assertTrue(c.method().startsWith(sel.describe() + " by column-level F1 0.6667"), c.method());
            assertEquals(0.0, c.metrics().f1(), "the reported metrics stay strict");
        }
        // Nothing ranks the anomalous column above anything: both scores are 0, the middle τ is taken.
        TauSelection.Choice none = TauSelection.maxF1().select(new float[][] {{0f, 0f}}, new boolean[][] {{true, false}});
        assertEquals(0.5, none.tau());
        assertEquals("maxF1 (strict and column-level F1 are 0 at every τ)", none.method());
    }
}
