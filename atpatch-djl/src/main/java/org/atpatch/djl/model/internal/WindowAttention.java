package org.atpatch.djl.model.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.TruncatedNormalInitializer;
import ai.djl.util.PairList;
import org.atpatch.djl.interception.InterceptableSelfAttention;

/**
 * Swin's windowed attention, the attention branch of a Swin layer: on the normalised tokens of a
 * {@code grid × grid} token grid {@code (B, grid², width)} it applies the cyclic shift and the
 * window partition of its {@link ShiftedWindows}, runs an {@link InterceptableSelfAttention} on
 * {@code (B·windows, window², width)} with a score bias of a learned relative position bias (one
 * table of {@code (2·window − 1)²} rows per head) plus the shift mask, and undoes partition and
 * shift, giving {@code (B, grid², width)}. Its interception point therefore sees one map per
 * window, {@code (B·windows, heads, window², window²)}, the windows of sample {@code b} at rows
 * {@code b·windows .. b·windows + windows − 1}.
 *
 * <p>Children and parameters, in DJL's order: the parameter {@code relative_position_bias} {@code
 * ((2·window − 1)², heads)}, then {@code attention}.
 *
 * <p>Not thread-safe while it is built, initialised or loaded; once initialised its forward may
 * run on several threads at once.
 */
final class WindowAttention extends AttentionBranch {

    private final ShiftedWindows geometry;
    private final int width;
    private final int heads;
    private final Parameter biasTable;
    private final InterceptableSelfAttention attention;

    WindowAttention(ShiftedWindows geometry, int width, int heads) {
        this.geometry = geometry;
        this.width = width;
        this.heads = heads;
        int side = 2 * geometry.window - 1;
        biasTable = addParameter(Parameter.builder().setName("relative_position_bias").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape((long) side * side, heads)).optInitializer(new TruncatedNormalInitializer(0.02f))
                .build());
        attention = addChildBlock("attention",
                InterceptableSelfAttention.builder().setWidth(width).setHeads(heads).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = inputs.singletonOrThrow();
        long b = h.getShape().get(0);
        long nw = geometry.windows;
        long n = (long) geometry.window * geometry.window;
        NDArray windowed = TokenGather.rows(h, geometry.partition).reshape(b * nw, n, width);
        NDArray attended = attention.forward(ps, new NDList(windowed, scoreBias(ps, h, b, training)), training)
                .singletonOrThrow();
        return new NDList(TokenGather.rows(attended.reshape(b, nw * n, width), geometry.inverse));
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
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        long n = (long) geometry.window * geometry.window;
        attention.initialize(manager, dataType, new Shape(s.get(0) * geometry.windows, n, width));
    }
}
