package org.atpatch.core;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Random row-stochastic maps for tests: softmax of Gaussian scores, optionally sharpened. */
public final class RandomMaps {

    private RandomMaps() {}

    /**
     * @param seed the seed
     * @param shape leading axes then N, N
     * @param sharpness score scale; larger gives peakier rows
     * @return float maps whose last axis sums to 1
     */
    public static INDArray softmaxMaps(long seed, double sharpness, long... shape) {
        Random r = new Random(seed);
        int n = (int) shape[shape.length - 1];
        long rows = 1;
        for (long d : shape) {
            rows *= d;
        }
        rows /= n;
        float[] v = new float[(int) (rows * n)];
        for (int row = 0; row < rows; row++) {
            double[] e = new double[n];
            double sum = 0;
            for (int j = 0; j < n; j++) {
                e[j] = Math.exp(sharpness * r.nextGaussian());
                sum += e[j];
            }
            for (int j = 0; j < n; j++) {
                v[row * n + j] = (float) (e[j] / sum);
            }
        }
        return Nd4j.create(v, shape, 'c').castTo(DataType.FLOAT);
    }
}
