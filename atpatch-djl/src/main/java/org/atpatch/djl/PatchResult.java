package org.atpatch.djl;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * A batch's output with a report per sample. Closing it frees the logits' native memory (they also
 * go when the manager they are in closes).
 *
 * @param logits {@code (batch, classes)}, in the caller's manager
 * @param reports one per sample, in batch order
 */
public record PatchResult(NDArray logits, List<PatchReport> reports) implements AutoCloseable {

    /** Copies the list. */
    public PatchResult {
        reports = List.copyOf(reports);
    }

    /** Frees the logits. */
    @Override
    public void close() {
        logits.close();
    }
}
