package org.atpatch.core;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Confusion counts of the detector at the attention-map level, with the paper's RQ2 strict rule
 * ({@link #strict(List, List)}) and the rates derived from them. {@link #columnLevel} counts (map, column)
 * cells instead of maps; the field descriptions below are those of the strict rule.
 *
 * <p>Each rate returns 0 when its denominator is 0 (for example {@link #precision()} of a detector that
 * never produced a positive), so a rate is always a finite number in {@code [0, 1]}.
 *
 * @param tp anomalous maps whose flagged column set equals the true anomalous set exactly
 * @param fp clean maps with at least one flagged column
 * @param tn clean maps with no flagged column
 * @param fn anomalous maps where some anomalous column was missed or some normal column flagged
 */
public record DetectionMetrics(long tp, long fp, long tn, long fn) {

    /**
     * Checks that no count is negative.
     *
     * @param tp true positives
     * @param fp false positives
     * @param tn true negatives
     * @param fn false negatives
     * @throws IllegalArgumentException if a count is negative
     */
    public DetectionMetrics {
        if (tp < 0 || fp < 0 || tn < 0 || fn < 0) {
            throw new IllegalArgumentException("counts must be non-negative, got tp=" + tp + " fp=" + fp
                    + " tn=" + tn + " fn=" + fn);
        }
    }

    /**
     * Precision {@code tp / (tp + fp)}.
     *
     * @return the precision, or 0 when {@code tp + fp == 0}
     */
    public double precision() {
        return ratio(tp, tp + fp);
    }

    /**
     * Recall {@code tp / (tp + fn)}.
     *
     * @return the recall, or 0 when {@code tp + fn == 0} (no anomalous map)
     */
    public double recall() {
        return ratio(tp, tp + fn);
    }

    /**
     * F1, the harmonic mean {@code 2·P·R / (P + R)} of precision and recall.
     *
     * @return the F1 score, or 0 when {@code P + R == 0}
     */
    public double f1() {
        double p = precision();
        double r = recall();
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /**
     * False positive rate {@code fp / (fp + tn)}: the share of clean maps with a false alarm.
     *
     * @return the false positive rate, or 0 when {@code fp + tn == 0} (no clean map)
     */
    public double fpr() {
        return ratio(fp, fp + tn);
    }

    /**
     * False negative rate {@code fn / (fn + tp)} (= 1 − recall when there is an anomalous map).
     *
     * @return the false negative rate, or 0 when {@code fn + tp == 0} (no anomalous map)
     */
    public double fnr() {
        return ratio(fn, fn + tp);
    }

    /**
     * Counts maps under the paper's strict map-level rule (RQ2). For a map whose truth has at least one
     * anomalous column: TP only if the predicted column set equals the true set exactly (every anomalous
     * column found and no normal column flagged), otherwise FN. For a map whose truth has no anomalous
     * column: TN if nothing is predicted, otherwise FP.
     *
     * @param predicted per map, the flagged columns ({@code true} = flagged anomalous)
     * @param truth per map, the true anomalous columns; same number of maps, and each map the same
     *     number of columns as its prediction
     * @return the confusion counts
     * @throws IllegalArgumentException if the lists are empty, differ in size, a map is {@code null}, or a
     *     map's predicted and true column counts differ
     */
    public static DetectionMetrics strict(List<boolean[]> predicted, List<boolean[]> truth) {
        Objects.requireNonNull(predicted, "predicted");
        Objects.requireNonNull(truth, "truth");
        if (predicted.size() != truth.size()) {
            throw new IllegalArgumentException("length mismatch: predicted has " + predicted.size()
                    + " maps but truth has " + truth.size());
        }
        if (predicted.isEmpty()) {
            throw new IllegalArgumentException("predicted and truth are empty: need at least one map");
        }
        long tp = 0;
        long fp = 0;
        long tn = 0;
        long fn = 0;
        int m = 0;
        // Iterate both lists together: index access would be quadratic on a LinkedList.
        var pi = predicted.iterator();
        var ti = truth.iterator();
        while (pi.hasNext()) {
            boolean[] p = pi.next();
            boolean[] t = ti.next();
            if (p == null || t == null) {
                throw new IllegalArgumentException(
                        (p == null ? "predicted" : "truth") + " map " + m + " is null");
            }
            if (p.length != t.length) {
                throw new IllegalArgumentException("length mismatch in map " + m + ": predicted has "
                        + p.length + " columns but truth has " + t.length);
            }
            boolean anyTrue = false;
            boolean anyPredicted = false;
            boolean exact = true;
            for (int c = 0; c < p.length; c++) {
                anyTrue |= t[c];
                anyPredicted |= p[c];
                exact &= p[c] == t[c];
            }
            if (anyTrue) {
                if (exact) {
                    tp++;
                } else {
                    fn++;
                }
            } else if (anyPredicted) {
                fp++;
            } else {
                tn++;
            }
            m++;
        }
        return new DetectionMetrics(tp, fp, tn, fn);
    }

    /**
     * The strict map-level counts of {@link #strict(List, List)} for column probabilities thresholded at
     * τ: a column is flagged when its probability is strictly greater than τ.
     *
     * @param probabilities per map, the detector's anomaly probability of each column
     * @param truth per map, the true anomalous columns, same shape as {@code probabilities}
     * @param tau the threshold τ, strictly between 0 and 1
     * @return the confusion counts
     * @throws IllegalArgumentException if τ is not in (0, 1), the input is empty, shapes differ, a map is
     *     {@code null}, or a probability is NaN
     */
    public static DetectionMetrics strict(float[][] probabilities, boolean[][] truth, double tau) {
        Checks.requireTau(tau);
        requireShapes(probabilities, truth);
        Tally tally = new Tally();
        for (int m = 0; m < probabilities.length; m++) {
            float[] p = probabilities[m];
            boolean[] t = truth[m];
            boolean anyTrue = false;
            boolean anyPredicted = false;
            boolean exact = true;
            for (int c = 0; c < p.length; c++) {
                boolean flag = p[c] > tau;
                anyTrue |= t[c];
                anyPredicted |= flag;
                exact &= flag == t[c];
            }
            tally.add(anyTrue, exact, anyPredicted);
        }
        return tally.metrics();
    }

    /**
     * Column-level counts at τ: every (map, column) cell is one unit, anomalous when its truth says so and
     * flagged when its probability is strictly greater than τ. Unlike {@link #strict(float[][], boolean[][],
     * double)} a map with one column wrong still earns the cells it got right, so this score separates
     * thresholds where the strict one is 0 at all of them (a detector that ranks the trigger's columns
     * highest but never isolates the exact set). Not the paper's RQ2 metric: the detector's τ selection
     * falls back to it only when the strict F1 is 0 at every candidate.
     *
     * @param probabilities per map, the detector's anomaly probability of each column
     * @param truth per map, the true anomalous columns, same shape as {@code probabilities}
     * @param tau the threshold τ, strictly between 0 and 1
     * @return the confusion counts over cells
     * @throws IllegalArgumentException if τ is not in (0, 1), the input is empty, shapes differ, a map is
     *     {@code null}, or a probability is NaN
     */
    public static DetectionMetrics columnLevel(float[][] probabilities, boolean[][] truth, double tau) {
        Checks.requireTau(tau);
        requireShapes(probabilities, truth);
        Tally tally = new Tally();
        for (int m = 0; m < probabilities.length; m++) {
            for (int c = 0; c < probabilities[m].length; c++) {
                boolean flag = probabilities[m][c] > tau;
                tally.add(truth[m][c], flag, flag);
            }
        }
        return tally.metrics();
    }

    /** Running confusion counts over units (maps or cells), shared by the strict and column-level rules. */
    private static final class Tally {
        private long tp;
        private long fp;
        private long tn;
        private long fn;

        /**
         * @param positive the unit is truly anomalous
         * @param found for a positive unit: the detector got it right
         * @param alarm for a negative unit: the detector flagged something
         */
        void add(boolean positive, boolean found, boolean alarm) {
            if (positive) {
                if (found) {
                    tp++;
                } else {
                    fn++;
                }
            } else if (alarm) {
                fp++;
            } else {
                tn++;
            }
        }

        DetectionMetrics metrics() {
            return new DetectionMetrics(tp, fp, tn, fn);
        }
    }

    /**
     * Checks that probabilities and truth are non-empty, agree map by map in column count, and hold no
     * NaN. Shared with {@link PrCurve}.
     */
    static void requireShapes(float[][] probabilities, boolean[][] truth) {
        Objects.requireNonNull(probabilities, "probabilities");
        Objects.requireNonNull(truth, "truth");
        if (probabilities.length != truth.length) {
            throw new IllegalArgumentException("length mismatch: probabilities has " + probabilities.length
                    + " maps but truth has " + truth.length);
        }
        if (probabilities.length == 0) {
            throw new IllegalArgumentException("probabilities and truth are empty: need at least one map");
        }
        for (int m = 0; m < probabilities.length; m++) {
            float[] p = probabilities[m];
            boolean[] t = truth[m];
            if (p == null || t == null) {
                throw new IllegalArgumentException(
                        (p == null ? "probabilities" : "truth") + " map " + m + " is null");
            }
            if (p.length != t.length) {
                throw new IllegalArgumentException("length mismatch in map " + m + ": probabilities has "
                        + p.length + " columns but truth has " + t.length);
            }
            for (int c = 0; c < p.length; c++) {
                if (Float.isNaN(p[c])) {
                    throw new IllegalArgumentException(
                            "probability is NaN at map " + m + ", column " + c);
                }
            }
        }
    }

    /**
     * Formats the rates with three decimals and the raw counts, e.g.
     * {@code P=0.950 R=1.000 F1=0.974 FPR=0.020 FNR=0.000 (tp=95 fp=5 tn=245 fn=0)}.
     *
     * @return the summary line
     */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "P=%.3f R=%.3f F1=%.3f FPR=%.3f FNR=%.3f (tp=%d fp=%d tn=%d fn=%d)",
                precision(), recall(), f1(), fpr(), fnr(), tp, fp, tn, fn);
    }

    private static double ratio(long num, long den) {
        return den == 0 ? 0 : (double) num / den;
    }
}
