package org.atpatch.djl.weights;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.atpatch.detector.DjlOffline;

/**
 * The conformance fixtures written by {@code tools/import-fixtures/make_vit_fixtures.py}: small
 * random-weight ViTs (image 16, patch 4, 3 channels, width 32, depth 2, 4 heads, MLP 64, 5 classes)
 * in timm's and Hugging Face's layouts, with six inputs, their logits and head-averaged attention.
 */
public final class ImportFixtures {

    public static final int DEPTH = 2;
    public static final int HEADS = 4;
    public static final int WIDTH = 32;
    public static final int N = 17;
    public static final int CLASSES = 5;
    public static final int BATCH = 6;

    static {
        DjlOffline.configure();
    }

    private ImportFixtures() {}

    public static Path file(String name) {
        try {
            return Path.of(ImportFixtures.class.getResource("/import/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource /import/" + name, e);
        }
    }

    /** @return inputs (B, 3, 16, 16), logits (B, 5) and attention (B, depth, N, N) of the reference */
    public static Map<String, NDArray> expected(NDManager manager, String layout) throws IOException, MalformedModelException {
        return TensorFile.read(manager, file(layout + ".expected.npz"));
    }

    public static Model timm(String weights) throws IOException, MalformedModelException {
        return WeightImporter.builder().setProfile(ImportProfile.timmVit()).setWeights(file(weights))
                .optConfig(file("timm-vit.config.json")).build().importModel();
    }

    public static Model huggingFace() throws IOException, MalformedModelException {
        return WeightImporter.builder().setProfile(ImportProfile.huggingFaceVit()).setWeights(file("hf-vit.safetensors"))
                .optConfig(file("hf-vit.config.json")).build().importModel();
    }
}
