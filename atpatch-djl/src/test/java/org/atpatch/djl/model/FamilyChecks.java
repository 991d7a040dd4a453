package org.atpatch.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import org.atpatch.core.AttentionTrace;
import org.atpatch.core.BenignStatistics;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchMode;
import org.atpatch.djl.PatchReport;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.djl.testing.Fixtures;
import org.atpatch.djl.testing.VictimTrainer;

/**
 * The checks every model family passes with the recorder and the patched model: the recorder
 * returns every layer with its shape, a detector that flags nothing leaves the logits bit for bit,
 * and a flagged column changes the flagged sample only.
 */
final class FamilyChecks {

    private FamilyChecks() {}

    /**
     * Records a batch and checks each layer's map {@code (B, H, N, N)} (rows summing to 1) and
     * token states {@code (B, N, width)}; returns Q and token states from it.
     */
    static BenignStatistics recordAndCheck(Model model, NDArray x, InterceptableTransformer t) {
        int b = (int) x.getShape().get(0);
        int n = t.tokenLayout().size();
        AttentionTrace trace = AttentionRecorder.record(model, x, true);
        assertEquals(t.depth(), trace.depth());
        for (int l = 0; l < t.depth(); l++) {
            assertArrayEquals(new long[] {b, t.heads(), n, n}, trace.layer(l).maps().shape(), "layer " + l);
            assertArrayEquals(new long[] {b, n, t.width()}, trace.tokenStates(l).orElseThrow().shape(), "layer " + l);
            assertEquals((double) b * t.heads() * n, trace.layer(l).maps().sumNumber().doubleValue(), 1e-3);
        }
        BenignStatistics stats = BenignStatistics.empty(t.depth(), t.heads(), n, t.width());
        trace.accumulateInto(stats);
        return stats;
    }

    /** The model's own forward, no interceptor. */
    static float[] unpatched(Model model, NDArray x) {
        try (NDManager sub = x.getManager().newSubManager()) {
            NDArray copy = x.duplicate();
            copy.attach(sub);
            return model.getBlock().forward(new ParameterStore(sub, false), new NDList(copy), false)
                    .singletonOrThrow().toFloatArray();
        }
    }

    /**
     * Nothing flagged: bitwise the unpatched logits in both modes. Then sample 0 flagged at {@code
     * column}: its logits change under Γ, the other samples' stay bitwise.
     */
    static void patchedModelContract(Model model, NDArray x, BenignStatistics stats, int column, int classes) {
        int b = (int) x.getShape().get(0);
        float[] plain = unpatched(model, x);
        for (PatchMode mode : PatchMode.values()) {
            try (PatchedModel pm = PatchedModel.builder().setModel(model).setDetector(Fixtures.scripted(new int[b][0]))
                    .setBenignStatistics(stats).optPatchRule(PatchRules.gamma()).optMode(mode).build()) {
                PatchResult r = pm.predictWithReport(x);
                assertArrayEquals(plain, r.logits().toFloatArray(), 0f, mode.name());
                assertTrue(r.reports().stream().noneMatch(PatchReport::patched));
            }
        }
        int[][] flags = new int[b][0];
        flags[0] = new int[] {column};
        try (PatchedModel pm = PatchedModel.builder().setModel(model).setDetector(Fixtures.scripted(flags))
                .setBenignStatistics(stats).optPatchRule(PatchRules.gamma()).build()) {
            PatchResult r = pm.predictWithReport(x);
            float[] got = r.logits().toFloatArray();
            assertTrue(r.reports().get(0).patched());
            assertArrayEquals(new int[] {column}, r.reports().get(0).flags().union());
            assertFalse(Arrays.equals(Arrays.copyOfRange(plain, 0, classes), Arrays.copyOfRange(got, 0, classes)),
                    "patching the flagged sample's column " + column + " must change its logits");
            assertArrayEquals(Arrays.copyOfRange(plain, classes, plain.length),
                    Arrays.copyOfRange(got, classes, got.length), 0f, "unflagged samples stay bitwise");
        }
    }

    /**
     * Trains a fresh model twice from the same seed on a learnable toy task: both runs must give the
     * same logits bit for bit (no freed scalar read by autograd: docs/architecture.md, "Memory discipline"),
     * and the model must fit
     * the training data to at least {@code minAccuracy}.
     */
    static void trainsDeterministically(java.util.function.Supplier<Model> fresh, LabelledData data, int epochs,
            double minAccuracy) {
        float[][] logits = new float[2][];
        for (int run = 0; run < 2; run++) {
            try (Model model = fresh.get()) {
                VictimTrainer.builder().optEpochs(epochs).optBatchSize(16).optLearningRate(3e-3f).optSeed(1)
                        .optProgress(false).build().fit(model, data);
                int[] predicted = Predictions.classes(model, data, 64);
                int right = 0;
                for (int i = 0; i < predicted.length; i++) {
                    right += predicted[i] == data.labels()[i] ? 1 : 0;
                }
                assertTrue(right >= minAccuracy * predicted.length,
                        "trained to " + right + "/" + predicted.length + " on the toy task");
                try (NDManager m = model.getNDManager().newSubManager()) {
                    logits[run] = unpatched(model, data.batch(m, 0, data.size()));
                }
            }
        }
        assertArrayEquals(logits[0], logits[1], 0f, "two seeded trainings must agree bit for bit");
    }
}
