package org.atpatch.djl;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.Objects;
import org.atpatch.detector.DjlOffline;

/**
 * Predicted classes of a whole {@link LabelledData} set, batch by batch, through an unpatched model
 * or a {@link PatchedModel}: the argmax of each sample's logits. Each batch's native memory is freed
 * before the next one is read.
 *
 * <p>Thread-safety: stateless; safe wherever the model passed in is (a {@link PatchedModel} is).
 */
public final class Predictions {

    private Predictions() {}

    /**
     * Predicted classes of the unpatched model.
     *
     * @param model the model, with an initialised block
     * @param data the inputs (labels unused)
     * @param batchSize samples per forward, positive
     * @return the argmax class per sample, in the order of {@code data}
     * @throws IllegalArgumentException if {@code batchSize} is not positive
     */
    public static int[] classes(Model model, LabelledData data, int batchSize) {
        Objects.requireNonNull(model, "model");
        requireBatchSize(batchSize);
        DjlOffline.configure();
        int[] out = new int[data.size()];
        for (int from = 0; from < data.size(); from += batchSize) {
            int to = Math.min(data.size(), from + batchSize);
            try (NDManager sub = model.getNDManager().newSubManager()) {
                NDArray logits = model.getBlock().forward(new ParameterStore(sub, false),
                        new NDList(data.batch(sub, from, to)), false).singletonOrThrow();
                copyArgMax(logits, out, from);
            }
        }
        return out;
    }

    /**
     * Predicted classes through a patched model ({@link PatchedModel#predict}).
     *
     * @param patched the patched model
     * @param data the inputs (labels unused)
     * @param batchSize samples per call, positive
     * @return the argmax class per sample, in the order of {@code data}
     * @throws IllegalArgumentException if {@code batchSize} is not positive
     */
    public static int[] classes(PatchedModel patched, LabelledData data, int batchSize) {
        return classes(patched, null, data, batchSize);
    }

    /**
     * Predicted classes through a patched model with a patch decision ({@link
     * PatchedModel#predict(NDArray, PatchDecision)}).
     *
     * @param patched the patched model
     * @param decision how it decides what to patch, or null for its own per-input decision
     * @param data the inputs (labels unused)
     * @param batchSize samples per call, positive
     * @return the argmax class per sample, in the order of {@code data}
     * @throws IllegalArgumentException if {@code batchSize} is not positive
     */
    public static int[] classes(PatchedModel patched, PatchDecision decision, LabelledData data, int batchSize) {
        Objects.requireNonNull(patched, "patched");
        requireBatchSize(batchSize);
        int[] out = new int[data.size()];
        try (NDManager m = NDManager.newBaseManager()) {
            for (int from = 0; from < data.size(); from += batchSize) {
                int to = Math.min(data.size(), from + batchSize);
                try (NDManager sub = m.newSubManager()) {
                    NDArray batch = data.batch(sub, from, to);
                    copyArgMax(decision == null ? patched.predict(batch) : patched.predict(batch, decision), out, from);
                }
            }
        }
        return out;
    }

    private static void copyArgMax(NDArray logits, int[] out, int from) {
        long[] arg = logits.argMax(1).toLongArray();
        for (int i = 0; i < arg.length; i++) {
            out[from + i] = (int) arg[i];
        }
    }

    private static void requireBatchSize(int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
    }
}
