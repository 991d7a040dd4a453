package org.atpatch.djl.debugset;

/**
 * What trigger inversion does when the MAD test flags no class (no inverted mask is abnormally
 * small). Whatever the choice, the outcome is logged and recorded in the {@link InversionReport}.
 */
public enum NoFlagPolicy {
    /**
     * The default: no backdoor found. Throw a {@link NoTargetFlaggedException} that says so and carries
     * the report (no inversion is lost: it can go to {@link RegionInversion}, or be written). A debugging
     * set built from a class that is not the target teaches the detector innocent columns: on a clean
     * model such a bundle re-ran 29 % of clean inputs and cost 0.8 points of accuracy.
     */
    FAIL,
    /**
     * Select the class with the smallest mask L1 norm anyway, with a WARN log that the model may be
     * clean; the report says the selection was not flagged. For a user who has other evidence of a
     * backdoor than the MAD test.
     */
    USE_SMALLEST_NORM,
    /** Select nothing (an INFO log); the debugging set built from the selection has no pairs. */
    EMPTY
}
