package org.atpatch.core;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Argument checks shared by AtPatch; every message names the offending value. */
public final class Checks {

    private Checks() {}

    /**
     * Fails when any element is NaN or infinite.
     *
     * @param what what the array is, for the message
     * @param a the array
     */
    public static void requireFinite(String what, INDArray a) {
        // NaN or ±Inf anywhere makes the sum non-finite; one reduction instead of two scans.
        double sum = a.sumNumber().doubleValue();
        if (!Double.isFinite(sum)) {
            long nan = Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition(
                            a, org.nd4j.linalg.indexing.conditions.Conditions.isNan()))
                    .getLong(0);
            throw new IllegalArgumentException(
                    what + " contain non-finite values (" + nan + " NaN, the rest infinite)");
        }
    }

    /**
     * Fails unless {@code 0 < tau < 1}.
     *
     * @param tau the detection threshold τ
     * @return tau
     */
    public static double requireTau(double tau) {
        if (!(tau > 0 && tau < 1)) {
            throw new IllegalArgumentException("τ must lie strictly between 0 and 1, got " + tau);
        }
        return tau;
    }
}
