package org.atpatch.djl.weights;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.JsonUtils;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.atpatch.djl.model.ParameterNames;
import org.atpatch.djl.model.VisionTransformer;

/**
 * Imports a ViT trained elsewhere (a PyTorch state dict saved as {@code .safetensors}, {@code .npz} or
 * {@code .npy}) into the library's {@link VisionTransformer}, which AtPatch can wrap. The model is
 * built from the source's configuration read through an {@link ImportProfile}, and the import is
 * all-or-nothing: every tensor of the file must be consumed by a rule and every parameter of the model
 * filled, with the shape the configuration implies; otherwise a {@link MalformedModelException} lists
 * each unmapped, missing and mis-shaped tensor by name.
 *
 * <pre>{@code
 * Model victim = WeightImporter.builder()
 *         .setProfile(ImportProfile.timmVit())
 *         .setWeights(Path.of("model.safetensors"))
 *         .optConfig(Path.of("config.json"))
 *         .build()
 *         .importModel();
 * }</pre>
 *
 * <p>What the imported model computes is what the source computes, within float32 rounding, when the
 * source is a pre-norm ViT with a class token at column 0, learned position embeddings, exact GELU,
 * q/k/v biases and the head on the class token's final-norm state, which is what both shipped profiles
 * describe; the LayerNorm epsilon is the source's. Not thread-safe; each {@link #importModel()} makes a
 * new model.
 */
public final class WeightImporter {

    private final ImportProfile profile;
    private final Path weights;
    private final Path config;
    private final String modelName;
    private final Device device;

    private WeightImporter(Builder b) {
        profile = b.profile;
        weights = b.weights;
        config = b.config;
        modelName = b.modelName;
        device = b.device;
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @return the sizes read from the configuration file (or the profile's defaults when there is none)
     * @throws IOException when the configuration cannot be read
     * @throws IllegalArgumentException when it is not JSON or lacks a size the profile cannot default
     */
    public VitConfig readConfig() throws IOException {
        JsonObject source = new JsonObject();
        if (config != null) {
            if (!Files.isRegularFile(config)) {
                throw new NoSuchFileException(config.toString(), null, "no model configuration there");
            }
            try (Reader r = Files.newBufferedReader(config, StandardCharsets.UTF_8)) {
                source = JsonUtils.GSON.fromJson(r, JsonObject.class);
            } catch (JsonParseException e) {
                throw new IllegalArgumentException(config + " is not a JSON object: " + e.getMessage(), e);
            }
        }
        return profile.readConfig(source);
    }

    /**
     * Builds the model from the configuration and fills it from the weight file.
     *
     * @return a new PyTorch {@link Model} whose block is an initialised {@link VisionTransformer} in
     *     float32; the caller closes it
     * @throws IOException when a file cannot be read
     * @throws MalformedModelException when the weights do not fit the profile and configuration (the
     *     message lists every offending tensor)
     */
    public Model importModel() throws IOException, MalformedModelException {
        VitConfig sizes = readConfig();
        VisionTransformer vit = sizes.toBuilder().build();
        Model model = Model.newInstance(modelName, device, "PyTorch");
        boolean done = false;
        try {
            model.setBlock(vit);
            vit.initialize(model.getNDManager(), DataType.FLOAT32,
                    new Shape(1, sizes.channels(), sizes.imageSize(), sizes.imageSize()));
            try (NDManager scratch = model.getNDManager().newSubManager()) {
                fill(vit, sizes, TensorFile.read(scratch, weights));
            }
            done = true;
            return model;
        } finally {
            if (!done) {
                model.close();
            }
        }
    }

    private void fill(VisionTransformer vit, VitConfig sizes, Map<String, NDArray> tensors) throws MalformedModelException {
        Map<String, Parameter> targets = ParameterNames.dotted(vit);
        Set<String> consumed = new HashSet<>();
        Set<String> filled = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        for (ImportProfile.Rule rule : profile.rules()) {
            int times = rule.perLayer() ? sizes.depth() : 1;
            for (int l = 0; l < times; l++) {
                String target = rule.targetAt(l);
                Parameter p = targets.get(target);
                if (p == null) {
                    throw new IllegalStateException(profile.name() + " maps onto '" + target + "', which the model lacks");
                }
                List<String> sources = rule.sourcesAt(l);
                NDList parts = new NDList();
                for (String s : sources) {
                    NDArray a = tensors.get(s);
                    if (a == null) {
                        problems.add("missing: '" + s + "' (for " + target + ")");
                    } else {
                        parts.add(a);
                        consumed.add(s);
                    }
                }
                if (parts.size() != sources.size()) {
                    continue;
                }
                NDArray value = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
                Shape want = p.getArray().getShape();
                if (rule.flatten() && value.getShape().dimension() == 4 && value.size() == want.size()
                        && value.getShape().get(0) == want.get(0)) {
                    value = value.reshape(want);
                }
                if (!value.getShape().equals(want)) {
                    problems.add("mis-shaped: " + describe(sources, parts) + " for " + target + " " + want
                            + ", which the configuration (" + sizes + ") implies");
                    continue;
                }
                p.getArray().set(value.toFloatArray());
                filled.add(target);
            }
        }
        for (String name : tensors.keySet()) {
            if (!consumed.contains(name)) {
                problems.add("unmapped: '" + name + "' " + tensors.get(name).getShape()
                        + " (no rule of " + profile.name() + " takes it, or the configuration has fewer layers)");
            }
        }
        for (String target : targets.keySet()) {
            if (!filled.contains(target) && profile.rules().stream().noneMatch(r -> covers(r, target, sizes.depth()))) {
                problems.add("not filled: parameter " + target + " (no rule of " + profile.name() + " fills it)");
            }
        }
        if (!problems.isEmpty()) {
            throw new MalformedModelException(weights + " does not fit profile " + profile.name() + " with "
                    + sizes + ":\n  " + String.join("\n  ", problems));
        }
    }

    private static boolean covers(ImportProfile.Rule r, String target, int depth) {
        int times = r.perLayer() ? depth : 1;
        for (int l = 0; l < times; l++) {
            if (r.targetAt(l).equals(target)) {
                return true;
            }
        }
        return false;
    }

    private static String describe(List<String> sources, NDList parts) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            out.add("'" + sources.get(i) + "' " + parts.get(i).getShape());
        }
        return String.join(" + ", out);
    }

