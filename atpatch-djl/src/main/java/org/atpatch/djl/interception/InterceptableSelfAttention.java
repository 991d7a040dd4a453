package org.atpatch.djl.interception;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Multi-head self-attention whose post-softmax map passes through an interception point ({@code
 * layer.<l>.attn.probs}) between the softmax and {@code probs · V}. DJL's own transformer blocks keep
 * the probabilities private (final classes, private fields), hence this block (docs/architecture.md,
 * "Design decisions": own attention block).
 *
 * <p>Input and output {@code (batch, N, width)}. An optional second input, an additive score bias
 * {@code (batch, heads, N, N)} (a relative position bias, or a large negative value where a query
 * may not see a key, as in shifted-window attention), is added to {@code QKᵀ/√d} before the
 * softmax. The layer index is assigned when a model is wrapped: {@link AttentionLayers} numbers the
 * blocks of a tree in forward order.
 */
public final class InterceptableSelfAttention extends AbstractBlock {

    private final int width;
    private final int heads;
    private final Linear qkv;
    private final Linear out;
    private volatile int layer = -1;
    private volatile AttentionInterceptor interceptor;

    private InterceptableSelfAttention(Builder builder) {
        this.width = builder.width;
        this.heads = builder.heads;
        this.qkv = addChildBlock("qkv", Linear.builder().setUnits(3L * width).build());
        this.out = addChildBlock("out", Linear.builder().setUnits(width).build());
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the head count */
    public int heads() {
        return heads;
    }

    /** @return the model width */
    public int width() {
        return width;
    }

    /** @return the layer index assigned by {@link AttentionLayers}, or -1 before wrapping */
    public int layer() {
        return layer;
    }

    void setLayer(int layer) {
        this.layer = layer;
    }

    /**
     * @return the interceptor installed model-wide with {@link Interception#setModelWide}, or null; a
     *     patched model reads it to decide whether it owns the maps it patches in place
     */
    public AttentionInterceptor interceptor() {
        return interceptor;
    }

    void setInterceptor(AttentionInterceptor interceptor) {
        this.interceptor = interceptor;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        if (inputs.isEmpty() || inputs.size() > 2) {
            throw new IllegalArgumentException("attention layer " + layer
                    + " takes the tokens and optionally a score bias, got " + inputs.size() + " inputs");
        }
        NDArray x = inputs.get(0);
        Shape s = x.getShape();
        if (s.dimension() != 3 || s.get(2) != width) {
            throw new IllegalArgumentException(
                    "attention layer " + layer + " expects (batch, N, " + width + "), got " + s);
        }
        long b = s.get(0);
        long n = s.get(1);
        long dh = width / heads;
        NDArray qkvOut = qkv.forward(ps, new NDList(x), training).singletonOrThrow();
        // (B, N, 3, H, dh) -> (3, B, H, N, dh)
        NDArray split = qkvOut.reshape(b, n, 3, heads, dh).transpose(2, 0, 3, 1, 4);
        NDArray q = split.get(0);
        NDArray k = split.get(1);
        NDArray v = split.get(2);
        // The scale is a tensor of the batch's manager, not a Number: DJL's div(Number) closes its
        // temporary scalar at once, and autograd would read freed memory in backward.
        NDArray scale = x.getManager().create((float) (1.0 / Math.sqrt(dh))).toDevice(x.getDevice(), false);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale);
        if (inputs.size() == 2) {
            NDArray bias = inputs.get(1);
            if (!bias.getShape().equals(scores.getShape())) {
                throw new IllegalArgumentException("attention layer " + layer + "'s score bias must be shaped "
                        + scores.getShape() + ", got " + bias.getShape());
            }
            scores = scores.add(bias);
        }
        NDArray probs = scores.softmax(-1);
        probs = Interception.attention(interceptor, layer, probs);
        if (!probs.getShape().equals(new Shape(b, heads, n, n))) {
            throw new IllegalStateException("an interceptor changed the shape of layer " + layer
                    + "'s attention map to " + probs.getShape());
        }
        NDArray context = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, n, width);
        return out.forward(ps, new NDList(context), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        qkv.initialize(manager, dataType, inputShapes[0]);
        out.initialize(manager, dataType, inputShapes[0]);
    }

    /** Builds an {@link InterceptableSelfAttention}. */
    public static final class Builder {
        private int width;
        private int heads;

        private Builder() {}

        /**
         * @param width the model width; a multiple of the head count
         * @return this
         */
        public Builder setWidth(int width) {
            this.width = width;
            return this;
        }

        /**
         * @param heads the head count
         * @return this
         */
        public Builder setHeads(int heads) {
            this.heads = heads;
            return this;
        }

        /** @return the block */
        public InterceptableSelfAttention build() {
            if (width <= 0 || heads <= 0 || width % heads != 0) {
                throw new IllegalArgumentException(
                        "width " + width + " must be a positive multiple of heads " + heads);
            }
            return new InterceptableSelfAttention(this);
        }
    }
}
