package org.atpatch.djl.model.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rearranges the tokens of a batch by a fixed index, in one gather (autograd flows through it):
 * the unfold of a soft split, a window partition with its cyclic shift, and their inverses are all
 * such index maps over row-major token grids.
 *
 * <p>Stateless; safe to call from several threads at once.
 */
public final class TokenGather {

    private TokenGather() {}

    /**
     * @param x {@code (B, T, D)}
     * @param index {@code M} token indices into {@code [0, T)}
     * @return {@code (B, M, D)} with row {@code m} = {@code x[:, index[m]]}, in {@code x}'s
     *     manager and on its device
     */
    public static NDArray rows(NDArray x, long[] index) {
        Shape s = x.getShape();
        NDArray idx = x.getManager().create(index).toDevice(x.getDevice(), false)
                .reshape(1, index.length, 1).broadcast(new Shape(s.get(0), index.length, s.get(2)));
        return x.gather(idx.toType(DataType.INT64, false), 1);
    }
}
