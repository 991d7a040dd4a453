package org.atpatch.djl.debugset;

import java.util.Arrays;

/**
 * The median-absolute-deviation outlier test of Neural Cleanse, on the L1 norms of the inverted
 * trigger masks (one per class). With {@code m} the median of the values and {@code MAD} the median
 * of {@code |x_i − m|}, the anomaly index of value {@code i} is {@code |x_i − m| / (1.4826 · MAD)};
 * the constant makes {@code 1.4826 · MAD} a consistent estimator of the standard deviation under a
 * normal distribution. A class is a suspected backdoor target when its index exceeds the threshold
 * (2 by default: about 95 % confidence under normality) <em>and</em> its norm lies below the
 * median: an abnormally small trigger, never an abnormally large one.
 *
 * <p>When {@code MAD = 0} (more than half the values are equal) the index is {@code +∞} for values
 * that differ from the median and 0 for those equal to it.
 */
public final class MadAnomalyIndex {

    /** Scales the MAD into a standard-deviation estimate for normal data. */
    public static final double CONSISTENCY = 1.4826;

    /** The usual decision threshold on the anomaly index. */
    public static final double DEFAULT_THRESHOLD = 2.0;

    private final double[] values;
    private final double median;
    private final double mad;
    private final double[] indices;

    private MadAnomalyIndex(double[] values) {
        this.values = values;
        this.median = median(values);
        double[] dev = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            dev[i] = Math.abs(values[i] - median);
        }
        this.mad = median(dev);
        this.indices = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            if (mad > 0) {
                indices[i] = dev[i] / (CONSISTENCY * mad);
            } else {
                indices[i] = dev[i] == 0 ? 0 : Double.POSITIVE_INFINITY;
            }
        }
    }

    /**
     * @param values one value per class (the mask L1 norms); at least one, all finite
     * @return the test over them
     */
    public static MadAnomalyIndex of(double[] values) {
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException("the MAD anomaly index needs at least one value");
        }
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException("value " + i + " is " + values[i] + "; all must be finite");
            }
        }
        return new MadAnomalyIndex(values.clone());
    }

    /** @return the median of the values */
    public double median() {
        return median;
    }

    /** @return the median absolute deviation from the median (not yet scaled by 1.4826) */
    public double mad() {
        return mad;
    }

    /** @return the number of values */
    public int size() {
        return values.length;
    }

    /**
     * @param i a value's position
     * @return its anomaly index {@code |x_i − m| / (1.4826 · MAD)}, on either side of the median
     */
    public double index(int i) {
        return indices[i];
    }

    /** @return every anomaly index, in the order of the values */
    public double[] indices() {
        return indices.clone();
    }

    /**
     * @param i a value's position
     * @return whether it lies strictly below the median (the side where a backdoor target sits)
     */
    public boolean belowMedian(int i) {
        return values[i] < median;
    }

    /**
     * @param i a value's position
     * @param threshold the decision threshold on the index (2 by default)
     * @return whether value {@code i} is a small-side outlier: below the median with index above the threshold
     */
    public boolean isFlagged(int i, double threshold) {
        return belowMedian(i) && indices[i] > threshold;
    }

    /**
     * @param threshold the decision threshold on the index
     * @return the positions of the small-side outliers, in increasing order of value (most suspect first)
     */
    public int[] flagged(double threshold) {
        if (!(threshold >= 0)) {
            throw new IllegalArgumentException("anomaly threshold must be >= 0, got " + threshold);
        }
        return java.util.stream.IntStream.range(0, values.length)
                .filter(i -> isFlagged(i, threshold))
                .boxed()
                .sorted((a, b) -> Double.compare(values[a], values[b]))
                .mapToInt(Integer::intValue)
                .toArray();
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }

    @Override
    public String toString() {
        return "MAD anomaly index: median " + median + ", MAD " + mad + ", indices " + Arrays.toString(indices);
    }
}
