package org.atpatch.detector;

import java.util.Random;

/**
 * Synthetic head-averaged attention maps for detector tests, built the way a transformer makes them.
 *
 * <p>Per head: queries {@code q_i = μ + ε_i} (a shared mean direction gives some keys a natural,
 * input-dependent prominence across all queries) and random keys {@code k_j}; scores {@code s·q_i·k_j
 * / √d}, plus a local bias on a diagonal band {@code b·exp(−(i−j)²/2w²)}, plus an attention sink on
 * column 0 (the CLS token) and, per {@link Profile}, a second, layer-specific sink on a fixed column;
 * softmax over keys; then the mean over heads (Eq. 5).
 *
 * <p>The anomalous map of a pair re-uses the clean map's queries and keys and adds over-attention:
 * 1–3 token columns (never column 0) at random positions, with a logit boost whose level is drawn per
 * map from the profile's range (each column within half a logit of it), jittered by ±20 % per query
 * row, in a random subset of at least two of the heads.
 */
public final class SyntheticAttention {

    /**
     * Statistics of one layer.
     *
     * @param scoreScale s, the spread of the q·k scores
     * @param prominence spread of the shared query direction μ: how strongly some keys stand out
     *     naturally
     * @param localBias b, the strength of the diagonal band
     * @param localWidth w, its width in tokens
     * @param sink the logit bonus of column 0
     * @param extraSinkColumn a second natural sink's column, or -1
     * @param extraSink its logit bonus
     * @param boostMin smallest anomalous logit boost
     * @param boostMax largest anomalous logit boost
     * @param headShare chance that a head carries the anomaly
     */
    public record Profile(double scoreScale, double prominence, double localBias, double localWidth, double sink, int extraSinkColumn,
            double extraSink, double boostMin, double boostMax, double headShare) {}

    /** A typical single layer: moderate scores, a band, a CLS sink, boosts of 2.5 to 5 logits. */
    public static final Profile DEFAULT = new Profile(1.0, 0.5, 1.5, 1.5, 1.5, -1, 0, 2.5, 5.0, 0.75);

    /** Three layers that differ: sharper attention and stronger sinks with depth, a layer-2 sink at column 5. */
    public static final Profile[] THREE_LAYERS = {
        new Profile(0.8, 0.5, 2.0, 1.0, 0.5, -1, 0, 2.0, 4.0, 0.75),
        new Profile(1.0, 0.5, 1.5, 1.5, 1.5, -1, 0, 2.5, 5.0, 0.75),
        new Profile(1.3, 0.5, 1.0, 2.0, 2.5, 5, 2.0, 3.0, 5.5, 0.75),
    };

    private final int n;
    private final int heads;
    private final int dim;
    private final Profile[] profiles;

    /**
     * @param n tokens N (column 0 is CLS)
     * @param heads heads to average
     * @param profiles one per layer
     */
    public SyntheticAttention(int n, int heads, Profile... profiles) {
        this.n = n;
        this.heads = heads;
        this.dim = 8;
        this.profiles = profiles.clone();
    }

    /**
     * Paired clean and anomalous maps for every layer.
     *
     * @param pairs number of pairs (inputs)
     * @param seed the generator's seed
     * @return 2 · pairs · L maps
     */
    public DetectorTrainingData pairs(int pairs, long seed) {
        Random r = new Random(seed);
        DetectorTrainingData.Builder b = DetectorTrainingData.builder().optLayers(profiles.length);
        for (int p = 0; p < pairs; p++) {
            // Which columns the trigger occupies is a property of the input: the same at every layer.
            int k = 1 + r.nextInt(3);
            boolean[] labels = new boolean[n];
            for (int c = 0; c < k; ) {
                int col = 1 + r.nextInt(n - 1);
                if (!labels[col]) {
                    labels[col] = true;
                    c++;
                }
            }
            for (int l = 0; l < profiles.length; l++) {
                float[][] pair = pair(profiles[l], labels, r);
                b.addMap(pair[0], l, new boolean[n], p);
                b.addMap(pair[1], l, labels, p);
            }
        }
        return b.build();
    }

    /** @return {clean, anomalous} head-averaged maps, row-major */
    private float[][] pair(Profile pr, boolean[] anomalous, Random r) {
        double[] clean = new double[n * n];
        double[] anom = new double[n * n];
        // One over-attention strength per map from the profile's range; the columns of one trigger
        // differ from it by at most half a logit, so that each of them is over-attended.
        double level = pr.boostMin() + (pr.boostMax() - pr.boostMin()) * r.nextDouble();
        double[] boost = new double[n];
        for (int j = 0; j < n; j++) {
            if (anomalous[j]) {
                boost[j] = level + (r.nextDouble() - 0.5);
            }
        }
        boolean[] active = new boolean[heads];
        for (int h = 0; h < heads; h++) {
            active[h] = r.nextDouble() < pr.headShare();
        }
        // Over-attention from a trigger shows in several heads: at least two (or all, if fewer).
        int need = Math.min(2, heads);
        for (int count = countTrue(active); count < need; count = countTrue(active)) {
            active[r.nextInt(heads)] = true;
        }
        double[] scores = new double[n];
        double[] boosted = new double[n];
        for (int h = 0; h < heads; h++) {
            double[][] q = new double[n][dim];
            double[][] kk = new double[n][dim];
            double[] mu = new double[dim];
            for (int d = 0; d < dim; d++) {
                mu[d] = pr.prominence() * r.nextGaussian();
            }
            for (int i = 0; i < n; i++) {
                for (int d = 0; d < dim; d++) {
                    q[i][d] = mu[d] + r.nextGaussian();
                    kk[i][d] = r.nextGaussian();
                }
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double dot = 0;
                    for (int d = 0; d < dim; d++) {
                        dot += q[i][d] * kk[j][d];
                    }
                    double s = pr.scoreScale() * dot / Math.sqrt(dim);
                    double dist = i - j;
                    s += pr.localBias() * Math.exp(-dist * dist / (2 * pr.localWidth() * pr.localWidth()));
                    if (j == 0) {
                        s += pr.sink();
                    }
                    if (j == pr.extraSinkColumn()) {
                        s += pr.extraSink();
                    }
                    scores[j] = s;
                    boosted[j] = s + (active[h] && boost[j] > 0 ? boost[j] * (0.8 + 0.4 * r.nextDouble()) : 0);
                }
                softmaxInto(scores, clean, i, 1.0 / heads);
                softmaxInto(boosted, anom, i, 1.0 / heads);
            }
        }
        return new float[][] {toFloat(clean), toFloat(anom)};
    }

    private static int countTrue(boolean[] a) {
        int c = 0;
        for (boolean v : a) {
            c += v ? 1 : 0;
        }
        return c;
    }

    private void softmaxInto(double[] s, double[] out, int row, double weight) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : s) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[s.length];
        for (int j = 0; j < s.length; j++) {
            e[j] = Math.exp(s[j] - max);
            sum += e[j];
        }
        for (int j = 0; j < s.length; j++) {
            out[row * n + j] += weight * e[j] / sum;
        }
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }
}
