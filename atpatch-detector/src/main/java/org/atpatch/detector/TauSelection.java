package org.atpatch.detector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.atpatch.core.Checks;
import org.atpatch.core.DetectionMetrics;
import org.atpatch.core.PrCurve;

/**
 * How the detection threshold τ of Eq. 9 is chosen: fixed (the paper's 0.1), or on validation data by
 * the strict map-level metrics of RQ2, either the τ of maximal F1, or the τ of maximal F1 among those
 * whose false positive rate stays within a target, counted per map ({@link #targetFpr}) or per clean
 * input ({@link #targetCleanInputRate}).
 *
 * <p>Candidates are {@link PrCurve#defaultTaus()} (0.01 … 0.99). When several candidates tie on the
 * criterion, the median of them is taken: the middle of a plateau is the choice least sensitive to a
 * shift between validation and deployment data. When the strict F1 is 0 at every candidate, they are
 * ranked by {@link DetectionMetrics#columnLevel column-level} F1, and {@link Choice#method()} says so:
 * otherwise every τ would tie and the middle one (about 0.5) would be taken blindly.
 */
public abstract sealed class TauSelection {

    private TauSelection() {}

    /**
     * @param tau the threshold, strictly between 0 and 1
     * @return a selection that always answers {@code tau}
     */
    public static TauSelection fixed(double tau) {
        return new Fixed(Checks.requireTau(tau));
    }

    /** @return the selection of the τ with the highest strict map-level F1 */
    public static TauSelection maxF1() {
        return new MaxF1();
    }

    /**
     * @param maxFpr the highest acceptable map-level false positive rate, in [0, 1)
     * @return the selection of the τ with the highest F1 among those with {@code FPR ≤ maxFpr}; if no
     *     candidate meets the target, the one with the lowest FPR
     */
    public static TauSelection targetFpr(double maxFpr) {
        if (!(maxFpr >= 0 && maxFpr < 1)) {
            throw new IllegalArgumentException("target false positive rate must lie in [0, 1), got " + maxFpr);
        }
        return new TargetFpr(maxFpr);
    }

    /**
     * The τ of maximal F1 among those at which at most {@code maxShare} of the clean inputs have a map
     * with a column above τ, i.e. would be flagged and re-run by the patched model. On a model with one
     * map per input and layer this differs from {@link #targetFpr} in counting an input once over its
     * layers; on a windowed model (a map per window and layer) a small map-level FPR can still flag many
     * clean inputs, since one false alarm in any of an input's window maps flags the input. Every column
     * counts, special ones such as CLS included, which the patched model never flags, so the share it
     * flags is at most this one.
     *
     * <p>Needs to know which maps come from one clean input: only {@link #select(float[][],
     * DetectorTrainingData)} answers it.
     *
     * @param maxShare the highest acceptable share of clean inputs flagged, in [0, 1)
     * @return the selection; if no candidate meets the bound, the one that flags the fewest clean inputs
     */
    public static TauSelection targetCleanInputRate(double maxShare) {
        if (!(maxShare >= 0 && maxShare < 1)) {
            throw new IllegalArgumentException("target share of clean inputs flagged must lie in [0, 1), got " + maxShare);
        }
        return new TargetCleanInputRate(maxShare);
    }

    /**
     * Chooses τ.
     *
     * @param probabilities per map, the detector's column probabilities
     * @param truth per map, the true anomalous columns
     * @return the choice with the metrics at the chosen τ
     * @throws UnsupportedOperationException for {@link #targetCleanInputRate}, which needs the maps'
     *     inputs
     */
    public abstract Choice select(float[][] probabilities, boolean[][] truth);

    /**
     * Chooses τ on a data set whose maps' inputs are known.
     *
     * @param probabilities per map of {@code data}, the detector's column probabilities
     * @param data the maps, with their labels and inputs
     * @return the choice with the metrics at the chosen τ
     */
    public Choice select(float[][] probabilities, DetectorTrainingData data) {
        requireSameMaps(probabilities, data);
        return select(probabilities, data.labelMatrix());
    }

    private static void requireSameMaps(float[][] probabilities, DetectorTrainingData data) {
        if (probabilities.length != data.size()) {
            throw new IllegalArgumentException("probabilities for " + probabilities.length + " maps, but the data holds "
                    + data.size());
        }
    }

    /** @return whether this selection needs data (false only for {@link #fixed}) */
    public boolean needsData() {
        return true;
    }

    /**
     * @return whether this selection bounds the share of clean inputs flagged ({@link #targetCleanInputRate}),
     *     which presumes that the data's clean inputs are benign: true of a backdoor debugging set, not of a
     *     fairness one, whose clean sides are people the protected attribute may also sway
     */
    public boolean boundsCleanInputs() {
        return false;
    }

    /** @return a short description, e.g. {@code maxF1} or {@code targetFpr(0.05)} */
    public abstract String describe();

    @Override
    public String toString() {
        return describe();
    }

    /**
     * A chosen τ.
     *
     * @param tau the threshold
     * @param method how it was chosen ({@link TauSelection#describe()})
     * @param metrics strict map-level metrics at {@code tau} on the data it was chosen on, or
     *     {@code null} for a fixed τ chosen without data
     */
    public record Choice(double tau, String method, DetectionMetrics metrics) {
        /** Checks τ. */
        public Choice {
            Checks.requireTau(tau);
        }
    }

