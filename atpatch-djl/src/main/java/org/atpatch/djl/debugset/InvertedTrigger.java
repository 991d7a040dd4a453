package org.atpatch.djl.debugset;

import java.util.Locale;

/**
 * The outcome of inverting one candidate target class (Eq. 3).
 *
 * @param trigger the smallest-norm mask and pattern that reached the attack-success threshold during
 *     optimisation, or the last one when none did
 * @param maskL1 {@code ‖M‖₁} of that mask, the statistic the MAD test reads
 * @param attackSuccess the fraction of held-out clean inputs of other classes that the trigger sends
 *     to the target, measured after optimisation
 * @param reachedThreshold whether any optimisation round reached the attack-success threshold
 * @param steps optimisation steps (mini-batches) spent on this class
 * @param finalCost the L1 weight λ when the class stopped
 */
public record InvertedTrigger(
        Trigger trigger, double maskL1, double attackSuccess, boolean reachedThreshold, int steps, double finalCost) {

    /** Validates. */
    public InvertedTrigger {
        if (trigger == null) {
            throw new IllegalArgumentException("trigger is required");
        }
    }

    /** @return the candidate target class */
    public int target() {
        return trigger.target();
    }

    /** @return a copy of the mask, {@code H × W} */
    public float[] mask() {
        return trigger.mask();
    }

    /** @return a copy of the pattern, {@code C × H × W} */
    public float[] pattern() {
        return trigger.pattern();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "InvertedTrigger(class %d, mask L1 %.2f, attack success %.3f%s, %d steps, cost %.2e)",
                target(), maskL1, attackSuccess, reachedThreshold ? "" : " (threshold never reached)", steps, finalCost);
    }
}
