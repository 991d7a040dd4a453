package org.atpatch.djl;

/**
 * A debugging set or trained detector that a {@link QualityGates} check found unusable; no bundle is
 * produced. The message says what was measured, against which threshold, and what to do; {@link
 * #gate()} says which check failed.
 */
public final class QualityGateException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** The check that failed. */
    public enum Gate {
        /** Fewer pairs than {@link QualityGates#minPairs()}. */
        TOO_FEW_PAIRS,
        /** Every labelled column is one the detector may not flag (CLS and other special tokens). */
        SPECIAL_COLUMNS_ONLY,
        /** Labels cover more than {@link QualityGates#maxLabelledShare()} of the columns. */
        MOST_COLUMNS_LABELLED,
        /** Too many anomalous inputs equal their clean partners. */
        IDENTICAL_PAIRS,
        /** Validation F1 below {@link QualityGates#minValidationF1()}. */
        DETECTOR_F1,
        /** More of the debugging set's clean inputs flagged than {@link QualityGates#maxCleanInputFlagRate()}. */
        CLEAN_INPUTS_FLAGGED,
        /** The selected rule changes too few anomalous inputs: the patch would not remove the backdoor. */
        PATCH_DOES_NOT_UNDO
    }

    private final Gate gate;

    /**
     * @param gate the check that failed
     * @param message what was measured and what to do
     */
    public QualityGateException(Gate gate, String message) {
        super(message + " (quality gate " + gate + "; AtPatch.builder().optQualityGates(...) changes or disables it)");
        this.gate = gate;
    }

    /** @return the check that failed */
    public Gate gate() {
        return gate;
    }
}
