package org.atpatch.examples.baseline;

/**
 * Predictions of a head under unit edits, on the host, from captured units: {@code z = W (s ⊙ h + c) +
 * b}. The unedited logits are computed once; an edit adds {@code W_i ((s_i − 1) h_i + c_i)} for each
 * unit it changes, so scoring an edit of a few units costs a few multiply-adds per sample and class.
 * Immutable; thread-safe.
 */
final class HeadScorer {

    private final float[][] h;
    private final float[] w;
    private final int classes;
    private final int units;
    private final float[][] base;

    /**
     * @param features {@code [sample][unit]} head inputs
     * @param weight {@code W}, {@code classes × units} row-major
     * @param bias {@code b}
     */
    HeadScorer(float[][] features, float[] weight, float[] bias) {
        this.h = features;
        this.w = weight;
        this.classes = bias.length;
        this.units = weight.length / classes;
        this.base = new float[features.length][];
        for (int i = 0; i < features.length; i++) {
            if (features[i].length != units) {
                throw new IllegalArgumentException("sample " + i + " has " + features[i].length + " units, W reads " + units);
            }
            base[i] = logits(features[i], weight, bias, classes);
        }
    }

    /**
     * @param x one sample's units
     * @param weight {@code W}, row-major
     * @param bias {@code b}
     * @param classes rows of {@code W}
     * @return {@code W x + b}
     */
    static float[] logits(float[] x, float[] weight, float[] bias, int classes) {
        int d = x.length;
        float[] z = bias.clone();
        for (int k = 0; k < classes; k++) {
            float sum = 0;
            for (int i = 0; i < d; i++) {
                sum += weight[k * d + i] * x[i];
            }
            z[k] += sum;
        }
        return z;
    }

    /** @return the samples */
    int size() {
        return h.length;
    }

    /**
     * @param edit the edit
     * @param i a sample
     * @return its logits under the edit
     */
    float[] logits(UnitEdit edit, int i) {
        return logits(edit, edit.changed(), i);
    }

    private float[] logits(UnitEdit edit, int[] changed, int i) {
        float[] z = base[i].clone();
        for (int u : changed) {
            float delta = (edit.scale(u) - 1f) * h[i][u] + edit.shift(u);
            for (int k = 0; k < classes; k++) {
                z[k] += w[k * units + u] * delta;
            }
        }
        return z;
    }

    /**
     * @param edit the edit
     * @return the argmax class of every sample under it
     */
    int[] predict(UnitEdit edit) {
        int[] changed = edit.changed();
        int[] out = new int[h.length];
        for (int i = 0; i < h.length; i++) {
            out[i] = ModelOutputs.argMax(logits(edit, changed, i));
        }
        return out;
    }

    /**
     * @param edit the edit
     * @param target the class read, per sample
     * @return the mean softmax probability of each sample's target class under the edit
     */
    double meanProbability(UnitEdit edit, int[] target) {
        int[] changed = edit.changed();
        double sum = 0;
        for (int i = 0; i < h.length; i++) {
            sum += ModelOutputs.softmax(logits(edit, changed, i))[target[i]];
        }
        return sum / h.length;
    }

    /**
     * @param unit a unit
     * @return its smallest and largest value over the samples
     */
    float[] range(int unit) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (float[] x : h) {
            lo = Math.min(lo, x[unit]);
            hi = Math.max(hi, x[unit]);
        }
        return new float[] {lo, hi};
    }

    /** @return each unit's mean over the samples */
    float[] means() {
        float[] m = new float[units];
        for (float[] x : h) {
            for (int u = 0; u < units; u++) {
                m[u] += x[u];
            }
        }
        for (int u = 0; u < units; u++) {
            m[u] /= h.length;
        }
        return m;
    }
}
