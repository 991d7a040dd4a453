package org.atpatch.examples.attack;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.atpatch.djl.interception.AttentionInterceptor;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.interception.Interception;
import org.atpatch.djl.interception.TokenStatePoint;

/**
 * Reads a model's hidden units: the hidden states entering one layer (its {@link TokenStatePoint},
 * {@code layer.<l>.token_states}), averaged over the token axis into one {@code width}-vector per
 * sample. Averaging over tokens works for every family with token-state points and with or without a
 * CLS token. The states are read through a per-call interceptor that returns them unchanged, so the
 * forward is the model's own and autograd reaches the input through them.
 */
public final class TokenStateProbe implements HiddenUnits {

    private final Model model;
    private final int layer;

    /**
     * @param model an initialised model with token-state points ({@code VisionTransformer}, {@code T2TViT}, ...)
     * @param layer the layer whose input states are read
     * @throws IllegalArgumentException when the model has no such token-state point
     */
    public TokenStateProbe(Model model, int layer) {
        List<TokenStatePoint> points = AttentionLayers.of(model.getBlock()).tokenStatePoints();
        if (layer < 0 || layer >= points.size()) {
            throw new IllegalArgumentException("the model has " + points.size() + " token-state points (layers 0.."
                    + (points.size() - 1) + "), cannot read layer " + layer
                    + (points.isEmpty() ? ": its layers expose no hidden states (e.g. SwinTransformer)" : ""));
        }
        this.model = model;
        this.layer = layer;
    }

    /**
     * The probe on the deepest token-state point: the hidden states entering the last layer.
     *
     * @param model an initialised model with token-state points
     * @return the probe
     */
    public static TokenStateProbe lastLayer(Model model) {
        return new TokenStateProbe(model, AttentionLayers.of(model.getBlock()).tokenStatePoints().size() - 1);
    }

    /** @return the layer read */
    @Override
    public int layer() {
        return layer;
    }

    /**
     * The token-averaged states of a batch, inside the caller's graph.
     *
     * @param store the parameter store of the forward (e.g. a frozen one, for gradients to the input)
     * @param batch the input batch
     * @return {@code (batch, width)}
     */
    @Override
    public NDArray pooled(ParameterStore store, NDArray batch) {
        NDArray[] seen = new NDArray[1];
        AttentionInterceptor capture = new AttentionInterceptor() {
            @Override
            public NDArray onTokenStates(int l, NDArray states) {
                if (l == layer) {
                    seen[0] = states;
                }
                return states;
            }
        };
        try (Interception.Scope scope = Interception.open(capture)) {
            model.getBlock().forward(store, new NDList(batch), false);
        }
        if (seen[0] == null) {
            throw new IllegalStateException("the forward never passed layer " + layer + "'s token-state point");
        }
        return seen[0].mean(new int[] {1});
    }

    @Override
    public Model model() {
        return model;
    }
}
