package org.atpatch.examples.data;

import java.util.Random;
import org.atpatch.djl.LabelledData;

/**
 * A BadNets trigger: a square stamped at a fixed position of every channel, either solid or a
 * checkerboard of {@code value} and {@code 1 − value} (distinct on bright and dark content alike),
 * and the poisoning that teaches a victim to map it to a target class.
 *
 * @param row top pixel row
 * @param col left pixel column
 * @param size side in pixels
 * @param value the pixel value of the square (of its top-left cell for a checkerboard), in {@code [0, 1]}
 * @param checkerboard whether the square alternates {@code value} and {@code 1 − value}
 * @param target the target class
 */
public record PatchTrigger(int row, int col, int size, float value, boolean checkerboard, int target) {

    /**
     * A solid square.
     *
     * @param row top pixel row
     * @param col left pixel column
     * @param size side in pixels
     * @param value the pixel value
     * @param target the target class
     */
    public PatchTrigger(int row, int col, int size, float value, int target) {
        this(row, col, size, value, false, target);
    }

    /**
     * Stamps the trigger on every sample.
     *
     * @param data clean data (labels kept)
     * @return triggered copies
     */
    public LabelledData apply(LabelledData data) {
        float[] x = data.inputs().clone();
        long[] s = data.sampleShape().getShape(); // (C, H, W)
        int c = (int) s[0];
        int h = (int) s[1];
        int w = (int) s[2];
        if (row < 0 || col < 0 || row + size > h || col + size > w) {
            throw new IllegalArgumentException("trigger at (" + row + ", " + col + ") size " + size + " does not fit " + h + "x" + w);
        }
        int per = data.sampleSize();
        for (int i = 0; i < data.size(); i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int r = row; r < row + size; r++) {
                    for (int q = col; q < col + size; q++) {
                        boolean odd = checkerboard && ((r - row) + (q - col)) % 2 == 1;
                        x[i * per + ch * h * w + r * w + q] = odd ? 1f - value : value;
                    }
                }
            }
        }
        return new LabelledData(x, data.labels().clone(), data.sampleShape());
    }

    /**
     * BadNets poisoning: a random {@code rate} of the samples get the trigger and the target label.
     *
     * @param data clean training data
     * @param rate fraction poisoned, in {@code (0, 1)}
     * @param seed the seed
     * @return the poisoned training set, same size and order
     */
    public LabelledData poison(LabelledData data, double rate, long seed) {
        if (!(rate > 0 && rate < 1)) {
            throw new IllegalArgumentException("poison rate must lie in (0, 1), got " + rate);
        }
        Random r = new Random(seed);
        LabelledData triggered = apply(data);
        float[] x = data.inputs().clone();
        int[] y = data.labels().clone();
        int per = data.sampleSize();
        for (int i = 0; i < data.size(); i++) {
            if (r.nextDouble() < rate) {
                System.arraycopy(triggered.inputs(), i * per, x, i * per, per);
                y[i] = target;
            }
        }
        return new LabelledData(x, y, data.sampleShape());
    }

    /**
     * The samples whose true label is not the target, for measuring attack success.
     *
     * @param data test data
     * @return those samples
     */
    public LabelledData nonTarget(LabelledData data) {
        return data.subset(java.util.stream.IntStream.range(0, data.size()).filter(i -> data.labels()[i] != target).toArray());
    }
}
