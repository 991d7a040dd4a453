package org.atpatch.djl.patch;

import ai.djl.ndarray.NDArray;
import org.atpatch.djl.PatchedModel;

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
     * Whether the rule changes the attention maps of the layer it is applied at. {@link
     * org.atpatch.djl.PatchMode#STREAMING} patches from the layer where a column is first flagged on,
     * so a rule that acts only on the token states entering a layer would change nothing for a
     * column flagged at the last layer (and, acting at layer 0 only, nothing at all); streaming
     * refuses such rules.
     *
     * @return {@code true} unless the rule acts on token states only
     */
    default boolean patchesAttention() {
        return true;
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
     * {@link #patchAttention}, allowed to overwrite {@code probs} and return it. {@link PatchedModel}
     * calls it in its patched forwards when it owns the maps: no model-wide interceptor can hold them
     * and no gradient is recorded through them. Rules that rescale the whole map (Γ,
     * drop-and-renormalise) override it to avoid allocating map-sized arrays ({@link
     * DeviceHotPatch#applyInPlace}); the result must equal {@link #patchAttention}'s up to float
     * rounding.
     *
     * @param layer the layer
     * @param probs {@code (batch, heads, N, N)}, which the rule may overwrite
     * @param flagged {@code (batch, N)} boolean, the columns to patch
     * @param benign the benign statistics on the device
     * @return the map to continue with
     */
    default NDArray patchAttentionInPlace(int layer, NDArray probs, NDArray flagged, BenignOnDevice benign) {
        return patchAttention(layer, probs, flagged, benign);
    }

    /**
     * This rule for one patched forward whose flagged columns are the same at every layer
     * ({@link PatchedModel}'s two-pass re-run): a rule may do its per-call work (masks, column indices,
     * host reads) here once instead of at every layer. The returned rule serves that one forward,
     * on one thread, and is called with these {@code flagged} columns; it must give the same results
     * as this rule. Default: this rule.
     *
     * @param flagged {@code (batch, N)} boolean, the columns every layer of the forward patches
     * @param benign the benign statistics on the device
     * @return the rule for this forward
     */
    default PatchRule forColumns(NDArray flagged, BenignOnDevice benign) {
        return this;
    }
}
