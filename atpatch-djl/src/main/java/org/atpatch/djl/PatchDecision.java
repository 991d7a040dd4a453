package org.atpatch.djl;

import ai.djl.ndarray.NDArray;

/**
 * How a {@link PatchedModel} decides what to patch, when the decision must not be the detector's
 * verdict on the input as given (see {@link PatchedModel#predict(NDArray, PatchDecision)}).
 *
 * <p>Pass 1 runs the detector on {@link #decisionInput(NDArray)} instead of the input; the samples
 * with a column above τ there are the ones re-run, with {@link #patchColumns(NDArray)} of their
 * flagged columns patched, on the input as given. A sample with nothing flagged gets the unpatched
 * model's output for its own input, bit for bit. A decision that maps an input and each of its
 * variants (for instance every flip of its protected attributes) to the same decision input makes
 * the patch the same for all of them.
 *
 * <p>Both methods run on the model's device with batched NDArray ops, inside the call's NDManager
 * scope; implementations must be stateless or thread-safe, since one decision may serve concurrent
 * calls.
 */
public interface PatchDecision {

    /**
     * @param input the batch as the model receives it, float32 on the model's device
     * @return the batch pass 1 detects on, same shape and type, one row per input row
     */
    NDArray decisionInput(NDArray input);

    /**
     * @param flagged {@code (B, N)} boolean: per sample, the columns flagged at any layer on the
     *     decision input; a row with no column set is a sample that is not patched
     * @return {@code (B, N)} boolean: the columns to patch; a row with nothing flagged must stay
     *     empty, and a row with a flagged column must keep at least one
     */
    NDArray patchColumns(NDArray flagged);
}
