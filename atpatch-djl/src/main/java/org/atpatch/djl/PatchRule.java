package org.atpatch.djl;

import ai.djl.ndarray.NDArray;

/**
 * How a flagged sample is patched during its re-run: a strategy over the two interception points.
 * Implementations use batched NDArray ops only, keep every sample whose mask is all false bit for
 * bit, and are stateless (one instance serves all threads). {@link PatchRules} has the shipped ones.
 */
public interface PatchRule {

    /** @return a short name for reports and bundles, e.g. {@code gamma} */
    String name();

    /** @return whether the rule needs benign token states and token-state points */
    default boolean usesTokenStates() {
        return false;
    }

    /**
     * Patches the hidden states entering a layer.
     *
     * @param layer the layer
     * @param states {@code (batch, N, width)}
     * @param flagged {@code (batch, N)} boolean, the columns to patch
     * @param benign the benign statistics on the device
     * @return the states to continue with
     */
    default NDArray patchTokenStates(int layer, NDArray states, NDArray flagged, BenignOnDevice benign) {
        return states;
    }

    /**
     * Patches a layer's attention probabilities.
     *
     * @param layer the layer
     * @param probs {@code (batch, heads, N, N)}
     * @param flagged {@code (batch, N)} boolean, the columns to patch
     * @param benign the benign statistics on the device
     * @return the map to continue with
     */
    default NDArray patchAttention(int layer, NDArray probs, NDArray flagged, BenignOnDevice benign) {
        return probs;
    }

    /**
     * A layer's attention context under this rule, {@code patchAttention(…) · values}; what the
     * patched model calls. Rules that can compute it without materialising the patched map override
     * it (Γ and drop-and-renormalise do, {@link DeviceHotPatch#attend}); they must agree with the
     * default up to float rounding and return {@code probs · values} bit for bit for samples with no
     * flagged column.
     *
     * @param layer the layer
     * @param probs {@code (batch, heads, N, N)}
     * @param values {@code (batch, heads, N, headWidth)}
     * @param flagged {@code (batch, N)} boolean, the columns to patch
     * @param benign the benign statistics on the device
     * @return the context {@code (batch, heads, N, headWidth)}
     */
    default NDArray attend(int layer, NDArray probs, NDArray values, NDArray flagged, BenignOnDevice benign) {
        return patchAttention(layer, probs, flagged, benign).matMul(values);
    }
}
