package org.atpatch.djl.weights;

import ai.djl.util.JsonUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How a source library names and sizes a ViT, kept as data (a JSON file): where each size lives in
 * the source's configuration, the source's defaults, and one rule per tensor mapping source names onto
 * the dotted parameter paths of {@link org.atpatch.djl.model.VisionTransformer} ({@link
 * org.atpatch.djl.model.ParameterNames#dotted}). Two profiles ship with the library, {@link #timmVit()}
 * and {@link #huggingFaceVit()}; {@link #load(Path)} reads one of the same form for another source.
 *
 * <p>The file: {@code name}; {@code config}, for each size ({@code imageSize}, {@code patchSize},
 * {@code channels}, {@code width}, {@code depth}, {@code heads}, {@code mlpRatio} or {@code mlpHidden},
 * {@code classes}, {@code layerNormEpsilon}, {@code activation}, {@code qkvBias}) the configuration keys
 * to try in order (a dotted key descends into objects, {@code key#size} counts an object's entries);
 * {@code defaults}, the value when no key is present; {@code tensors}, rules {@code {"source" | "sources",
 * "target", "transform"?}} where {@code {i}} stands for the layer index, {@code sources} are concatenated
 * along axis 0 (separate query, key and value into the fused {@code qkv}) and {@code "transform":
 * "flatten"} reshapes a convolution kernel {@code (width, C, p, p)} into the linear patch embedding's
 * {@code (width, C·p·p)}, which keeps its element order.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class ImportProfile {

    private final String name;
    private final JsonObject config;
    private final JsonObject defaults;
    private final List<Rule> rules;

    private ImportProfile(String name, JsonObject config, JsonObject defaults, List<Rule> rules) {
        this.name = name;
        this.config = config;
        this.defaults = defaults;
        this.rules = Collections.unmodifiableList(rules);
    }

    /**
     * timm's {@code VisionTransformer} with a class token and token pooling: {@code cls_token}, {@code
     * pos_embed}, {@code patch_embed.proj} (a convolution), {@code blocks.{i}.attn.qkv} fused, {@code
     * norm}, {@code head}. timm's configuration keys ({@code embed_dim}, {@code depth}, {@code
     * num_heads}, ... at the top level or under {@code model_args}); the head count has no default.
     *
     * @return the profile
     */
    public static ImportProfile timmVit() {
        return resource("timm-vit.json");
    }

    /**
     * Hugging Face's {@code ViTForImageClassification}: {@code vit.embeddings.*}, {@code
     * vit.encoder.layer.{i}.attention.attention.{query,key,value}} concatenated into the fused {@code
     * qkv}, {@code vit.layernorm}, {@code classifier}; sizes from its {@code config.json}.
     *
     * @return the profile
     */
    public static ImportProfile huggingFaceVit() {
        return resource("hf-vit.json");
    }

    /**
     * @param file a profile of the form described above
     * @return the profile
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException when it is not a valid profile
     */
    public static ImportProfile load(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(r, file.toString());
        }
    }

    private static ImportProfile resource(String file) {
        try (InputStream in = ImportProfile.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException("the profile resource " + file + " is missing from the jar");
            }
            return parse(new InputStreamReader(in, StandardCharsets.UTF_8), file);
        } catch (IOException e) {
            throw new IllegalStateException("the profile resource " + file + " cannot be read", e);
        }
    }

    private static ImportProfile parse(Reader reader, String where) {
        try {
            JsonObject o = JsonUtils.GSON.fromJson(reader, JsonObject.class);
            List<Rule> rules = new ArrayList<>();
            for (JsonElement e : o.getAsJsonArray("tensors")) {
                JsonObject r = e.getAsJsonObject();
                List<String> sources = new ArrayList<>();
                if (r.has("sources")) {
                    r.getAsJsonArray("sources").forEach(s -> sources.add(s.getAsString()));
                } else {
                    sources.add(r.get("source").getAsString());
                }
                String transform = r.has("transform") ? r.get("transform").getAsString() : "";
                if (!transform.isEmpty() && !"flatten".equals(transform)) {
                    throw new IllegalArgumentException("unknown transform '" + transform + "'");
                }
                rules.add(new Rule(List.copyOf(sources), r.get("target").getAsString(), "flatten".equals(transform)));
            }
            return new ImportProfile(o.get("name").getAsString(), o.getAsJsonObject("config"), o.getAsJsonObject("defaults"),
                    rules);
        } catch (JsonParseException | IllegalStateException | NullPointerException | ClassCastException
                | UnsupportedOperationException e) {
            throw new IllegalArgumentException(where + " is not a valid import profile: " + e.getMessage(), e);
        }
    }

    /** @return the profile's name, e.g. {@code timm-vit} */
    public String name() {
        return name;
    }

    /** @return the tensor rules, in file order */
    public List<Rule> rules() {
        return rules;
    }

    /**
     * Reads a source configuration through this profile, falling back on its defaults.
     *
     * @param source the source's configuration ({@code config.json}), may be empty
     * @return the sizes
     * @throws IllegalArgumentException when a size is neither configured nor defaulted, the image is
     *     not square, or the source uses an activation or attention layout the library's ViT does not
     *     compute (anything but exact GELU, attention without q/k/v biases)
     */
    public VitConfig readConfig(JsonObject source) {
        int image = squareSide(value(source, "imageSize"), "imageSize");
        int patch = squareSide(value(source, "patchSize"), "patchSize");
        int width = value(source, "width").getAsInt();
        double mlpRatio = config.has("mlpHidden")
                ? value(source, "mlpHidden").getAsDouble() / width
                : value(source, "mlpRatio").getAsDouble();
        String activation = value(source, "activation").getAsString();
        if (!"gelu".equals(activation)) {
            throw new IllegalArgumentException(name + ": the source uses activation '" + activation
                    + "'; the library's ViT computes exact (erf) GELU only");
        }
        if (!value(source, "qkvBias").getAsBoolean()) {
            throw new IllegalArgumentException(name + ": the source's attention has no q/k/v bias; the library's ViT"
                    + " has one (convert by adding zero biases to the weights)");
        }
        return new VitConfig(image, patch, value(source, "channels").getAsInt(), width,
                value(source, "depth").getAsInt(), value(source, "heads").getAsInt(), mlpRatio,
                value(source, "classes").getAsInt(), value(source, "layerNormEpsilon").getAsFloat());
    }

    private static int squareSide(JsonElement v, String what) {
        if (v.isJsonArray()) {
            JsonArray a = v.getAsJsonArray();
            if (a.size() != 2 || a.get(0).getAsInt() != a.get(1).getAsInt()) {
                throw new IllegalArgumentException(what + " " + a + " is not square; the library's ViT takes square sizes");
            }
            return a.get(0).getAsInt();
        }
        return v.getAsInt();
    }

    private JsonElement value(JsonObject source, String size) {
        List<String> tried = new ArrayList<>();
        if (config.has(size)) {
            for (JsonElement k : config.getAsJsonArray(size)) {
                String key = k.getAsString();
                tried.add(key);
                JsonElement v = lookup(source, key);
                if (v != null) {
                    return v;
                }
            }
        }
        if (defaults.has(size)) {
            return defaults.get(size);
        }
        throw new IllegalArgumentException(name + ": the configuration gives no " + size
                + (tried.isEmpty() ? "" : " (looked for " + String.join(", ", tried) + ")") + " and the profile has no default");
    }

    private static JsonElement lookup(JsonObject source, String key) {
        boolean count = key.endsWith("#size");
        String path = count ? key.substring(0, key.length() - "#size".length()) : key;
        JsonElement at = source;
        for (String step : path.split("\\.")) {
            if (at == null || !at.isJsonObject() || !at.getAsJsonObject().has(step)) {
                return null;
            }
            at = at.getAsJsonObject().get(step);
        }
        if (at == null || at.isJsonNull()) {
            return null;
        }
        if (count) {
            return at.isJsonObject() ? new com.google.gson.JsonPrimitive(at.getAsJsonObject().size()) : null;
        }
        return at;
    }

    /**
     * One tensor rule.
     *
     * @param sources source names, {@code {i}} for the layer index; several are concatenated on axis 0
     * @param target the dotted parameter path, {@code {i}} for the layer index
     * @param flatten whether a 4-D source is flattened to the target's 2-D shape
     */
    public record Rule(List<String> sources, String target, boolean flatten) {

        /** @return whether the rule repeats for every layer */
        public boolean perLayer() {
            return target.contains("{i}");
        }

        /**
         * @param layer the layer index (ignored for rules that are not per layer)
         * @return the sources with the index in place
         */
        public List<String> sourcesAt(int layer) {
            List<String> out = new ArrayList<>();
            sources.forEach(s -> out.add(s.replace("{i}", Integer.toString(layer))));
            return out;
        }

        /**
         * @param layer the layer index (ignored for rules that are not per layer)
         * @return the target with the index in place
         */
        public String targetAt(int layer) {
            return target.replace("{i}", Integer.toString(layer));
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "ImportProfile(%s, %d rules)", name, rules.size());
    }

    /** @return the defaults as a map, for documentation and tests */
    public Map<String, String> defaults() {
        Map<String, String> out = new LinkedHashMap<>();
        defaults.entrySet().forEach(e -> out.put(e.getKey(), e.getValue().toString()));
        return out;
    }
}
