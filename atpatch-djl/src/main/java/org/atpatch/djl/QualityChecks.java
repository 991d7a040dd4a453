package org.atpatch.djl;

import java.util.List;
import java.util.Locale;
import org.atpatch.detector.AttentionDetector;
import org.atpatch.detector.DetectorProvenance;
import org.atpatch.detector.DetectorTrainingData;
import org.atpatch.djl.patch.PatchRuleSelection;

/** Applies {@link QualityGates} to a debugging set, a trained detector and a rule selection. */
final class QualityChecks {

    private QualityChecks() {}

    /**
     * @param debugSet the debugging set
     * @param flaggable per column of its pairs whether the detector may flag it, or null for all
     * @param gates the thresholds
     */
    static void debuggingSet(DebuggingSet debugSet, boolean[] flaggable, QualityGates gates) {
        List<DebuggingSet.Pair> pairs = debugSet.pairs();
        if (pairs.size() < gates.minPairs()) {
            throw new QualityGateException(QualityGateException.Gate.TOO_FEW_PAIRS, "the debugging set has "
                    + pairs.size() + " pair(s), fewer than " + gates.minPairs() + ": a detector trained on so few maps learns"
                    + " those maps, not the anomaly; give the builder more clean inputs (a few hundred pairs work)");
        }
        int n = debugSet.tokens();
        boolean[] eligible = flaggable != null && flaggable.length == n ? flaggable : null;
        int flaggableCount = eligible == null ? n : (int) java.util.stream.IntStream.range(0, n).filter(j -> eligible[j]).count();
        long labelledEligible = 0;
        long labelledAny = 0;
        int identical = 0;
        for (DebuggingSet.Pair p : pairs) {
            for (int j = 0; j < n; j++) {
                if (p.columns()[j]) {
                    labelledAny++;
                    labelledEligible += eligible == null || eligible[j] ? 1 : 0;
                }
            }
            identical += java.util.Arrays.equals(p.clean(), p.anomalous()) ? 1 : 0;
        }
        if (labelledAny > 0 && labelledEligible == 0) {
            throw new QualityGateException(QualityGateException.Gate.SPECIAL_COLUMNS_ONLY, "every labelled column of the"
                    + " debugging set is a special token (CLS) that the detector may not flag, so the patch would never act:"
                    + " label the columns that carry the trigger or attribute");
        }
        double labelledShare = labelledEligible / ((double) pairs.size() * Math.max(1, flaggableCount));
        if (labelledShare > gates.maxLabelledShare()) {
            throw new QualityGateException(QualityGateException.Gate.MOST_COLUMNS_LABELLED, String.format(Locale.ROOT,
                    "the pairs label %.0f %% of the flaggable columns on average (more than %.0f %%): a detector trained"
                    + " on them learns to flag nearly everything; check the labelling (trigger masks thresholded too low,"
                    + " a trigger covering the whole input)", 100 * labelledShare, 100 * gates.maxLabelledShare()));
        }
        double identicalShare = identical / (double) pairs.size();
        if (identicalShare > gates.maxIdenticalShare()) {
            throw new QualityGateException(QualityGateException.Gate.IDENTICAL_PAIRS, String.format(Locale.ROOT,
                    "%d of %d pairs have an anomalous input identical to its clean partner (more than %.0f %%): the"
                    + " trigger or flip changed nothing, and the detector would learn to flag clean maps",
                    identical, pairs.size(), 100 * gates.maxIdenticalShare()));
        }
    }

    /**
     * @param detector the trained detector
     * @param data what it was trained on, with the debugging set's clean inputs
     * @param flaggable per map column whether it may be flagged, or null for all
     * @param gates the thresholds
     * @return the share of the debugging set's clean inputs flagged at τ
     */
    static double detector(AttentionDetector detector, DetectorTrainingData data, boolean[] flaggable, QualityGates gates) {
        DetectorProvenance.ValidationMetrics v = detector.provenance().validation();
        if (v != null && v.tp() + v.fn() > 0 && v.f1() < gates.minValidationF1()) {
            throw new QualityGateException(QualityGateException.Gate.DETECTOR_F1, String.format(Locale.ROOT,
                    "the detector's validation F1 at τ = %.3f is %.3f (below %.2f): it does not tell the debugging set's"
                    + " anomalous maps from clean ones. The labels may not mark columns that draw anomalous attention"
                    + " (a wrong target class or labels beside the trigger), or there are too few pairs",
                    detector.tau(), v.f1(), gates.minValidationF1()));
        }
        int[][] inputs = data.cleanInputs();
        if (inputs.length == 0) {
            return Double.NaN;
        }
        float[][] p = detector.probabilities(data);
        float tau = (float) detector.tau();
        int flagged = 0;
        for (int[] maps : inputs) {
            flagged += anyAbove(p, maps, tau, flaggable) ? 1 : 0;
        }
        double rate = flagged / (double) inputs.length;
        if (rate > gates.maxCleanInputFlagRate()) {
            throw new QualityGateException(QualityGateException.Gate.CLEAN_INPUTS_FLAGGED, String.format(Locale.ROOT,
                    "the detector flags %.0f %% of the debugging set's %d clean inputs at τ = %.3f (more than %.0f %%):"
                    + " each would pay a second forward and risk its prediction. Check the labels, or bound the rate with"
                    + " TauSelection.targetCleanInputRate in the detector configuration", 100 * rate, inputs.length,
                    detector.tau(), 100 * gates.maxCleanInputFlagRate()));
        }
        return rate;
    }

    private static boolean anyAbove(float[][] p, int[] maps, float tau, boolean[] flaggable) {
        for (int i : maps) {
            boolean[] eligible = flaggable != null && flaggable.length == p[i].length ? flaggable : null;
            for (int j = 0; j < p[i].length; j++) {
                if (p[i][j] > tau && (eligible == null || eligible[j])) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * @param result the rule selection on a backdoor debugging set
     * @param gates the thresholds
     */
    static void ruleSelection(PatchRuleSelection.Result result, QualityGates gates) {
        PatchRuleSelection.Score chosen = result.scores().stream().filter(s -> s.rule().equals(result.chosen().name()))
                .findFirst().orElseThrow();
        if (chosen.removed() < gates.minRemoved()) {
            throw new QualityGateException(QualityGateException.Gate.PATCH_DOES_NOT_UNDO, String.format(Locale.ROOT,
                    "the patch changes the prediction of only %.1f %% of the debugging set's anomalous inputs with the"
                    + " chosen rule (%s; at least %.0f %% needed): it would not remove the backdoor. The inverted trigger's"
                    + " class is likely not the target, or its labelled columns are not the trigger's (try RegionInversion)",
                    100 * chosen.removed(), chosen.rule(), 100 * gates.minRemoved()));
        }
    }
}
