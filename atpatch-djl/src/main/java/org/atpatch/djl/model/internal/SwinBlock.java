package org.atpatch.djl.model.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.TruncatedNormalInitializer;
import ai.djl.util.PairList;
import org.atpatch.djl.interception.InterceptableSelfAttention;

/**
 * One Swin block on a {@code (B, grid², width)} token grid: {@code x = x + WindowAttn(LN(x)); x = x
 * + MLP(LN(x))}, where the windowed attention shifts the grid cyclically (when the layer's shift is
 * non-zero), partitions it into windows, runs an {@link InterceptableSelfAttention} on {@code
 * (B·windows, window², width)} with a learned relative position bias and the shift mask as its
 * score bias, and undoes partition and shift. Its interception point therefore sees one map per
 * window: {@code (B·windows, heads, window², window²)}, the windows of sample {@code b} at rows
 * {@code b·windows .. b·windows + windows − 1}.
 */
public final class SwinBlock extends AbstractBlock {

    private final ShiftedWindows geometry;
    private final int width;
    private final int heads;
    private final LayerNorm norm1;
    private final InterceptableSelfAttention attention;
    private final Parameter biasTable;
    private final ResidualMlp mlp;

    public SwinBlock(ShiftedWindows geometry, int width, int heads, double mlpRatio) {
        this.geometry = geometry;
        this.width = width;
        this.heads = heads;
        norm1 = addChildBlock("norm1", LayerNorm.builder().axis(2).build());
        attention = addChildBlock("attn", InterceptableSelfAttention.builder().setWidth(width).setHeads(heads).build());
        int side = 2 * geometry.window - 1;
        biasTable = addParameter(Parameter.builder().setName("relative_position_bias").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape((long) side * side, heads)).optInitializer(new TruncatedNormalInitializer(0.02f))
                .build());
        mlp = addChildBlock("mlp", new ResidualMlp(width, mlpRatio));
    }

    public ShiftedWindows geometry() {
        return geometry;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        long b = x.getShape().get(0);
        long nw = geometry.windows;
        long n = (long) geometry.window * geometry.window;
        NDArray h = norm1.forward(ps, new NDList(x), training).singletonOrThrow();
        NDArray windowed = TokenGather.rows(h, geometry.partition).reshape(b * nw, n, width);
        NDArray attended = attention.forward(ps, new NDList(windowed, scoreBias(ps, x, b, training)), training)
                .singletonOrThrow();
        x = x.add(TokenGather.rows(attended.reshape(b, nw * n, width), geometry.inverse));
        return mlp.forward(ps, new NDList(x), training);
    }

    /** Relative position bias (+ shift mask), {@code (B·windows, heads, n, n)}, in the batch's manager. */
    private NDArray scoreBias(ParameterStore ps, NDArray x, long b, boolean training) {
        NDManager m = x.getManager();
        long nw = geometry.windows;
        long n = (long) geometry.window * geometry.window;
        NDArray param = ps.getValue(biasTable, x.getDevice(), training);
        // Start from a batch array, never from the parameter (its results would leak into the model's manager).
        NDArray table = m.zeros(new Shape(1, param.getShape().get(0), heads), x.getDataType(), x.getDevice()).add(param);
        NDArray bias = TokenGather.rows(table, geometry.relativeIndex).reshape(n, n, heads).transpose(2, 0, 1)
                .reshape(1, 1, heads, n, n);
        if (geometry.mask != null) {
            NDArray mask = m.create(geometry.mask, new Shape(1, nw, 1, n, n)).toDevice(x.getDevice(), false);
            bias = bias.add(mask);
        }
        return bias.broadcast(new Shape(b, nw, heads, n, n)).reshape(b * nw, heads, n, n);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        long n = (long) geometry.window * geometry.window;
        norm1.initialize(manager, dataType, s);
        attention.initialize(manager, dataType, new Shape(s.get(0) * geometry.windows, n, width));
        mlp.initialize(manager, dataType, s);
    }
}
