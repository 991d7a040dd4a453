package org.atpatch.detector;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

/** Moves host-side maps of a {@link DetectorTrainingData} into NDArrays, batch by batch. */
final class MapBatch {

    private MapBatch() {}

    /**
     * The network inputs for some maps.
     *
     * @return {@code (maps (B, N, N), layer one-hot (B, L))}
     */
    static NDList inputs(NDManager m, DetectorTrainingData d, int[] idx, int layers) {
        int n = d.tokens();
        int nn = n * n;
        float[] maps = new float[idx.length * nn];
        float[] oneHot = new float[idx.length * layers];
        for (int k = 0; k < idx.length; k++) {
            System.arraycopy(d.map(idx[k]), 0, maps, k * nn, nn);
            int l = d.layer(idx[k]);
            if (l >= layers) {
                throw new IllegalArgumentException("map " + idx[k] + " comes from layer " + l
                        + ", the detector knows " + layers + " layers");
            }
            oneHot[k * layers + l] = 1f;
        }
        return new NDList(m.create(maps, new Shape(idx.length, n, n)), m.create(oneHot, new Shape(idx.length, layers)));
    }

    /** @return the labels of some maps, {@code (B, N)} float 0/1 */
    static NDArray labels(NDManager m, DetectorTrainingData d, int[] idx) {
        int n = d.tokens();
        float[] y = new float[idx.length * n];
        for (int k = 0; k < idx.length; k++) {
            for (int j = 0; j < n; j++) {
                y[k * n + j] = d.label(idx[k], j) ? 1f : 0f;
            }
        }
        return m.create(y, new Shape(idx.length, n));
    }

    /**
     * Column probabilities of every map, on the host.
     *
     * @param net the network
     * @param ps its parameters
     * @param base a manager on the network's device; batches open and close sub-managers of it
     * @param d the maps
     * @param layers L of the network
     * @param batchSize maps per forward
     * @return {@code [M][N]}
     */
    static float[][] predict(Block net, ParameterStore ps, NDManager base, DetectorTrainingData d, int layers,
            int batchSize) {
        int n = d.tokens();
        float[][] out = new float[d.size()][];
        for (int start = 0; start < d.size(); start += batchSize) {
            int end = Math.min(d.size(), start + batchSize);
            int[] idx = range(start, end);
            try (NDManager m = base.newSubManager()) {
                NDList in = inputs(m, d, idx, layers);
                float[] p = Activation.sigmoid(net.forward(ps, in, false).get(0)).toFloatArray();
                for (int k = 0; k < idx.length; k++) {
                    out[start + k] = java.util.Arrays.copyOfRange(p, k * n, (k + 1) * n);
                }
            }
        }
        return out;
    }

    static int[] range(int start, int end) {
        int[] r = new int[end - start];
        for (int i = 0; i < r.length; i++) {
            r[i] = start + i;
        }
        return r;
    }
}
