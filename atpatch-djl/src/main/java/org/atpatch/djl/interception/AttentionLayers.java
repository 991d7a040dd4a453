package org.atpatch.djl.interception;

import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.List;

/**
 * The interceptable blocks of a DJL block tree, found wherever they sit and numbered in forward
 * order: a depth-first walk over each block's children in insertion order, which is the order in
 * which DJL's sequential containers and AtPatch's own families call them. The walk assigns each
 * block its layer index, so layer {@code l} of a recorder, a detector and Q all mean the same block.
 *
 * @param attention the attention blocks, layer {@code l} at index {@code l}
 * @param tokenStatePoints the token-state points, layer {@code l} at index {@code l}
 */
public record AttentionLayers(
        List<InterceptableSelfAttention> attention, List<TokenStatePoint> tokenStatePoints) {

    /** Copies the lists. */
    public AttentionLayers {
        attention = List.copyOf(attention);
        tokenStatePoints = List.copyOf(tokenStatePoints);
    }

    /**
     * Finds and numbers the interceptable blocks under a root.
     *
     * @param root the model's block
     * @return the layers
     * @throws IllegalArgumentException when the tree holds no {@link InterceptableSelfAttention}
     */
    public static AttentionLayers of(Block root) {
        List<InterceptableSelfAttention> attn = new ArrayList<>();
        List<TokenStatePoint> points = new ArrayList<>();
        walk(root, attn, points);
        if (attn.isEmpty()) {
            throw new IllegalArgumentException("the model (" + root.getClass().getSimpleName()
                    + ") has no interceptable attention block: build its attention from "
                    + InterceptableSelfAttention.class.getName()
                    + " (or use VisionTransformer / FTTransformer) so AtPatch can see its maps");
        }
        for (int l = 0; l < attn.size(); l++) {
            attn.get(l).setLayer(l);
        }
        for (int l = 0; l < points.size(); l++) {
            points.get(l).setLayer(l);
        }
        return new AttentionLayers(attn, points);
    }

    private static void walk(Block b, List<InterceptableSelfAttention> attn, List<TokenStatePoint> points) {
        if (b instanceof InterceptableSelfAttention a) {
            attn.add(a);
            return;
        }
        if (b instanceof TokenStatePoint p) {
            points.add(p);
            return;
        }
        for (Block child : b.getChildren().values()) {
            walk(child, attn, points);
        }
    }

    /** @return L, the number of attention layers */
    public int depth() {
        return attention.size();
    }

    /** @return whether every attention layer has a token-state point, as token-state rules need */
    public boolean hasTokenStatePoints() {
        return tokenStatePoints.size() == attention.size();
    }

    /**
     * @param layer the layer
     * @return its head count
     */
    public int heads(int layer) {
        return attention.get(layer).heads();
    }
}
