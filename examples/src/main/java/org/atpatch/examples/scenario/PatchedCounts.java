package org.atpatch.examples.scenario;

import ai.djl.ndarray.NDManager;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;

/**
 * How a patched model treats a labelled set: how many inputs it patched, how many of those it
 * classified correctly, and how many it classified correctly in all.
 *
 * @param size the inputs
 * @param patched inputs the patched model patched (re-ran with a patch)
 * @param correctOnPatched of those, classified as labelled
 * @param correct all inputs classified as labelled
 */
public record PatchedCounts(int size, int patched, int correctOnPatched, int correct) {

    /**
     * Runs the set through the patched model with per-sample reports.
     *
     * @param model the patched model
     * @param data the labelled inputs
     * @param batchSize inputs per call
     * @return the counts
     */
    public static PatchedCounts of(PatchedModel model, LabelledData data, int batchSize) {
        int count = 0;
        int correctPatched = 0;
        int correct = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            for (int from = 0; from < data.size(); from += batchSize) {
                int to = Math.min(data.size(), from + batchSize);
                try (NDManager sub = m.newSubManager()) {
                    PatchResult result = model.predictWithReport(data.batch(sub, from, to));
                    long[] arg = result.logits().argMax(1).toLongArray();
                    for (int i = 0; i < arg.length; i++) {
                        boolean right = arg[i] == data.labels()[from + i];
                        correct += right ? 1 : 0;
                        if (result.reports().get(i).patched()) {
                            count++;
                            correctPatched += right ? 1 : 0;
                        }
                    }
                }
            }
        }
        return new PatchedCounts(data.size(), count, correctPatched, correct);
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
}
