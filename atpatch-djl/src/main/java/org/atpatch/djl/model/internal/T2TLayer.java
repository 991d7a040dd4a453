package org.atpatch.djl.model.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.atpatch.djl.interception.InterceptableSelfAttention;

/**
 * The token transformer of a tokens-to-token step: pre-norm single-head self-attention and an MLP,
 * {@code (B, N, width)} in and out. Its attention is deliberately not interceptable: its maps cover
 * the fine soft-split grid, not the backbone's tokens, so they are not maps of the victim's layers
 * that the detector and Q describe (every {@link InterceptableSelfAttention} in a model is a
 * numbered layer with the backbone's N).
 */
public final class T2TLayer extends AbstractBlock {

    private final int width;
    private final LayerNorm norm1;
    private final Linear qkv;
    private final Linear proj;
    private final ResidualMlp mlp;

    public T2TLayer(int width, double mlpRatio) {
        this.width = width;
        norm1 = addChildBlock("norm1", LayerNorm.builder().axis(2).build());
        qkv = addChildBlock("qkv", Linear.builder().setUnits(3L * width).build());
        proj = addChildBlock("proj", Linear.builder().setUnits(width).build());
        mlp = addChildBlock("mlp", new ResidualMlp(width, mlpRatio));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        long b = x.getShape().get(0);
        long n = x.getShape().get(1);
        NDArray h = norm1.forward(ps, new NDList(x), training).singletonOrThrow();
        NDArray split = qkv.forward(ps, new NDList(h), training).singletonOrThrow().reshape(b, n, 3, width)
                .transpose(2, 0, 1, 3);
        // A batch-manager scalar, not a Number: see InterceptableSelfAttention.
        NDArray scale = x.getManager().create((float) (1.0 / Math.sqrt(width))).toDevice(x.getDevice(), false);
        NDArray probs = split.get(0).matMul(split.get(1).transpose(0, 2, 1)).mul(scale).softmax(-1);
        x = x.add(proj.forward(ps, new NDList(probs.matMul(split.get(2))), training).singletonOrThrow());
        return mlp.forward(ps, new NDList(x), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        norm1.initialize(manager, dataType, s);
        qkv.initialize(manager, dataType, s);
        proj.initialize(manager, dataType, s);
        mlp.initialize(manager, dataType, s);
    }
}
