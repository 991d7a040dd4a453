package org.atpatch.djl.interception;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import org.atpatch.core.TokenLayout;
import org.atpatch.djl.model.SwinTransformer;

/**
 * A transformer family shipped with AtPatch, built from interceptable blocks, that describes itself:
 * the input it takes, what its token columns stand for, and an architecture fingerprint that bundles
 * are checked against. User architectures need not implement it; the patched model then skips the
 * checks it enables.
 */
public interface InterceptableTransformer extends Block {

    /** @return the shape of one sample's input, without the batch axis */
    Shape sampleInputShape();

    /** @return what each token column stands for */
    TokenLayout tokenLayout();

    /** @return the number of attention layers L */
    int depth();

    /** @return the heads per layer */
    int heads();

    /** @return the model width */
    int width();

    /** @return a stable string naming the architecture and every size that shapes its maps */
    String fingerprint();

    /**
     * The columns of each sample that the detector may flag, for families whose special columns
     * differ per sample (a text model's {@code [SEP]} and padding). The patched model multiplies the
     * detector's probabilities by it, so an ineligible column is never flagged and never patched.
     * The default, null, means every sample follows {@link TokenLayout#flaggable()}.
     *
     * @param input the batch the model is given, {@code (batch, sampleInputShape())}
     * @return {@code (batch, N)} booleans, true where a column may be flagged, on the input's device,
     *     or null
     */
    default NDArray flaggableColumns(NDArray input) {
        return null;
    }

    /**
     * How many attention maps a layer produces per sample: 1 for the families whose maps are
     * {@code (batch, H, N, N)}; the window count for windowed attention ({@link SwinTransformer}),
     * whose maps are {@code (batch · windows, H, N, N)}, sample-major.
     *
     * @param layer an attention layer
     * @return maps per sample, at least 1
     */
    default int mapsPerSample(int layer) {
        return 1;
    }

    /**
     * @return the first layer with more than one map per sample ({@link #mapsPerSample}), or -1 when
     *     every layer has one map per sample
     */
    default int firstWindowedLayer() {
        for (int l = 0; l < depth(); l++) {
            if (mapsPerSample(l) != 1) {
                return l;
            }
        }
        return -1;
    }

    /**
     * The tokens of one sample that flags from every layer are collected on: N for the families with
     * one map per sample; for windowed attention, the finest token grid, since a window's column
     * stands for a different token in every layer (shift, patch merging).
     *
     * @return the size of the per-sample token space
     */
    default int sampleTokens() {
        return tokenLayout().size();
    }

    /**
     * Maps per-map column values of a layer into the sample's token space: each sample token takes
     * the value of the one map column of this layer that stands for it. The identity for one map per
     * sample.
     *
     * @param layer an attention layer
     * @param perMap {@code (B · mapsPerSample(layer), N)} floats
     * @return {@code (B, sampleTokens())} floats
     */
    default NDArray foldToSample(int layer, NDArray perMap) {
        return perMap;
    }

    /**
     * The inverse direction: for each map column of a layer, the largest value over the sample tokens
     * it stands for (a column flagged when any of its tokens is). The identity for one map per sample.
     *
     * @param layer an attention layer
     * @param perSample {@code (B, sampleTokens())} floats
     * @return {@code (B · mapsPerSample(layer), N)} floats
     */
    default NDArray unfoldToMaps(int layer, NDArray perSample) {
        return perSample;
    }
}
