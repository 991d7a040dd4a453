package org.atpatch.djl.model;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.atpatch.djl.model.internal.ParameterLayout;
import org.atpatch.djl.model.internal.PreNormEncoderLayer;

/**
 * The parameters of a block tree under their canonical names: DJL's names and order ({@link
 * Block#getParameters()}), except that each {@link PreNormEncoderLayer} names and orders its own
 * parameters as version 1 of its kind's {@link ParameterLayout} did. The canonical names of a model
 * therefore stay the same when a layer's layout changes, which is what an architecture fingerprint
 * needs: a patch bundle saved for a victim before a layout change still matches it after.
 *
 * <p>Stateless; safe to call from several threads on a tree nobody is changing.
 */
public final class ParameterNames {

    private static final Pattern ORDINAL = Pattern.compile("^\\d{2}");

    private ParameterNames() {}

    /**
     * @param root a block tree, any architecture
     * @return every parameter once, with its canonical name, in canonical order
     */
    public static List<Pair<String, Parameter>> canonical(Block root) {
        List<Pair<String, Parameter>> out = new ArrayList<>();
        collect(root, "", out);
        return out;
    }

    /**
     * The parameters of a block tree under their dotted paths: each block's child name without DJL's
     * two-digit ordinal prefix, joined by dots, then the parameter's short name, in DJL's order. For a
     * {@link VisionTransformer}: {@code patch_embedding.weight}, {@code cls}, {@code position}, {@code
     * layer0.norm1.gamma}, {@code layer0.attn.qkv.weight}, {@code layer0.attn.out.weight}, {@code
     * layer0.fc1.weight}, {@code layer0.fc2.bias}, ..., {@code norm.beta}, {@code head.weight}. These
     * are the names weight-import profiles map onto; unlike DJL's names they do not change when a
     * child is added before another.
     *
     * @param root a block tree, any architecture
     * @return every parameter once, by dotted path, in DJL's order
     */
    public static Map<String, Parameter> dotted(Block root) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collectDotted(root, "", out);
        return out;
    }

    private static void collectDotted(Block block, String prefix, Map<String, Parameter> out) {
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            out.put(prefix + p.getKey(), p.getValue());
        }
        for (Pair<String, Block> child : block.getChildren()) {
            collectDotted(child.getValue(), prefix + ORDINAL.matcher(child.getKey()).replaceFirst("") + ".", out);
        }
    }

    private static void collect(Block block, String prefix, List<Pair<String, Parameter>> out) {
        if (block instanceof PreNormEncoderLayer layer) {
            for (Pair<String, Parameter> p : layer.parametersAsVersion(1)) {
                out.add(new Pair<>(prefix + p.getKey(), p.getValue()));
            }
            return;
        }
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            out.add(new Pair<>(prefix + p.getKey(), p.getValue()));
        }
        for (Pair<String, Block> child : block.getChildren()) {
            collect(child.getValue(), prefix + child.getKey() + "_", out);
        }
    }
}
