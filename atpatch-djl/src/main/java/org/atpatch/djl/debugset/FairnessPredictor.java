package org.atpatch.djl.debugset;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Objects;
import org.atpatch.djl.Predictions;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchDecision;
import org.atpatch.djl.PatchedModel;

/**
 * The classifier f whose individual fairness is probed: predicted classes for many inputs at once.
 * {@link FairnessFlips} hands it all flips of many samples in one call, so an implementation should
 * batch internally (as {@link #of(Model, int)} does) rather than run one forward per sample.
 */
@FunctionalInterface
public interface FairnessPredictor {

    /**
     * @param data inputs (labels are ignored)
     * @return one predicted class per sample, {@code data.size()} of them
     */
    int[] predict(LabelledData data);

    /**
     * The unpatched model's argmax classes, {@code batchSize} samples per forward.
     *
     * @param model an initialised model
     * @param batchSize samples per forward
     * @return the predictor
     */
    static FairnessPredictor of(Model model, int batchSize) {
        Objects.requireNonNull(model, "model");
        checkBatch(batchSize);
        DjlOffline.configure();
        return data -> Predictions.classes(model, data, batchSize);
    }

    /**
     * The patched model's argmax classes (the unfairness rate after the hot fix).
     *
     * @param patched a patched model
     * @param batchSize samples per call
     * @return the predictor
     */
    static FairnessPredictor of(PatchedModel patched, int batchSize) {
        Objects.requireNonNull(patched, "patched");
        checkBatch(batchSize);
        DjlOffline.configure();
        return data -> Predictions.classes(patched, data, batchSize);
    }

    /**
     * The patched model's argmax classes with a patch decision, e.g. a {@link FlipInvariantDecision}
     * (the unfairness rate of the flip-invariant hot fix).
     *
     * @param patched a patched model
     * @param decision how it decides what to patch
     * @param batchSize samples per call
     * @return the predictor
     */
    static FairnessPredictor of(PatchedModel patched, PatchDecision decision, int batchSize) {
        Objects.requireNonNull(patched, "patched");
        Objects.requireNonNull(decision, "decision");
        checkBatch(batchSize);
        DjlOffline.configure();
        return data -> Predictions.classes(patched, decision, data, batchSize);
    }

    /**
     * The argmax classes of {@link OrbitAveraging#predict}: the model's own class where an input's
     * flip orbit agrees, the class of the orbit's mean probabilities where it diverges.
     *
     * @param model an initialised model
     * @param repair the orbit averaging of the protected attributes
     * @param batchSize inputs per call (each costs {@link OrbitAveraging#orbitSize()} + 1 rows of forward)
     * @return the predictor
     */
    static FairnessPredictor of(Model model, OrbitAveraging repair, int batchSize) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(repair, "repair");
        checkBatch(batchSize);
        DjlOffline.configure();
        return data -> {
            int[] out = new int[data.size()];
            for (int from = 0; from < data.size(); from += batchSize) {
                int to = Math.min(data.size(), from + batchSize);
                try (NDManager sub = model.getNDManager().newSubManager()) {
                    int[] classes = repair.predict(model, data.batch(sub, from, to)).argMax(1).toType(DataType.INT32, false)
                            .toIntArray();
                    System.arraycopy(classes, 0, out, from, classes.length);
                }
            }
            return out;
        };
    }

    private static void checkBatch(int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
    }
}
