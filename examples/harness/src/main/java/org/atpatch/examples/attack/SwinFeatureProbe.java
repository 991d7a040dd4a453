package org.atpatch.examples.attack;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.model.SwinTransformer;

/**
 * A Swin victim's hidden units: the pooled features its classifier head reads ({@link
 * SwinTransformer#pooledFeatures}), the last stage's tokens normalised and averaged. Swin has no
 * token-state points (its width doubles at each patch merging), so this is its deepest representation
 * that the Trojan search can excite; it is the penultimate layer, where Liu et al. pick their neurons.
 */
public final class SwinFeatureProbe implements HiddenUnits {

    private final Model model;
    private final SwinTransformer swin;

    /**
     * @param model an initialised model whose block is a {@link SwinTransformer}
     * @throws IllegalArgumentException when it is not
     */
    public SwinFeatureProbe(Model model) {
        if (!(model.getBlock() instanceof SwinTransformer s)) {
            throw new IllegalArgumentException("not a SwinTransformer: " + model.getBlock().getClass().getSimpleName());
        }
        this.model = model;
        this.swin = s;
    }

    @Override
    public NDArray pooled(ParameterStore store, NDArray batch) {
        return swin.pooledFeatures(store, batch, false);
    }

    /** @return the depth: the features after the last layer */
    @Override
    public int layer() {
        return AttentionLayers.of(swin).depth();
    }

    @Override
    public Model model() {
        return model;
    }
}
