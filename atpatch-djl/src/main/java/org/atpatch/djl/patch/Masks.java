package org.atpatch.djl.patch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.Shape;

/** Element-wise selection with broadcasting, which DJL's PyTorch {@code where} does not do itself. */
public final class Masks {

    private Masks() {}

    /**
     * {@code cond ? ifTrue : ifFalse}, element-wise. {@code cond} and {@code ifTrue} broadcast to the
     * shape of {@code ifFalse}. The result lands in {@code ifTrue}'s manager, so pass an array
     * derived from the batch there, never a parameter or a shared statistic.
     *
     * @param cond boolean condition
     * @param ifTrue values where true
     * @param ifFalse values where false; gives the result's shape
     * @return the selection
     */
    static NDArray select(NDArray cond, NDArray ifTrue, NDArray ifFalse) {
        Shape s = ifFalse.getShape();
        NDArray c = cond.getShape().equals(s) ? cond : cond.broadcast(s);
        NDArray a = ifTrue.getShape().equals(s) ? ifTrue : ifTrue.broadcast(s);
        return NDArrays.where(c, a, ifFalse);
    }
}
