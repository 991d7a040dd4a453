package org.atpatch.examples.reproduce;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchDecision;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;

/**
 * How a patched model treats a labelled set: how many inputs it patched, how many of those it
 * classified correctly, how many it classified correctly in all, and, against a reference
 * prediction per input (the unpatched model's), how many it turned right and how many wrong.
 *
 * @param size the inputs
 * @param patched inputs the patched model patched (re-ran with a patch)
 * @param correctOnPatched of those, classified as labelled
 * @param correct all inputs classified as labelled
 * @param gained inputs the reference got wrong and the patched model right (0 without a reference)
 * @param lost inputs the reference got right and the patched model wrong (0 without a reference)
 */
public record PatchedCounts(int size, int patched, int correctOnPatched, int correct, int gained, int lost) {

    /**
     * Runs the set through the patched model with per-sample reports.
     *
     * @param model the patched model
     * @param data the labelled inputs
     * @param batchSize inputs per call
     * @return the counts
     */
    public static PatchedCounts of(PatchedModel model, LabelledData data, int batchSize) {
        return of(model, data, batchSize, null);
    }

    /**
     * Runs the set through the patched model with per-sample reports and compares each prediction
     * with a reference prediction.
     *
     * @param model the patched model
     * @param data the labelled inputs
     * @param batchSize inputs per call
     * @param reference one predicted class per input (the unpatched model's), or null for none
     * @return the counts
     * @throws IllegalArgumentException when the reference does not hold one class per input
     */
    public static PatchedCounts of(PatchedModel model, LabelledData data, int batchSize, int[] reference) {
        return of(model, null, data, batchSize, reference);
    }

    /**
     * As {@link #of(PatchedModel, LabelledData, int, int[])}, with the patch decision taken by a {@link
     * PatchDecision}.
     *
     * @param model the patched model
     * @param decision how it decides what to patch, or null for its own per-input decision
     * @param data the labelled inputs
     * @param batchSize inputs per call
     * @param reference one predicted class per input (the unpatched model's), or null for none
     * @return the counts
     */
    public static PatchedCounts of(PatchedModel model, PatchDecision decision, LabelledData data, int batchSize,
            int[] reference) {
        if (reference != null && reference.length != data.size()) {
            throw new IllegalArgumentException(
                    "reference predictions: " + reference.length + " for " + data.size() + " inputs");
        }
        int count = 0;
        int gained = 0;
        int lost = 0;
        int correctPatched = 0;
        int correct = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            for (int from = 0; from < data.size(); from += batchSize) {
                int to = Math.min(data.size(), from + batchSize);
                try (NDManager sub = m.newSubManager()) {
                    NDArray batch = data.batch(sub, from, to);
                    PatchResult result = decision == null ? model.predictWithReport(batch) : model.predictWithReport(batch, decision);
                    long[] arg = result.logits().argMax(1).toLongArray();
                    for (int i = 0; i < arg.length; i++) {
                        boolean right = arg[i] == data.labels()[from + i];
                        correct += right ? 1 : 0;
                        if (reference != null) {
                            boolean wasRight = reference[from + i] == data.labels()[from + i];
                            gained += right && !wasRight ? 1 : 0;
                            lost += wasRight && !right ? 1 : 0;
                        }
                        if (result.reports().get(i).patched()) {
                            count++;
                            correctPatched += right ? 1 : 0;
                        }
                    }
                }
            }
        }
        return new PatchedCounts(data.size(), count, correctPatched, correct, gained, lost);
    }

    /** @return the share of inputs patched */
    public double patchedShare() {
        return size == 0 ? Double.NaN : patched / (double) size;
    }

    /** @return accuracy over all inputs */
    public double accuracy() {
        return size == 0 ? Double.NaN : correct / (double) size;
    }

    /** @return accuracy on the patched inputs (NaN when none) */
    public double accuracyOnPatched() {
        return patched == 0 ? Double.NaN : correctOnPatched / (double) patched;
    }

    /**
     * McNemar's statistic for the change in accuracy against the reference: (gained − lost) /
     * √(gained + lost). Near 0 the change is within what the inputs the patch changed can show by
     * chance; below −2 the patch costs accuracy beyond that noise.
     *
     * @return the statistic, 0 when no prediction changed correctness
     */
    public double accuracyChangeZ() {
        return mcnemarZ(gained, lost);
    }

    /**
     * @param gained predictions turned right
     * @param lost predictions turned wrong
     * @return (gained − lost) / √(gained + lost), 0 when both are 0
     */
    public static double mcnemarZ(int gained, int lost) {
        int changed = gained + lost;
        return changed == 0 ? 0 : (gained - lost) / Math.sqrt(changed);
    }
}
