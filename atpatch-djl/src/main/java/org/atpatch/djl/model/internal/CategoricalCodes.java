package org.atpatch.djl.model.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * The categorical features of a tabular family and their codes: each feature's values take the
 * rows {@code [offset, offset + cardinality)} of one shared embedding table, features in the order
 * given. Checks codes with one scalar host read per batch and turns them into one-hot rows of that
 * table, in batched ops.
 *
 * <p>Immutable; safe to use from several threads at once.
 */
public final class CategoricalCodes {

    private final List<String> names;
    private final int[] cardinalities;
    private final float[] offsets;
    private final float[] upper;
    private final int total;

    /**
     * @param names the features, in input order
     * @param cardinalities per feature, the number of values it takes (codes {@code 0 ..
     *     cardinality − 1}); the caller has checked that they are positive
     */
    public CategoricalCodes(List<String> names, int[] cardinalities) {
        this.names = List.copyOf(names);
        this.cardinalities = cardinalities.clone();
        offsets = new float[cardinalities.length];
        upper = new float[cardinalities.length];
        int t = 0;
        for (int i = 0; i < cardinalities.length; i++) {
            offsets[i] = t;
            upper[i] = cardinalities[i];
            t += cardinalities[i];
        }
        total = t;
    }

    /** @return the rows of the shared embedding table */
    public int total() {
        return total;
    }

    /** @return the features and their cardinalities, for fingerprints and messages */
    public String describe() {
        return names + " with cardinalities " + Arrays.toString(cardinalities);
    }

    /**
     * Checks the codes and returns their one-hot rows of the shared table.
     *
     * @param codes {@code (batch, features)} codes, one column per feature in order
     * @return {@code (batch, features, total)} float one-hot
     * @throws IllegalArgumentException when a code is not an integer inside its feature's range
     */
    public NDArray oneHot(NDArray codes) {
        NDArray up = codes.getManager().create(upper, new Shape(1, upper.length)).toDevice(codes.getDevice(), false);
        boolean bad = codes.lt(0).logicalOr(codes.gte(up)).logicalOr(codes.neq(codes.floor())).any().getBoolean();
        if (bad) {
            throw new IllegalArgumentException("categorical codes must be integers in [0, cardinality) for " + describe());
        }
        NDArray off = codes.getManager().create(offsets, new Shape(1, offsets.length)).toDevice(codes.getDevice(), false);
        return codes.add(off).toType(DataType.INT64, false).oneHot(total, DataType.FLOAT32);
    }
}
