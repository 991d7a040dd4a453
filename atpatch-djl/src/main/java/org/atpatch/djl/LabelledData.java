package org.atpatch.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Inputs and labels held on the host: {@code n} samples of one shape, flattened row-major into one
 * float array, and an integer label each. The common currency of victim training, debugging-set
 * builders and evaluation.
 *
 * @param inputs {@code n × sampleShape.size()} values
 * @param labels {@code n} labels
 * @param sampleShape one sample's shape, without the batch axis
 */
public record LabelledData(float[] inputs, int[] labels, Shape sampleShape) {

    /** Validates sizes. */
    public LabelledData {
        long per = sampleShape.size();
        if (per <= 0 || inputs.length != labels.length * per) {
            throw new IllegalArgumentException("inputs hold " + inputs.length + " values, expected " + labels.length
                    + " samples × " + per + " for shape " + sampleShape);
        }
    }

    /**
     * Inputs without labels (all 0), e.g. the two sides of a debugging set's pairs.
     *
     * @param inputs the samples, each {@code sampleShape.size()} values
     * @param sampleShape one sample's shape
     * @return the samples in one flat array, in order
     * @throws IllegalArgumentException when a sample has the wrong length
     */
    public static LabelledData unlabelled(java.util.List<float[]> inputs, Shape sampleShape) {
        int per = (int) sampleShape.size();
        float[] flat = new float[inputs.size() * per];
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).length != per) {
                throw new IllegalArgumentException("sample " + i + " holds " + inputs.get(i).length + " values, expected "
                        + per + " for shape " + sampleShape);
            }
            System.arraycopy(inputs.get(i), 0, flat, i * per, per);
        }
        return new LabelledData(flat, new int[inputs.size()], sampleShape);
    }

    /** @return the number of samples */
    public int size() {
        return labels.length;
    }

    /** @return values per sample */
    public int sampleSize() {
        return (int) sampleShape.size();
    }

    /**
     * @param i a sample
     * @return a copy of its values
     */
    public float[] sample(int i) {
        int per = sampleSize();
        return Arrays.copyOfRange(inputs, i * per, (i + 1) * per);
    }

    /**
     * @param indices samples to keep, in this order
     * @return a new data set of those samples
     */
    public LabelledData subset(int[] indices) {
        int per = sampleSize();
        float[] x = new float[indices.length * per];
        int[] y = new int[indices.length];
        for (int k = 0; k < indices.length; k++) {
            System.arraycopy(inputs, indices[k] * per, x, k * per, per);
            y[k] = labels[indices[k]];
        }
        return new LabelledData(x, y, sampleShape);
    }

    /**
     * @param from first sample
     * @param to one past the last sample
     * @return samples {@code [from, to)}
     */
    public LabelledData range(int from, int to) {
        int per = sampleSize();
        return new LabelledData(Arrays.copyOfRange(inputs, from * per, to * per),
                Arrays.copyOfRange(labels, from, to), sampleShape);
    }

    /**
     * A batch of inputs as an NDArray.
     *
     * @param manager where to create it
     * @param from first sample
     * @param to one past the last
     * @return {@code (to − from, sampleShape...)}
     */
    public NDArray batch(NDManager manager, int from, int to) {
        int per = sampleSize();
        return manager.create(java.nio.FloatBuffer.wrap(inputs, from * per, (to - from) * per),
                new Shape(to - from).addAll(sampleShape));
    }
}
