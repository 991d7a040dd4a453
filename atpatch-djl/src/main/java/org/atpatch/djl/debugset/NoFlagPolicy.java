package org.atpatch.djl.debugset;

/**
 * What trigger inversion does when the MAD test flags no class (no inverted mask is abnormally
 * small). Whatever the choice, the outcome is logged and recorded in the {@link InversionReport}.
 */
public enum NoFlagPolicy {
    /** Throw a {@link NoTargetFlaggedException} (it carries the report, so no inversion is lost). */
    FAIL,
    /**
     * Select the class with the smallest mask L1 norm anyway, with a WARN log that the model may be
     * clean. The default: a debugging set built from the most suspect class is still useful, and a
     * user who thinks the model clean can ignore it; the report says the selection was not flagged.
     */
    USE_SMALLEST_NORM,
    /** Select nothing (an INFO log); the debugging set built from the selection has no pairs. */
    EMPTY
}
