package org.atpatch.djl;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import org.atpatch.core.TokenLayout;

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
}
