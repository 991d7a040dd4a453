package org.atpatch.detector;

import java.util.LinkedHashMap;
import java.util.Map;
import org.atpatch.core.DetectionMetrics;

/**
 * What made a trained detector (Tribuo-style provenance), saved with it: the configuration, the
 * seed, the data sizes, how training went, the chosen τ and the validation metrics at that τ.
 *
 * @param createdAt ISO-8601 instant training finished
 * @param library library and DJL/engine versions that trained it
 * @param config every {@link DetectorConfig} setting by name
 * @param seed the seed
 * @param data sizes of the training and validation sides
 * @param training epochs run, best epoch, effective positive weight, losses, seconds
 * @param tau the threshold τ in force
 * @param tauMethod how τ was chosen ({@link TauSelection#describe()}, or {@code set} when given)
 * @param tauChosenOn {@code validation}, {@code training}, {@code given} or {@code none}
 * @param validation strict map-level metrics at τ on the validation side (or the data τ was chosen
 *     on), with the column-level ROC-AUC; {@code null} without such data
 */
public record DetectorProvenance(
        String createdAt,
        String library,
        Map<String, Object> config,
        long seed,
        DataSizes data,
        TrainingSummary training,
        double tau,
        String tauMethod,
        String tauChosenOn,
        ValidationMetrics validation) {

    /**
     * Sizes of what the detector was trained and validated on.
     *
     * @param tokens N
     * @param layers L
     * @param trainMaps maps used for gradient steps
     * @param trainAnomalousMaps of them, maps with an anomalous column
     * @param trainAnomalousColumns anomalous columns among them
     * @param validationMaps maps held out
     * @param validationAnomalousMaps of them, maps with an anomalous column
     * @param validationAnomalousColumns anomalous columns among them
     */
    public record DataSizes(int tokens, int layers, int trainMaps, int trainAnomalousMaps,
            long trainAnomalousColumns, int validationMaps, int validationAnomalousMaps,
            long validationAnomalousColumns) {}

    /**
     * How training went.
     *
     * @param epochsRun epochs completed
     * @param bestEpoch the epoch (from 1) whose parameters were kept
     * @param positiveWeight the BCE weight of anomalous columns used
     * @param finalTrainLoss mean training loss of the last epoch
     * @param bestValidationLoss validation loss of the kept epoch, NaN without validation data
     * @param seconds wall-clock training time
     * @param stoppedEarly whether patience ended training before the last epoch
     */
    public record TrainingSummary(int epochsRun, int bestEpoch, double positiveWeight, double finalTrainLoss,
            double bestValidationLoss, double seconds, boolean stoppedEarly) {}

    /**
     * Strict map-level metrics (RQ2) at τ and the column-level ROC-AUC.
     *
     * @param tp true positives
     * @param fp false positives
     * @param tn true negatives
     * @param fn false negatives
     * @param precision precision
     * @param recall recall
     * @param f1 F1
     * @param fpr false positive rate
     * @param fnr false negative rate
     * @param rocAuc column-level ROC-AUC, NaN when undefined (one class only)
     */
    public record ValidationMetrics(long tp, long fp, long tn, long fn, double precision, double recall,
            double f1, double fpr, double fnr, double rocAuc) {

        /**
         * @param m the counts
         * @param rocAuc the AUC, or NaN
         * @return the summary
         */
        public static ValidationMetrics of(DetectionMetrics m, double rocAuc) {
            return new ValidationMetrics(m.tp(), m.fp(), m.tn(), m.fn(), m.precision(), m.recall(), m.f1(),
                    m.fpr(), m.fnr(), rocAuc);
        }

        /** @return the counts as core's metrics type */
        public DetectionMetrics toDetectionMetrics() {
            return new DetectionMetrics(tp, fp, tn, fn);
        }
    }

    /** Copies the config map so the record stays immutable. */
    public DetectorProvenance {
        config = config == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(config));
    }

    /**
     * The same provenance with another τ.
     *
     * @param newTau τ
     * @param method how it was chosen
     * @param chosenOn on what data
     * @param metrics metrics at the new τ, or {@code null} to keep none
     * @return the copy
     */
    public DetectorProvenance withTau(double newTau, String method, String chosenOn, ValidationMetrics metrics) {
        return new DetectorProvenance(createdAt, library, config, seed, data, training, newTau, method, chosenOn,
                metrics);
    }
}
