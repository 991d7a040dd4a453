package org.atpatch.djl.debugset;

/**
 * Thrown under {@link NoFlagPolicy#FAIL} when the MAD test flags no class. It carries the full
 * {@link InversionReport}, so the inverted triggers can still be inspected, written, or used.
 */
public final class NoTargetFlaggedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient InversionReport report;

    NoTargetFlaggedException(String message, InversionReport report) {
        super(message);
        this.report = report;
    }

    /** @return the report of the inversion that flagged nothing */
    public InversionReport report() {
        return report;
    }
}