    /**
     * The median of the candidates with the highest strict F1. When the strict F1 is 0 at every candidate
     * (no map gets its exact column set at any τ, so the strict score cannot tell thresholds apart), the
     * candidates are ranked by {@link DetectionMetrics#columnLevel column-level} F1 instead and the method
     * says so; only if that is 0 everywhere too is the middle candidate taken. The metrics returned are the
     * strict ones either way.
     *
     * @param method the selection's description, extended when the fallback is used
     */
    private static Choice bestByF1(String method, List<PrCurve.Point> candidates, float[][] probabilities,
            boolean[][] truth) {
        double[] score = candidates.stream().mapToDouble(p -> p.metrics().f1()).toArray();
        String how = "";
        if (Arrays.stream(score).max().orElse(0) <= 0) {
            score = candidates.stream()
                    .mapToDouble(p -> DetectionMetrics.columnLevel(probabilities, truth, p.tau()).f1())
                    .toArray();
            double bestColumn = Arrays.stream(score).max().orElse(0);
            how = bestColumn > 0
                    ? String.format(Locale.ROOT, " by column-level F1 %.4f (strict F1 is 0 at every τ)", bestColumn)
                    : " (strict and column-level F1 are 0 at every τ)";
        }
        double best = Arrays.stream(score).max().orElse(0);
        List<PrCurve.Point> tied = new ArrayList<>();
        for (int i = 0; i < score.length; i++) {
            if (score[i] >= best - 1e-12) {
                tied.add(candidates.get(i));
            }
        }
        PrCurve.Point chosen = tied.get(tied.size() / 2);
        return new Choice(chosen.tau(), method + how, chosen.metrics());
    }

    /**
     * The candidates whose measure (a false positive rate, a share of inputs flagged) is at most
     * {@code max}; if none is, those at the lowest measure.
     */
    private static List<PrCurve.Point> withinBound(List<PrCurve.Point> candidates, double[] measure, double max) {
        double bound = Math.max(max, Arrays.stream(measure).min().orElse(1));
        List<PrCurve.Point> ok = new ArrayList<>();
        for (int t = 0; t < measure.length; t++) {
            if (measure[t] <= bound) {
                ok.add(candidates.get(t));
            }
        }
        return ok;
    }

    private static final class Fixed extends TauSelection {
        private final double tau;

        Fixed(double tau) {
            this.tau = tau;
        }

        @Override
        public Choice select(float[][] probabilities, boolean[][] truth) {
            return new Choice(tau, describe(),
                    probabilities == null ? null : DetectionMetrics.strict(probabilities, truth, tau));
        }

        @Override
        public boolean needsData() {
            return false;
        }

        @Override
        public String describe() {
            return "fixed(" + tau + ")";
        }
    }

    private static final class MaxF1 extends TauSelection {
        @Override
        public Choice select(float[][] probabilities, boolean[][] truth) {
            return bestByF1(describe(), PrCurve.points(probabilities, truth, PrCurve.defaultTaus()), probabilities,
                    truth);
        }

        @Override
        public String describe() {
            return "maxF1";
        }
    }

    private static final class TargetFpr extends TauSelection {
        private final double maxFpr;

        TargetFpr(double maxFpr) {
            this.maxFpr = maxFpr;
        }

        @Override
        public Choice select(float[][] probabilities, boolean[][] truth) {
            List<PrCurve.Point> pts = PrCurve.points(probabilities, truth, PrCurve.defaultTaus());
            double[] fpr = pts.stream().mapToDouble(p -> p.metrics().fpr()).toArray();
            return bestByF1(describe(), withinBound(pts, fpr, maxFpr), probabilities, truth);
        }

        @Override
        public String describe() {
            return String.format(Locale.ROOT, "targetFpr(%s)", maxFpr);
        }
    }

    private static final class TargetCleanInputRate extends TauSelection {
        private final double maxShare;

        TargetCleanInputRate(double maxShare) {
            this.maxShare = maxShare;
        }

        @Override
        public Choice select(float[][] probabilities, boolean[][] truth) {
            throw new UnsupportedOperationException(describe() + " needs to know which maps come from one clean "
                    + "input: call select(probabilities, DetectorTrainingData)");
        }

        @Override
        public Choice select(float[][] probabilities, DetectorTrainingData data) {
            requireSameMaps(probabilities, data);
            int[][] inputs = data.cleanInputs();
            if (inputs.length == 0) {
                throw new IllegalArgumentException(describe() + " needs clean inputs, but the data holds only "
                        + "maps of anomalous inputs");
            }
            // An input is flagged at τ when its largest probability, over its maps and columns, is above τ.
            double[] largest = new double[inputs.length];
            for (int k = 0; k < inputs.length; k++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int i : inputs[k]) {
                    for (float p : probabilities[i]) {
                        m = Math.max(m, p);
                    }
                }
                largest[k] = m;
            }
            boolean[][] truth = data.labelMatrix();
            List<PrCurve.Point> pts = PrCurve.points(probabilities, truth, PrCurve.defaultTaus());
            double[] share = new double[pts.size()];
            for (int t = 0; t < share.length; t++) {
                share[t] = flaggedShare(largest, pts.get(t).tau());
            }
            Choice c = bestByF1(describe(), withinBound(pts, share, maxShare), probabilities, truth);
            return new Choice(c.tau(), c.method() + String.format(Locale.ROOT, "; %.1f %% of %d clean inputs flagged",
                    100 * flaggedShare(largest, c.tau()), inputs.length), c.metrics());
        }

        /** @return the share of inputs whose largest probability is above τ, as the strict metrics compare */
        private static double flaggedShare(double[] largest, double tau) {
            return Arrays.stream(largest).filter(m -> m > tau).count() / (double) largest.length;
        }

        @Override
        public boolean boundsCleanInputs() {
            return true;
        }

        @Override
        public String describe() {
            return String.format(Locale.ROOT, "targetCleanInputRate(%s)", maxShare);
        }
    }
}
