package org.atpatch.djl.model.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.atpatch.djl.interception.InterceptableSelfAttention;
import org.atpatch.djl.interception.TokenStatePoint;

/**
 * A pre-norm transformer encoder layer: {@code x = x + Attn(LN(x)); x = x + MLP(LN(x))}, with a
 * {@link TokenStatePoint} on {@code x} as it enters and an {@link InterceptableSelfAttention}.
 * Input and output {@code (batch, N, width)}.
 */
public final class PreNormEncoderLayer extends AbstractBlock {

    private final TokenStatePoint tokenStates;
    private final LayerNorm norm1;
    private final InterceptableSelfAttention attention;
    private final LayerNorm norm2;
    private final Linear fc1;
    private final Linear fc2;

    /**
     * @param width the model width
     * @param heads the attention heads
     * @param mlpRatio hidden width of the MLP as a multiple of {@code width}
     */
    public PreNormEncoderLayer(int width, int heads, double mlpRatio) {
        if (!(mlpRatio > 0)) {
            throw new IllegalArgumentException("MLP ratio must be positive, got " + mlpRatio);
        }
        tokenStates = addChildBlock("token_states", new TokenStatePoint());
        norm1 = addChildBlock("norm1", LayerNorm.builder().axis(2).build());
        attention = addChildBlock(
                "attn", InterceptableSelfAttention.builder().setWidth(width).setHeads(heads).build());
        norm2 = addChildBlock("norm2", LayerNorm.builder().axis(2).build());
        fc1 = addChildBlock("fc1", Linear.builder().setUnits(Math.round(width * mlpRatio)).build());
        fc2 = addChildBlock("fc2", Linear.builder().setUnits(width).build());
    }

    /** @return the layer's attention block */
    public InterceptableSelfAttention attention() {
        return attention;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = tokenStates.forward(ps, inputs, training).singletonOrThrow();
        NDArray h = norm1.forward(ps, new NDList(x), training).singletonOrThrow();
        x = x.add(attention.forward(ps, new NDList(h), training).singletonOrThrow());
        h = norm2.forward(ps, new NDList(x), training).singletonOrThrow();
        h = Activation.gelu(fc1.forward(ps, new NDList(h), training).singletonOrThrow());
        x = x.add(fc2.forward(ps, new NDList(h), training).singletonOrThrow());
        return new NDList(x);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        tokenStates.initialize(manager, dataType, s);
        norm1.initialize(manager, dataType, s);
        attention.initialize(manager, dataType, s);
        norm2.initialize(manager, dataType, s);
        fc1.initialize(manager, dataType, s);
        fc2.initialize(manager, dataType, fc1.getOutputShapes(new Shape[] {s})[0]);
    }
}
