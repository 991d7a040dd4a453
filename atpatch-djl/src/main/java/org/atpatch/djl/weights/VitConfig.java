package org.atpatch.djl.weights;

import com.google.gson.JsonObject;
import java.util.Locale;
import org.atpatch.djl.model.VisionTransformer;

/**
 * The sizes of a {@link VisionTransformer}, as an import profile reads them from a source's
 * configuration or a deployable directory stores them: everything needed to rebuild the same
 * architecture, LayerNorm epsilon included (it is not a parameter, so weights alone do not carry
 * it). Immutable; safe to share between threads.
 *
 * @param imageSize square image side in pixels
 * @param patchSize patch side in pixels; divides {@code imageSize}
 * @param channels input channels
 * @param width model width
 * @param depth encoder layers
 * @param heads attention heads; divide {@code width}
 * @param mlpRatio MLP hidden width over {@code width}
 * @param classes output classes
 * @param layerNormEpsilon the epsilon of every LayerNorm
 */
public record VitConfig(int imageSize, int patchSize, int channels, int width, int depth, int heads, double mlpRatio,
        int classes, float layerNormEpsilon) {

    /**
     * @param vit a built vision transformer
     * @return its sizes
     */
    public static VitConfig of(VisionTransformer vit) {
        ai.djl.ndarray.types.Shape sample = vit.sampleInputShape();
        return new VitConfig((int) sample.get(1), vit.patchSize(), (int) sample.get(0), vit.width(), vit.depth(), vit.heads(),
                vit.mlpRatio(), vit.classes(), vit.layerNormEpsilon());
    }

    /** @return a builder of the model these sizes describe (validated by its {@code build()}) */
    public VisionTransformer.Builder toBuilder() {
        return VisionTransformer.builder()
                .setImageSize(imageSize)
                .setPatchSize(patchSize)
                .optChannels(channels)
                .setWidth(width)
                .setDepth(depth)
                .setHeads(heads)
                .optMlpRatio(mlpRatio)
                .setClasses(classes)
                .optLayerNormEpsilon(layerNormEpsilon);
    }

    /** @return the tokens per sample: the patches and CLS */
    public int tokens() {
        int g = imageSize / patchSize;
        return g * g + 1;
    }

    /** @return the sizes as a JSON object with the component names as keys */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("family", "VisionTransformer");
        o.addProperty("imageSize", imageSize);
        o.addProperty("patchSize", patchSize);
        o.addProperty("channels", channels);
        o.addProperty("width", width);
        o.addProperty("depth", depth);
        o.addProperty("heads", heads);
        o.addProperty("mlpRatio", mlpRatio);
        o.addProperty("classes", classes);
        o.addProperty("layerNormEpsilon", layerNormEpsilon);
        return o;
    }

    /**
     * @param o an object written by {@link #toJson()}
     * @return the sizes
     * @throws IllegalArgumentException when a key is missing, or the family is not a VisionTransformer
     */
    public static VitConfig fromJson(JsonObject o) {
        String family = o.has("family") ? o.get("family").getAsString() : "";
        if (!"VisionTransformer".equals(family)) {
            throw new IllegalArgumentException("the model configuration describes family '" + family
                    + "'; only VisionTransformer can be loaded from a configuration");
        }
        return new VitConfig(intOf(o, "imageSize"), intOf(o, "patchSize"), intOf(o, "channels"), intOf(o, "width"),
                intOf(o, "depth"), intOf(o, "heads"), require(o, "mlpRatio").getAsDouble(), intOf(o, "classes"),
                require(o, "layerNormEpsilon").getAsFloat());
    }

    private static int intOf(JsonObject o, String key) {
        return require(o, key).getAsInt();
    }

    private static com.google.gson.JsonElement require(JsonObject o, String key) {
        if (!o.has(key) || o.get(key).isJsonNull()) {
            throw new IllegalArgumentException("the model configuration lacks '" + key + "'");
        }
        return o.get(key);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "image %d, patch %d, channels %d, width %d, depth %d, heads %d, MLP ratio %s,"
                + " classes %d, LayerNorm epsilon %s", imageSize, patchSize, channels, width, depth, heads, mlpRatio,
                classes, layerNormEpsilon);
    }
}
