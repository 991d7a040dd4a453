package org.atpatch.djl;

import ai.djl.ndarray.NDArray;

/**
 * What pass 1 reads to the host, and the per-sample decision made from it: the detector's
 * probabilities {@code (B, L, N)} and the logits, read as they are, so that pass 1 dispatches no
 * op for the decision. A sample is flagged when one of its eligible columns, at any layer, scores
 * above the cut; every value read must be finite (a NaN or Inf in a map reaches the logits through
 * {@code probs · V}, one in the detector's output is read directly), and every probability in [0, 1]
 * ({@link #outOfRange} names the first that is not, so that a custom detector's mistake is an error).
 *
 * <p>It replaces five device ops that reduced these arrays before one read (mask, reshape, max, sum,
 * concatenation) by a copy of {@code B·L·N + B·C} floats, a few kilobytes, so that pass 1 dispatches
 * few ops beyond the unpatched forward's (measured: docs/performance.md).
 */
final class PassOneReadout {

    /** The probabilities read, {@code (B, L, N)} row-major. */
    final float[] probs;
    /** Whether each sample is flagged. */
    final boolean[] patched;
    /** How many samples are flagged. */
    final int count;
    /** Whether every value read is finite. */
    final boolean finite;
    /** The flat index into {@link #probs} of the first probability outside [0, 1], or -1. */
    final int outOfRange;

    private PassOneReadout(float[] probs, boolean[] patched, int count, boolean finite, int outOfRange) {
        this.probs = probs;
        this.patched = patched;
        this.count = count;
        this.finite = finite;
        this.outOfRange = outOfRange;
    }

    /**
     * Reads and decides.
     *
     * @param scores {@code (B, L, N)}: the detector's probabilities, or (window maps) each sample
     *     token's count of flagged windows
     * @param eligible which of the {@code N} columns may flag a sample; null for all
     * @param cut a sample is flagged when an eligible score is above it ({@code (float) τ}, or 0 for counts)
     * @param logits {@code (B, C)}
     * @param probs the detector's probabilities when {@code scores} are counts, else null: read for
     *     the report and checked to be finite
     * @return the readout
     */
    static PassOneReadout read(NDArray scores, boolean[] eligible, float cut, NDArray logits, NDArray probs) {
        int b = (int) scores.getShape().get(0);
        int n = (int) scores.getShape().get(2);
        float[] s = scores.toFloatArray();
        float[] p = probs == null ? s : probs.toFloatArray();
        boolean finite = allFinite(logits.toFloatArray()) && allFinite(s) && (p == s || allFinite(p));
        boolean[] patched = new boolean[b];
        int count = 0;
        int perSample = s.length / b;
        for (int i = 0; i < b; i++) {
            for (int k = i * perSample, end = k + perSample; k < end; k++) {
                if (s[k] > cut && (eligible == null || eligible[k % n])) {
                    patched[i] = true;
                    count++;
                    break;
                }
            }
        }
        return new PassOneReadout(p, patched, count, finite, firstOutsideUnitInterval(p));
    }

    private static int firstOutsideUnitInterval(float[] a) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] < 0f || a[i] > 1f) {
                return i;
            }
        }
        return -1;
    }

    private static boolean allFinite(float[] a) {
        for (float v : a) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
