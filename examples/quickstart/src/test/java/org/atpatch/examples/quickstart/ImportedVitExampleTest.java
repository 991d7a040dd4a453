package org.atpatch.examples.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.atpatch.core.Metrics;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.debugset.PlantedBackdoor;
import org.atpatch.djl.model.ParameterNames;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.weights.ImportProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The imported-ViT example end to end: a backdoored ViT is written in timm's layout (as PyTorch would
 * save it), imported from that file, hot-fixed with the defaults and served through a Predictor.
 */
class ImportedVitExampleTest {

    /** Writes a VisionTransformer's parameters under timm's names by running the profile's rules backwards. */
    private static void writeTimm(Model model, Path weights, Path config) throws Exception {
        VisionTransformer vit = (VisionTransformer) model.getBlock();
        Map<String, Parameter> params = ParameterNames.dotted(vit);
        try (NDManager m = NDManager.newBaseManager()) {
            NDList out = new NDList();
            for (ImportProfile.Rule rule : ImportProfile.timmVit().rules()) {
                for (int l = 0; l < (rule.perLayer() ? vit.depth() : 1); l++) {
                    NDArray value = params.get(rule.targetAt(l)).getArray().duplicate();
                    value.attach(m);
                    if (rule.flatten()) {
                        long c = vit.sampleInputShape().get(0);
                        value = value.reshape(vit.width(), c, vit.patchSize(), vit.patchSize());
                    }
                    List<String> sources = rule.sourcesAt(l);
                    NDList parts = sources.size() == 1 ? new NDList(value) : value.split(sources.size());
                    for (int i = 0; i < sources.size(); i++) {
                        parts.get(i).setName(sources.get(i));
                        out.add(parts.get(i));
                    }
                }
            }
            try (OutputStream os = Files.newOutputStream(weights)) {
                out.encode(os, NDList.Encoding.SAFETENSORS);
            }
        }
        long image = vit.sampleInputShape().get(1);
        Files.writeString(config, "{\"architecture\": \"vit_planted\", \"num_classes\": " + vit.classes()
                + ", \"model_args\": {\"img_size\": " + image + ", \"patch_size\": " + vit.patchSize() + ", \"in_chans\": "
                + vit.sampleInputShape().get(0) + ", \"embed_dim\": " + vit.width() + ", \"depth\": " + vit.depth()
                + ", \"num_heads\": " + vit.heads() + ", \"mlp_ratio\": " + vit.mlpRatio() + "}}");
    }

    @Test
    void anImportedBackdooredVitIsHotFixedAndServed(@TempDir Path dir) throws Exception {
        PlantedBackdoor victim = PlantedBackdoor.get();
        Path weights = dir.resolve("model.safetensors");
        Path config = dir.resolve("config.json");
        writeTimm(victim.model, weights, config);

        LabelledData pool = victim.test.range(0, 300);
        LabelledData eval = victim.test.range(300, victim.test.size());
        LabelledData triggered = victim.trueTrigger.apply(eval.subset(IntStream.range(0, eval.size())
                .filter(i -> eval.labels()[i] != PlantedBackdoor.TARGET).toArray()));
        List<float[]> toServe = new ArrayList<>();
        IntStream.range(0, eval.size()).forEach(i -> toServe.add(eval.sample(i)));
        IntStream.range(0, triggered.size()).forEach(i -> toServe.add(triggered.sample(i)));

        List<float[]> logits = ImportedVitExample.run(weights, config, ImportProfile.timmVit(), pool, dir.resolve("deployed"),
                toServe);
        assertEquals(toServe.size(), logits.size());
        int[] served = logits.stream().mapToInt(ImportedVitExampleTest::argmax).toArray();
        int[] servedClean = java.util.Arrays.copyOfRange(served, 0, eval.size());
        int[] servedTriggered = java.util.Arrays.copyOfRange(served, eval.size(), served.length);

        double asrBefore = Metrics.attackSuccessRate(Predictions.classes(victim.model, triggered, 256), triggered.labels(),
                PlantedBackdoor.TARGET);
        double asrAfter = Metrics.attackSuccessRate(servedTriggered, triggered.labels(), PlantedBackdoor.TARGET);
        assertTrue(asrBefore >= 0.9 && asrAfter <= 0.10, "ASR " + asrBefore + " -> " + asrAfter);
        double accBefore = Metrics.accuracy(Predictions.classes(victim.model, eval, 256), eval.labels());
        double accAfter = Metrics.accuracy(servedClean, eval.labels());
        assertTrue(accAfter >= accBefore - 0.02, "accuracy " + accBefore + " -> " + accAfter);
        System.out.printf(java.util.Locale.ROOT, "imported ViT served: ASR %.4f -> %.4f, accuracy %.4f -> %.4f%n",
                asrBefore, asrAfter, accBefore, accAfter);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
