package org.atpatch.djl;

import java.util.Locale;

/**
 * The checks {@link AtPatch#trainBundle} makes before it hands out a bundle, so that a debugging set
 * or detector that cannot work fails with a {@link QualityGateException} saying what is wrong and
 * what to do, instead of producing a patch that is inert or harmful.
 *
 * <p>On the debugging set, before any attention is recorded:
 * <ul>
 *   <li>at least {@link #minPairs()} pairs (default 20): a detector trained on a handful of maps
 *       learns the handful (measured: one pair gave a patch that re-ran every input and dropped clean
 *       accuracy from 99.5 % to 22 %);
 *   <li>some labelled column that the detector may flag: labels on special columns (CLS) only
 *       train a detector whose flags are all discarded, so nothing is ever patched;
 *   <li>on average at most {@link #maxLabelledShare()} of the flaggable columns labelled per pair
 *       (default 0.5): a label on most columns teaches "patch everything";
 *   <li>at most {@link #maxIdenticalShare()} of the pairs with an anomalous input equal to its clean
 *       partner (default 0.5): such pairs teach the detector to flag clean maps.
 * </ul>
 * On the result, for backdoor debugging sets (a fairness pair's clean side is a person whose
 * prediction may itself depend on the attribute, so flagging it is no false alarm):
 * <ul>
 *   <li>validation F1 at τ at least {@link #minValidationF1()} (default 0.5), where the detector
 *       was validated;
 *   <li>at most {@link #maxCleanInputFlagRate()} of the debugging set's clean inputs flagged (default
 *       0.5): every flagged clean input pays a second forward and risks its prediction;
 *   <li>backdoor debugging sets, where the rule was selected on them: the chosen rule changes the
 *       prediction of at least {@link #minRemoved()} of the anomalous inputs (default 0.1). Below that
 *       the patch is inert on its own debugging set: the detector or the labels miss the trigger.
 *       Measured: labels one patch beside a planted trigger's gave 0.048 (and ASR unchanged); the
 *       quickstart's working bundle gives 0.17 (ASR 100 % to 1.75 %), because the inverted triggers of
 *       the clean classes the MAD test also flags, and the target's own inverted trigger, act partly
 *       outside the columns the patch neutralises. The share does not separate a wrong target class
 *       from a right one on every victim, so the threshold stays low.
 * </ul>
 * The defaults are loose on purpose: they catch debugging sets that cannot work, not weak ones.
 * {@link #disabled()} turns every gate off for experts who know why. Immutable and thread-safe.
 */
public final class QualityGates {

    private static final QualityGates DEFAULTS = builder().build();

    private final int minPairs;
    private final double maxLabelledShare;
    private final double maxIdenticalShare;
    private final double minValidationF1;
    private final double maxCleanInputFlagRate;
    private final double minRemoved;

    private QualityGates(Builder b) {
        this.minPairs = b.minPairs;
        this.maxLabelledShare = b.maxLabelledShare;
        this.maxIdenticalShare = b.maxIdenticalShare;
        this.minValidationF1 = b.minValidationF1;
        this.maxCleanInputFlagRate = b.maxCleanInputFlagRate;
        this.minRemoved = b.minRemoved;
    }

    /** @return the default gates */
    public static QualityGates defaults() {
        return DEFAULTS;
    }

    /** @return gates that let everything through (a non-empty debugging set is still required) */
    public static QualityGates disabled() {
        return builder().optMinPairs(1).optMaxLabelledShare(1).optMaxIdenticalShare(1).optMinValidationF1(0)
                .optMaxCleanInputFlagRate(1).optMinRemoved(0).build();
    }

    /** @return a builder starting from the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the fewest pairs a debugging set may have */
    public int minPairs() {
        return minPairs;
    }

    /** @return the largest mean share of flaggable columns labelled per pair */
    public double maxLabelledShare() {
        return maxLabelledShare;
    }

    /** @return the largest share of pairs whose anomalous input equals its clean one */
    public double maxIdenticalShare() {
        return maxIdenticalShare;
    }

    /** @return the lowest validation F1 at τ */
    public double minValidationF1() {
        return minValidationF1;
    }

    /** @return the largest share of the debugging set's clean inputs the detector may flag */
    public double maxCleanInputFlagRate() {
        return maxCleanInputFlagRate;
    }

    /** @return the lowest share of anomalous inputs the selected rule must change */
    public double minRemoved() {
        return minRemoved;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "QualityGates[minPairs=%d, maxLabelledShare=%s, maxIdenticalShare=%s, "
                + "minValidationF1=%s, maxCleanInputFlagRate=%s, minRemoved=%s]", minPairs, maxLabelledShare,
                maxIdenticalShare, minValidationF1, maxCleanInputFlagRate, minRemoved);
    }

    /** Builds {@link QualityGates}; every setting starts at its default. */
    public static final class Builder {
        private int minPairs = 20;
        private double maxLabelledShare = 0.5;
        private double maxIdenticalShare = 0.5;
        private double minValidationF1 = 0.5;
        private double maxCleanInputFlagRate = 0.5;
        private double minRemoved = 0.1;

        private Builder() {}

        /** @param v the fewest pairs, at least 1 (default 20) @return this */
        public Builder optMinPairs(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("minPairs must be at least 1, got " + v);
            }
            this.minPairs = v;
            return this;
        }

        /** @param v the largest mean labelled share of flaggable columns, in (0, 1] (default 0.5) @return this */
        public Builder optMaxLabelledShare(double v) {
            this.maxLabelledShare = share("maxLabelledShare", v, false);
            return this;
        }

        /** @param v the largest share of identical pairs, in [0, 1] (default 0.5) @return this */
        public Builder optMaxIdenticalShare(double v) {
            this.maxIdenticalShare = share("maxIdenticalShare", v, true);
            return this;
        }

        /** @param v the lowest validation F1, in [0, 1] (default 0.5) @return this */
        public Builder optMinValidationF1(double v) {
            this.minValidationF1 = share("minValidationF1", v, true);
            return this;
        }

        /** @param v the largest clean-input flag rate, in (0, 1] (default 0.5) @return this */
        public Builder optMaxCleanInputFlagRate(double v) {
            this.maxCleanInputFlagRate = share("maxCleanInputFlagRate", v, false);
            return this;
        }

        /** @param v the lowest share of anomalous inputs the selected rule must change, in [0, 1] (default 0.1) @return this */
        public Builder optMinRemoved(double v) {
            this.minRemoved = share("minRemoved", v, true);
            return this;
        }

        private static double share(String name, double v, boolean zeroAllowed) {
            if (!(v >= 0 && v <= 1) || (!zeroAllowed && v == 0)) {
                throw new IllegalArgumentException(name + " must be in " + (zeroAllowed ? "[0, 1]" : "(0, 1]") + ", got " + v);
            }
            return v;
        }

        /** @return the gates */
        public QualityGates build() {
            return new QualityGates(this);
        }
    }
}
