package org.atpatch.djl;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.atpatch.djl.model.ParameterNames;

/**
 * The architecture fingerprint a patch bundle is checked against: the family's own description when
 * the model is an {@link InterceptableTransformer}, and for any model a SHA-256 over the names and
 * shapes of all its parameters and the head counts of its attention layers. Two models with the same
 * fingerprint produce maps of the same layers, heads and N; their weights may differ.
 *
 * <p>Parameters are hashed under their {@linkplain ParameterNames#canonical canonical names}, the
 * names of each layer's first parameter layout, so a change of layout leaves fingerprints, and the
 * bundles that store them, valid.
 *
 * <p>{@link #weightsOf} is the other half of what binds a bundle to its victim: a SHA-256 over every
 * parameter's values, so that a bundle trained for one set of weights is not used with another of
 * the same architecture (a retrained, fine-tuned or untrained copy), whose attention it has never seen.
 */
public final class ModelFingerprint {

    private ModelFingerprint() {}

    /**
     * @param root the model's initialised block
     * @return the fingerprint, e.g. {@code VisionTransformer(...)#3fa2…}
     */
    public static String of(Block root) {
        StringBuilder s = new StringBuilder();
        for (Pair<String, Parameter> p : ParameterNames.canonical(root)) {
            s.append(p.getKey()).append('=').append(p.getValue().getArray().getShape()).append(';');
        }
        AttentionLayers layers = AttentionLayers.of(root);
        for (int l = 0; l < layers.depth(); l++) {
            s.append("heads").append(l).append('=').append(layers.heads(l)).append(';');
        }
        String digest = sha256(s.toString()).substring(0, 16);
        String name = root instanceof InterceptableTransformer t ? t.fingerprint() : root.getClass().getSimpleName();
        return name + "#" + digest;
    }

    /**
     * A SHA-256 over the canonical name, shape, data type and bytes of every parameter. Reads every
     * parameter to the host once (about 0.2 s for 22 million parameters).
     *
     * @param root the model's initialised block
     * @return 64 hexadecimal digits
     */
    public static String weightsOf(Block root) {
        MessageDigest md = digest();
        for (Pair<String, Parameter> p : ParameterNames.canonical(root)) {
            ai.djl.ndarray.NDArray a = p.getValue().getArray();
            md.update((p.getKey() + '=' + a.getShape() + ':' + a.getDataType() + ';').getBytes(StandardCharsets.UTF_8));
            md.update(a.toByteBuffer());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String sha256(String s) {
        return HexFormat.of().formatHex(digest().digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
