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

/**
 * The second half of a pre-norm transformer layer: {@code x + fc2(GELU(fc1(LN(x))))}, {@code (B,
 * N, width)} in and out. (PreNormEncoderLayer keeps its own copy so saved victims keep their
 * parameter names.)
 */
final class ResidualMlp extends AbstractBlock {

    private final LayerNorm norm;
    private final Linear fc1;
    private final Linear fc2;

    ResidualMlp(int width, double mlpRatio) {
        norm = addChildBlock("norm", LayerNorm.builder().axis(2).build());
        fc1 = addChildBlock("fc1", Linear.builder().setUnits(Math.round(width * mlpRatio)).build());
        fc2 = addChildBlock("fc2", Linear.builder().setUnits(width).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray h = norm.forward(ps, new NDList(x), training).singletonOrThrow();
        h = Activation.gelu(fc1.forward(ps, new NDList(h), training).singletonOrThrow());
        return new NDList(x.add(fc2.forward(ps, new NDList(h), training).singletonOrThrow()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        norm.initialize(manager, dataType, s);
        fc1.initialize(manager, dataType, s);
        fc2.initialize(manager, dataType, fc1.getOutputShapes(new Shape[] {s})[0]);
    }
}