    /** Builds a {@link WeightImporter}: profile and weights are required. */
    public static final class Builder {
        private ImportProfile profile;
        private Path weights;
        private Path config;
        private String modelName = "imported-vit";
        private Device device;

        private Builder() {}

        /**
         * @param v the source's naming and sizing ({@link ImportProfile#timmVit()}, {@link
         *     ImportProfile#huggingFaceVit()} or one loaded from a file)
         * @return this
         */
        public Builder setProfile(ImportProfile v) {
            profile = v;
            return this;
        }

        /**
         * @param v the weight file: {@code .safetensors}, {@code .npz} or {@code .npy}
         * @return this
         */
        public Builder setWeights(Path v) {
            weights = v;
            return this;
        }

        /**
         * @param v the source's configuration ({@code config.json}); without it, the profile's defaults
         * @return this
         */
        public Builder optConfig(Path v) {
            config = v;
            return this;
        }

        /**
         * @param v the DJL model's name (default {@code imported-vit})
         * @return this
         */
        public Builder optModelName(String v) {
            modelName = v;
            return this;
        }

        /**
         * @param v the device the model lives on (default: the engine's default device)
         * @return this
         */
        public Builder optDevice(Device v) {
            device = v;
            return this;
        }

        /**
         * @return the importer
         * @throws IllegalArgumentException when the profile or weight file is not set
         */
        public WeightImporter build() {
            if (profile == null) {
                throw new IllegalArgumentException("an import profile is required (setProfile)");
            }
            if (weights == null) {
                throw new IllegalArgumentException("a weight file is required (setWeights)");
            }
            return new WeightImporter(this);
        }
    }
}
