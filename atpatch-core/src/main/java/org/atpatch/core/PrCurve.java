package org.atpatch.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Threshold sweeps of the detector (the paper's Figure 3): strict map-level metrics at each τ, their CSV
 * form, and the column-level ROC-AUC.
 */
public final class PrCurve {

    private PrCurve() {}

    /**
     * One point of the curve.
     *
     * @param tau the threshold τ
     * @param metrics the strict map-level counts at τ, as {@link DetectionMetrics#strict(float[][],
     *     boolean[][], double)} gives them
     */
    public record Point(double tau, DetectionMetrics metrics) {

        /**
         * Checks the fields.
         *
         * @param tau the threshold τ
         * @param metrics the strict map-level counts at τ
         * @throws IllegalArgumentException if τ is not in (0, 1)
         * @throws NullPointerException if {@code metrics} is {@code null}
         */
        public Point {
            Checks.requireTau(tau);
            Objects.requireNonNull(metrics, "metrics");
        }
    }

    /**
     * The strict map-level metrics at each threshold, in the order of {@code taus}. Equal to calling
     * {@link DetectionMetrics#strict(float[][], boolean[][], double)} per τ, but reads the probabilities
     * once: a map with anomalies is a TP exactly when τ lies in {@code [max p over normal columns, min p
     * over anomalous columns)}, and a clean map is a TN exactly when {@code τ ≥ max p}.
     *
     * @param probabilities per map, the detector's anomaly probability of each column
     * @param truth per map, the true anomalous columns, same shape as {@code probabilities}
     * @param taus the thresholds, each strictly between 0 and 1
     * @return one point per threshold
     * @throws IllegalArgumentException if {@code taus} is empty or holds a value outside (0, 1), the maps
     *     are empty, shapes differ, a map is {@code null}, or a probability is NaN
     */
    public static List<Point> points(float[][] probabilities, boolean[][] truth, double[] taus) {
        Objects.requireNonNull(taus, "taus");
        if (taus.length == 0) {
            throw new IllegalArgumentException("taus is empty: need at least one threshold");
        }
        for (int i = 0; i < taus.length; i++) {
            try {
                Checks.requireTau(taus[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("taus[" + i + "]: " + e.getMessage(), e);
            }
        }
        DetectionMetrics.requireShapes(probabilities, truth);

        int n = probabilities.length;
        boolean[] anomalous = new boolean[n];
        // minTrue: smallest probability over anomalous columns; maxFalse: largest over normal columns.
        double[] minTrue = new double[n];
        double[] maxFalse = new double[n];
        for (int m = 0; m < n; m++) {
            float[] p = probabilities[m];
            boolean[] t = truth[m];
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < p.length; c++) {
                if (t[c]) {
                    anomalous[m] = true;
                    lo = Math.min(lo, p[c]);
                } else {
                    hi = Math.max(hi, p[c]);
                }
            }
            minTrue[m] = lo;
            maxFalse[m] = hi;
        }

        List<Point> out = new ArrayList<>(taus.length);
        for (double tau : taus) {
            long tp = 0;
            long fp = 0;
            long tn = 0;
            long fn = 0;
            for (int m = 0; m < n; m++) {
                // "p > τ" flags a column, so a column is left unflagged exactly when p ≤ τ.
                boolean noFalseAlarm = maxFalse[m] <= tau;
                if (anomalous[m]) {
                    if (minTrue[m] > tau && noFalseAlarm) {
                        tp++;
                    } else {
                        fn++;
                    }
                } else if (noFalseAlarm) {
                    tn++;
                } else {
                    fp++;
                }
            }
            out.add(new Point(tau, new DetectionMetrics(tp, fp, tn, fn)));
        }
        return out;
    }

    /**
     * The default sweep: 0.01, 0.02, …, 0.99 (99 values, each computed as {@code i / 100.0} so none
     * carries accumulated rounding error).
     *
     * @return a fresh array of the 99 thresholds, ascending
     */
    public static double[] defaultTaus() {
        double[] taus = new double[99];
        for (int i = 1; i <= 99; i++) {
            taus[i - 1] = i / 100.0;
        }
        return taus;
    }

    /**
     * Renders points as CSV with header {@code tau,precision,recall,f1,fpr,fnr,tp,fp,tn,fn}, one line per
     * point, {@code '\n'} line ends, '.' as decimal separator whatever the default locale; rates with six
     * decimals. An empty list gives the header alone.
     *
     * @param points the curve
     * @return the CSV text, ending in a newline
     */
    public static String toCsv(List<Point> points) {
        Objects.requireNonNull(points, "points");
        StringBuilder sb = new StringBuilder("tau,precision,recall,f1,fpr,fnr,tp,fp,tn,fn\n");
        for (Point pt : points) {
            DetectionMetrics d = pt.metrics();
            sb.append(String.format(Locale.ROOT, "%s,%.6f,%.6f,%.6f,%.6f,%.6f,%d,%d,%d,%d",
                            Double.toString(pt.tau()), d.precision(), d.recall(), d.f1(), d.fpr(), d.fnr(),
                            d.tp(), d.fp(), d.tn(), d.fn()))
                    .append('\n');
        }
        return sb.toString();
    }

    /**
     * Column-level ROC-AUC over every (map, column) cell: the probability that a randomly chosen anomalous
     * column scores higher than a randomly chosen normal one, ties counting one half (the Mann–Whitney U
     * statistic divided by {@code nPos · nNeg}). Runs in O(n log n) by sorting each class's scores.
     *
     * @param probabilities per map, the detector's anomaly probability of each column
     * @param truth per map, the true anomalous columns, same shape as {@code probabilities}
     * @return the AUC in [0, 1]
     * @throws IllegalArgumentException if the maps are empty, shapes differ, a map is {@code null}, a
     *     probability is NaN, or all cells belong to one class (AUC undefined)
     */
    public static double columnRocAuc(float[][] probabilities, boolean[][] truth) {
        DetectionMetrics.requireShapes(probabilities, truth);
        int nPos = 0;
        int nNeg = 0;
        for (boolean[] t : truth) {
            for (boolean b : t) {
                if (b) {
                    nPos++;
                } else {
                    nNeg++;
                }
            }
        }
        if (nPos == 0 || nNeg == 0) {
            throw new IllegalArgumentException("ROC-AUC is undefined with only one class: " + nPos
                    + " anomalous and " + nNeg + " normal columns");
        }
        float[] pos = new float[nPos];
        float[] neg = new float[nNeg];
        int ip = 0;
        int in = 0;
        for (int m = 0; m < probabilities.length; m++) {
            float[] p = probabilities[m];
            boolean[] t = truth[m];
            for (int c = 0; c < p.length; c++) {
                if (t[c]) {
                    pos[ip++] = p[c];
                } else {
                    neg[in++] = p[c];
                }
            }
        }
        Arrays.sort(pos);
        Arrays.sort(neg);
        // For each run of equal positive scores v: count negatives < v (wins) and == v (ties).
        // (-0.0f and 0.0f are adjacent after sorting and compare equal, so they form one run.)
        long wins = 0;
        long ties = 0;
        int below = 0; // negatives strictly below the current v
        int i = 0;
        while (i < nPos) {
            float v = pos[i];
            int j = i;
            while (j < nPos && pos[j] == v) {
                j++;
            }
            long run = j - i;
            while (below < nNeg && neg[below] < v) {
                below++;
            }
            int equalEnd = below;
            while (equalEnd < nNeg && neg[equalEnd] == v) {
                equalEnd++;
            }
            wins += run * below;
            ties += run * (equalEnd - below);
            i = j;
        }
        return (wins + 0.5 * ties) / ((double) nPos * nNeg);
    }
}
