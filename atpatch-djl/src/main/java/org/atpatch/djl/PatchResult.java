package org.atpatch.djl;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * A batch's output with a report per sample.
 *
 * @param logits {@code (batch, classes)}, in the caller's manager
 * @param reports one per sample, in batch order
 */
public record PatchResult(NDArray logits, List<PatchReport> reports) {

    /** Copies the list. */
    public PatchResult {
        reports = List.copyOf(reports);
    }
}
