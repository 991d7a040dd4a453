package org.atpatch.detector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.atpatch.core.DetectionMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Training the detector (§3.3.2) and what it must reach (RQ2's strict map-level metrics). */
class DetectorTrainerTest {

    /**
     * Synthetic maps with N = 17 (CLS + 16 tokens), four heads averaged; 1000 training pairs and 300
     * held-out pairs from another seed (see {@link SyntheticAttention}). The product's defaults (λ = 1,
     * T = 0.1, AdamW, automatic positive weight, 20 % validation split, layer and position embedding),
     * except what the test budget on two CPU cores dictates: learning rate 3e-3 instead of the paper's
     * 1e-4, decaying along a cosine, at most 30 epochs instead of 50, batches of 64 maps, patience 8.
     * τ is chosen on the validation split (max F1), never on the held-out maps.
     *
     * <p>The bars hold at the validation-chosen τ rather than the paper's fixed τ = 0.1: the strict
     * map-level FPR at a fixed low τ depends on the tail of sixteen normal columns' probabilities,
     * which the validation choice absorbs.
     */
    @ParameterizedTest
    @EnumSource(DetectorArchitecture.Kind.class)
    void reachesStrictF1AndFprTargetsOnHeldOutSyntheticMaps(DetectorArchitecture.Kind kind) {
        SyntheticAttention gen = new SyntheticAttention(17, 4, SyntheticAttention.DEFAULT);
        DetectorTrainingData train = gen.pairs(1000, 1);
        DetectorTrainingData heldOut = gen.pairs(300, 2);
        DetectorConfig config = DetectorConfig.builder()
                .optArchitecture(kind)
                .optLearningRate(3e-3)
                .optCosineDecay(true)
                .optEpochs(30)
                .optBatchSize(64)
                .optPatience(8)
                .optTauSelection(TauSelection.maxF1())
                .build();
        try (AttentionDetector detector = new DetectorTrainer(config).train(train)) {
            float[][] p = detector.probabilities(heldOut);
            DetectorEvaluation ev = DetectorEvaluation.of(p, heldOut.labelMatrix(), detector.tau());
            DetectorEvaluation atPaperTau = DetectorEvaluation.of(p, heldOut.labelMatrix(), 0.1);
            System.out.println(kind.label() + " on held-out synthetic maps: " + ev + " (at τ = 0.1: " + atPaperTau.metrics() + "); "
                    + detector.provenance().training());
            DetectionMetrics m = ev.metrics();
            assertTrue(m.f1() >= 0.95, "map-level F1 " + m.f1() + " < 0.95: " + m);
            assertTrue(m.fpr() <= 0.05, "map-level FPR " + m.fpr() + " > 0.05: " + m);
            assertTrue(ev.rocAuc() > 0.99, "column ROC-AUC " + ev.rocAuc());

            DetectorProvenance prov = detector.provenance();
            assertEquals(42, prov.seed());
            assertEquals(17, prov.data().tokens());
            assertEquals(train.size(), prov.data().trainMaps() + prov.data().validationMaps());
            assertEquals(3e-3, prov.config().get("learningRate"));
            assertEquals("maxF1", prov.tauMethod());
            assertEquals("validation", prov.tauChosenOn());
            assertTrue(prov.training().epochsRun() >= prov.training().bestEpoch() && prov.training().bestEpoch() >= 1);
            assertTrue(prov.validation().f1() > 0.9, "validation F1 is recorded: " + prov.validation());
        }
    }

    @Test
    void trainingIsDeterministicForASeedOnCpu() throws Exception {
        DetectorTrainingData data = new SyntheticAttention(9, 2, SyntheticAttention.DEFAULT).pairs(30, 4);
        DetectorConfig config = DetectorConfig.paper().toBuilder()
                .optEpochs(2)
                .optLearningRate(3e-3)
                .optBatchSize(8)
                .optSeed(7)
                .optDevice(ai.djl.Device.cpu())
                .optProgressBar(false)
                .optTauSelection(TauSelection.maxF1())
                .build();
        try (AttentionDetector a = new DetectorTrainer(config).train(data);
                AttentionDetector b = new DetectorTrainer(config).train(data)) {
            assertArrayEquals(a.parameterBytes(), b.parameterBytes(), "same seed, same parameters");
            assertEquals(a.tau(), b.tau());
            assertEquals("maxF1", a.provenance().tauMethod());
            assertEquals("validation", a.provenance().tauChosenOn());
        }
    }

    @Test
    void keepsTheLastEpochOrTheBestValidationEpochAsConfigured() throws java.io.IOException {
        DetectorTrainingData data = new SyntheticAttention(9, 2, SyntheticAttention.DEFAULT).pairs(40, 5);
        DetectorConfig.Builder base = DetectorConfig.defaults().toBuilder().optEpochs(4).optBatchSize(8).optSeed(3)
                .optDevice(ai.djl.Device.cpu()).optProgressBar(false);
        try (AttentionDetector best = new DetectorTrainer(base.build()).train(data);
                AttentionDetector last = new DetectorTrainer(base.optKeptEpoch(DetectorConfig.KeptEpoch.LAST).build())
                        .train(data)) {
            assertEquals(4, last.provenance().training().epochsRun());
            assertEquals(4, last.provenance().training().bestEpoch(), "the last epoch is kept");
            assertEquals("last", last.provenance().config().get("keptEpoch"));
            assertEquals("best-validation", best.provenance().config().get("keptEpoch"));
            // Both runs take the same steps; they keep the same parameters exactly when the best epoch is the last.
            boolean same = java.util.Arrays.equals(best.parameterBytes(), last.parameterBytes());
            assertEquals(best.provenance().training().bestEpoch() == 4, same, best.provenance().training().toString());
        }
        assertEquals(DetectorConfig.KeptEpoch.LAST, DetectorConfig.KeptEpoch.byLabel("last"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DetectorConfig.KeptEpoch.byLabel("first"));
        assertTrue(e.getMessage().contains("best-validation or last"), e.getMessage());
    }

    @Test
    void refusesDataWithNothingToLearn() {
        DetectorTrainingData.Builder b = DetectorTrainingData.builder();
        for (int i = 0; i < 4; i++) {
            b.addMap(new float[9], 0, new boolean[3], i);
        }
        DetectorTrainingData clean = b.build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DetectorTrainer(DetectorConfig.paper().toBuilder().optValidationFraction(0).build()).train(clean));
        assertTrue(e.getMessage().contains("no anomalous column"), e.getMessage());
    }
}
