package org.atpatch.djl.interception;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.atpatch.djl.model.internal.PreNormEncoderLayer;

/**
 * An identity block that is the interception point {@code layer.<l>.token_states}: the hidden
 * states {@code (batch, N, width)} entering a layer, on the residual stream. Token-state patch
 * rules act here (docs/architecture.md, "Design decisions": token-state rule). {@link
 * PreNormEncoderLayer} puts one in front of its attention; a custom architecture can do the same.
 */
public final class TokenStatePoint extends AbstractBlock {

    private volatile int layer = -1;
    private volatile AttentionInterceptor interceptor;

    /** Creates the point; its layer index is assigned by {@link AttentionLayers}. */
    public TokenStatePoint() {}

    /** @return the layer index, or -1 before wrapping */
    public int layer() {
        return layer;
    }

    void setLayer(int layer) {
        this.layer = layer;
    }

    void setInterceptor(AttentionInterceptor interceptor) {
        this.interceptor = interceptor;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray y = Interception.tokenStates(interceptor, layer, x);
        if (!y.getShape().equals(x.getShape())) {
            throw new IllegalStateException("an interceptor changed the shape of layer " + layer
                    + "'s token states from " + x.getShape() + " to " + y.getShape());
        }
        return new NDList(y);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
