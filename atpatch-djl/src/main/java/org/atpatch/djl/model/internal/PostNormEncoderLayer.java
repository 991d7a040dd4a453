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
 * The post-norm residual transformer layer of BERT (Devlin et al., 2019):
 *
 * <pre>{@code
 * x = T(x)                                     // the token-state point
 * x = norm1(x + A(x, bias))                    // attention, add, LayerNorm
 * x = norm2(x + fc2(GELU(fc1(x))))             // MLP, add, LayerNorm; hidden width round(width · mlpRatio)
 * }</pre>
 *
 * <p>{@code A} is an {@link InterceptableSelfAttention}, so both interception points ({@code
 * layer.<l>.token_states}, {@code layer.<l>.attn.probs}) exist. Inputs: the tokens {@code (B, N,
 * width)} and the additive score bias {@code (B, heads, N, N)} that masks padding keys (large
 * negative where a key is padding, 0 elsewhere). Output {@code (B, N, width)}; both norms are over
 * the last axis.
 *
 * <p>Children, in DJL's order: {@code token_states}, {@code attn}, {@code norm1}, {@code fc1},
 * {@code fc2}, {@code norm2}.
 *
 * <p>Not thread-safe while it is built, initialised or loaded. Once initialised, forward may run
 * on several threads at once, each with its own {@link ParameterStore}.
 */
public final class PostNormEncoderLayer extends AbstractBlock {

    private final TokenStatePoint tokenStates;
    private final InterceptableSelfAttention attention;
    private final LayerNorm norm1;
    private final Linear fc1;
    private final Linear fc2;
    private final LayerNorm norm2;

    /**
     * @param width the model width
     * @param heads the attention heads; must divide the width
     * @param mlpRatio hidden width of the MLP as a multiple of {@code width}; positive
     * @param layerNormEpsilon the epsilon of both norms; positive
     * @throws IllegalArgumentException when the ratio or epsilon is not positive or the heads do not
     *     divide the width
     */
    public PostNormEncoderLayer(int width, int heads, double mlpRatio, float layerNormEpsilon) {
        if (!(mlpRatio > 0)) {
            throw new IllegalArgumentException("MLP ratio must be positive, got " + mlpRatio);
        }
        if (!(layerNormEpsilon > 0)) {
            throw new IllegalArgumentException("LayerNorm epsilon must be positive, got " + layerNormEpsilon);
        }
        tokenStates = addChildBlock("token_states", new TokenStatePoint());
        attention = addChildBlock("attn", InterceptableSelfAttention.builder().setWidth(width).setHeads(heads).build());
        norm1 = addChildBlock("norm1", LayerNorm.builder().axis(2).optEpsilon(layerNormEpsilon).build());
        fc1 = addChildBlock("fc1", Linear.builder().setUnits(Math.round(width * mlpRatio)).build());
        fc2 = addChildBlock("fc2", Linear.builder().setUnits(width).build());
        norm2 = addChildBlock("norm2", LayerNorm.builder().axis(2).optEpsilon(layerNormEpsilon).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        if (inputs.size() != 2) {
            throw new IllegalArgumentException("a post-norm layer takes the tokens and the score bias, got "
                    + inputs.size() + " inputs");
        }
        NDArray x = tokenStates.forward(ps, new NDList(inputs.get(0)), training).singletonOrThrow();
        NDArray a = attention.forward(ps, new NDList(x, inputs.get(1)), training).singletonOrThrow();
        x = norm1.forward(ps, new NDList(x.add(a)), training).singletonOrThrow();
        NDArray h = Activation.gelu(fc1.forward(ps, new NDList(x), training).singletonOrThrow());
        h = fc2.forward(ps, new NDList(h), training).singletonOrThrow();
        return norm2.forward(ps, new NDList(x.add(h)), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        tokenStates.initialize(manager, dataType, s);
        attention.initialize(manager, dataType, s);
        norm1.initialize(manager, dataType, s);
        fc1.initialize(manager, dataType, s);
        fc2.initialize(manager, dataType, fc1.getOutputShapes(new Shape[] {s})[0]);
        norm2.initialize(manager, dataType, s);
    }
}
