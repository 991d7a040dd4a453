package org.atpatch.examples.baseline;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import org.atpatch.djl.LabelledData;

/** A model's logits on the host, in batches. */
final class ModelOutputs {

    private ModelOutputs() {}

    /**
     * @param model an initialised classifier
     * @param data the inputs (labels unused)
     * @param batchSize samples per forward
     * @return {@code [sample][class]} logits
     */
    static float[][] logits(Model model, LabelledData data, int batchSize) {
        float[][] out = new float[data.size()][];
        for (int from = 0; from < data.size(); from += batchSize) {
            int to = Math.min(data.size(), from + batchSize);
            try (NDManager sub = model.getNDManager().newSubManager()) {
                NDArray z = model.getBlock().forward(new ParameterStore(sub, false), new NDList(data.batch(sub, from, to)),
                        false).singletonOrThrow();
                int c = (int) z.getShape().get(1);
                float[] flat = z.toFloatArray();
                for (int i = 0; i < to - from; i++) {
                    out[from + i] = java.util.Arrays.copyOfRange(flat, i * c, (i + 1) * c);
                }
            }
        }
        return out;
    }

    /**
     * @param logits one sample's logits
     * @return their softmax
     */
    static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float z : logits) {
            max = Math.max(max, z);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int k = 0; k < p.length; k++) {
            p[k] = Math.exp(logits[k] - max);
            sum += p[k];
        }
        for (int k = 0; k < p.length; k++) {
            p[k] /= sum;
        }
        return p;
    }

    /**
     * @param logits one sample's logits
     * @return the index of the largest (the first on ties)
     */
    static int argMax(float[] logits) {
        int best = 0;
        for (int k = 1; k < logits.length; k++) {
            if (logits[k] > logits[best]) {
                best = k;
            }
        }
        return best;
    }
}
