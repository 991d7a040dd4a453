package org.atpatch.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.atpatch.djl.patch.BenignOnDevice;
import org.atpatch.djl.patch.PatchRule;

/**
 * A diagnostic wrapper: runs another rule's attention patch inside a per-layer NDManager scope and
 * keeps only its result, so the rule's temporaries are freed as soon as the layer is patched instead
 * of living until the end of the predict call. Same numbers as the wrapped rule, bit for bit; it
 * measures how much of a rule's cost is holding (and first-touching) memory.
 */
final class ScopedRule implements PatchRule {

    private final PatchRule inner;

    ScopedRule(PatchRule inner) {
        this.inner = inner;
    }

    @Override
    public String name() {
        return inner.name() + "-scoped";
    }

    @Override
    public boolean usesTokenStates() {
        return inner.usesTokenStates();
    }

    @Override
    public NDArray patchTokenStates(int layer, NDArray states, NDArray flagged, BenignOnDevice benign) {
        return inner.patchTokenStates(layer, states, flagged, benign);
    }

    @Override
    public NDArray patchAttention(int layer, NDArray probs, NDArray flagged, BenignOnDevice benign) {
        NDManager outer = probs.getManager();
        try (NDManager scope = outer.newSubManager()) {
            probs.tempAttach(scope);
            flagged.tempAttach(scope);
            NDArray out = inner.patchAttention(layer, probs, flagged, benign);
            if (out != probs) {
                out.attach(outer);
            }
            return out;
        }
    }
}
