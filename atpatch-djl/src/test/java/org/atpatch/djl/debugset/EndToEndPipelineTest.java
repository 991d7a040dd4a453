package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import org.atpatch.djl.Predictions;
import org.atpatch.core.ImagePatchLayout;
import org.atpatch.core.Metrics;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.model.VisionTransformer;
import org.junit.jupiter.api.Test;

/**
 * The end-to-end check on a small backdoored ViT: trigger inversion (never the true trigger)
 * → debugging set → AtPatch.train → the patched model lowers the attack success rate on held-out
 * triggered inputs, and every clean input it does not flag gets the unpatched logits bit for bit.
 */
class EndToEndPipelineTest {

    @Test
    void invertedDebuggingSetPatchesTheBackdoorAndLeavesUnflaggedInputsAlone() {
        PlantedBackdoor victim = PlantedBackdoor.get();
        assertTrue(victim.attackSuccess >= 0.9, "the planted backdoor works: ASR " + victim.attackSuccess);
        LabelledData pool = victim.test.range(0, 300);
        LabelledData eval = victim.test.range(300, victim.test.size());
        InversionReport inversion = TriggerInversion.builder().optSeed(3).build().invert(victim.model, pool);
        ImagePatchLayout layout = ((VisionTransformer) victim.model.getBlock()).tokenLayout();
        DebuggingSet debugSet = BackdoorDebuggingSetBuilder.of(victim.model, pool)
                .addTriggers(inversion)
                .optLayout(layout)
                .optSeed(3)
                .build();
        LabelledData others = eval.subset(java.util.stream.IntStream.range(0, eval.size())
                .filter(i -> eval.labels()[i] != PlantedBackdoor.TARGET).toArray());
        LabelledData triggered = victim.trueTrigger.apply(others);
        double asrBefore = Metrics.attackSuccessRate(Predictions.classes(victim.model, triggered, 256),
                triggered.labels(), PlantedBackdoor.TARGET);

        try (PatchedModel patched = AtPatch.builder()
                .setModel(victim.model)
                .optDetectorConfig(DetectorConfig.builder().optSeed(3).optProgressBar(false).build())
                .build()
                .train(debugSet)) {
            double asrAfter = Metrics.attackSuccessRate(Predictions.classes(patched, triggered, 256),
                    triggered.labels(), PlantedBackdoor.TARGET);
            assertTrue(asrAfter <= 0.10 && asrAfter < asrBefore / 4,
                    "ASR before " + asrBefore + ", after " + asrAfter + " with rule " + patched.patchRule().name() + " (flagged "
                            + Arrays.toString(inversion.flaggedClasses()) + ")");

            try (NDManager m = victim.model.getNDManager().newSubManager()) {
                NDArray x = eval.batch(m, 0, eval.size());
                PatchResult r = patched.predictWithReport(x);
                float[] plain = victim.model.getBlock().forward(new ParameterStore(m, false), new NDList(x), false)
                        .singletonOrThrow().toFloatArray();
                float[] out = r.logits().toFloatArray();
                int classes = out.length / eval.size();
                int unflagged = 0;
                for (int i = 0; i < eval.size(); i++) {
                    if (!r.reports().get(i).patched()) {
                        unflagged++;
                        assertArrayEquals(Arrays.copyOfRange(plain, i * classes, (i + 1) * classes),
                                Arrays.copyOfRange(out, i * classes, (i + 1) * classes), 0f, "clean sample " + i);
                    }
                }
                // Flagged clean inputs are patched, which must not cost accuracy; and enough stay unflagged
                // for the bitwise check above to mean something.
                assertTrue(unflagged >= 0.5 * eval.size(), "only " + unflagged + " of " + eval.size() + " clean inputs unflagged");
                double accBefore = Metrics.accuracy(Predictions.classes(victim.model, eval, 256), eval.labels());
                double accAfter = Metrics.accuracy(Predictions.classes(patched, eval, 256), eval.labels());
                assertTrue(accAfter >= accBefore - 0.02, "clean accuracy " + accBefore + " -> " + accAfter
                        + " with " + (eval.size() - unflagged) + " clean inputs flagged");
            }
        }
    }
}
