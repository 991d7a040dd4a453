package org.atpatch.djl.patch;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.atpatch.djl.Predictions;
import org.atpatch.core.BenignStatistics;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchMode;
import org.atpatch.djl.PatchReport;
import org.atpatch.djl.PatchedModel;

/**
 * Picks the patch rule for one victim from its backdoor debugging set, with the trained detector:
 * each candidate rule patches the debugging set's inputs, and the rule that best undoes the
 * anomalous inputs without moving the clean ones wins.
 *
 * <p>A candidate's score is {@code removed − cleanChanged}: {@code removed} is the share of pairs
 * whose anomalous input x′ the patched model no longer gives the unpatched model's prediction (the
 * inverted trigger's target class: the debugging set's counterpart of the attack success rate);
 * {@code cleanChanged} is the share of the clean inputs (every pair's x and the extra clean inputs)
 * whose prediction the patched model changes. Every candidate sees the same detector flags, so the
 * comparison is between rules only. The preferred rule (the product default) is kept unless another
 * beats it by more than the margin. {@code restored} (x′ given x's unpatched prediction) is reported
 * too but not scored: it also counts the victim's own errors on the inverted trigger's distorted
 * inputs, so it can rank the rules against their attack success rate.
 *
 * <p>Why: no rule is best on every victim, and {@code removed} on the debugging set, which never
 * sees the attack's trigger, ranks the rules as their attack success rate does
 * (docs/architecture.md, "Design decisions": rule selection; measured: {@code
 * docs/results/patch-rules.md}). Only backdoor debugging sets are scored: a fairness pair's clean
 * partner is another person, and a flip's prediction has no target class to move away from.
 */
public final class PatchRuleSelection {

    /** The default margin by which another rule must beat the preferred one: one percentage point. */
    public static final double DEFAULT_MARGIN = 0.01;

    private static final int BATCH = 256;

    private PatchRuleSelection() {}

    /**
     * One candidate's measurements on the debugging set.
     *
     * @param rule the rule's name
     * @param removed share of anomalous inputs whose unpatched prediction the rule changed
     * @param restored share of anomalous inputs given their clean partner's unpatched prediction
     * @param cleanChanged share of clean inputs whose prediction the rule changed
     */
    public record Score(String rule, double removed, double restored, double cleanChanged) {
        /** @return {@code removed − cleanChanged}, the selection score */
        public double value() {
            return removed - cleanChanged;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: removed %.4f, restored %.4f, clean changed %.4f", rule, removed,
                    restored, cleanChanged);
        }
    }

    /**
     * @param chosen the selected rule
     * @param scores every candidate's score, in candidate order
     */
    public record Result(PatchRule chosen, List<Score> scores) {}

    /**
     * Scores every candidate and picks one.
     *
     * @param model the victim
     * @param detector the trained detector (left open)
     * @param benign Q and the benign token states
     * @param tau τ
     * @param mode two-pass or streaming
     * @param debugSet a non-empty backdoor debugging set for this model
     * @param candidates the rules to compare (non-empty; each must suit the model and statistics)
     * @param preferred the rule kept unless beaten by more than the margin; one of the candidates
     * @param margin in [0, 1]
     * @return the chosen rule and the scores
     * @throws IllegalArgumentException for a fairness or empty debugging set, no candidates, a
     *     preferred rule that is not a candidate, or a margin outside [0, 1]
     */
    public static Result select(Model model, ColumnDetector detector, BenignStatistics benign, double tau, PatchMode mode,
            DebuggingSet debugSet, List<PatchRule> candidates, PatchRule preferred, double margin) {
        requireMargin(margin);
        if (debugSet.kind() != DebuggingSet.Kind.BACKDOOR || debugSet.isEmpty()) {
            throw new IllegalArgumentException("patch-rule selection needs a non-empty backdoor debugging set, got "
                    + debugSet.kind() + " with " + debugSet.pairs().size() + " pairs");
        }
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no candidate patch rules to select from");
        }
        int preferredIndex = candidates.stream().map(PatchRule::name).toList().indexOf(preferred.name());
        if (preferredIndex < 0) {
            throw new IllegalArgumentException("the preferred rule '" + preferred.name() + "' is not among the candidates "
                    + candidates.stream().map(PatchRule::name).toList());
        }
        // One list: the pairs' anomalous inputs, then their clean inputs, then the extra clean ones.
        List<float[]> inputs = new ArrayList<>();
        debugSet.pairs().forEach(p -> inputs.add(p.anomalous()));
        debugSet.pairs().forEach(p -> inputs.add(p.clean()));
        inputs.addAll(debugSet.cleanOnly());
        int pairs = debugSet.pairs().size();
        LabelledData all = LabelledData.unlabelled(inputs, debugSet.sampleShape());
        int[] before = Predictions.classes(model, all, BATCH);
        int[] rows = mode == PatchMode.TWO_PASS
                ? flaggedRows(patched(model, detector, benign, tau, mode, candidates.get(0)), all)
                : IntStream.range(0, all.size()).toArray();
        LabelledData scored = all.subset(rows);

        List<Score> scores = new ArrayList<>();
        for (PatchRule rule : candidates) {
            int[] after = before.clone();
            if (rows.length > 0) {
                try (PatchedModel patched = patched(model, detector, benign, tau, mode, rule)) {
                    int[] patchedPredictions = Predictions.classes(patched, scored, BATCH);
                    for (int k = 0; k < rows.length; k++) {
                        after[rows[k]] = patchedPredictions[k];
                    }
                }
            }
            int removed = 0;
            int restored = 0;
            for (int i = 0; i < pairs; i++) {
                removed += after[i] != before[i] ? 1 : 0;
                restored += after[i] == before[pairs + i] ? 1 : 0;
            }
            int changed = 0;
            for (int i = pairs; i < all.size(); i++) {
                changed += after[i] != before[i] ? 1 : 0;
            }
            scores.add(new Score(rule.name(), removed / (double) pairs, restored / (double) pairs,
                    changed / (double) (all.size() - pairs)));
        }
        return new Result(candidates.get(choose(scores, preferredIndex, margin)), List.copyOf(scores));
    }

    /**
     * The inputs the detector flags. In two-pass mode pass 1 runs unpatched, so these are the same
     * under every rule and every other input gets the unpatched prediction bit for bit: only these
     * need scoring per rule.
     */
    private static int[] flaggedRows(PatchedModel patched, LabelledData data) {
        IntStream.Builder rows = IntStream.builder();
        try (patched; NDManager m = NDManager.newBaseManager()) {
            for (int from = 0; from < data.size(); from += BATCH) {
                int to = Math.min(data.size(), from + BATCH);
                try (NDManager sub = m.newSubManager()) {
                    List<PatchReport> reports = patched.predictWithReport(data.batch(sub, from, to)).reports();
                    for (int i = 0; i < reports.size(); i++) {
                        if (reports.get(i).patched()) {
                            rows.add(from + i);
                        }
                    }
                }
            }
        }
        return rows.build().toArray();
    }

    private static PatchedModel patched(Model model, ColumnDetector detector, BenignStatistics benign, double tau,
            PatchMode mode, PatchRule rule) {
        return PatchedModel.builder().setModel(model).setDetector(detector).setBenignStatistics(benign).optTau(tau)
                .optPatchRule(rule).optMode(mode).build();
    }

    /**
     * The selection rule on given scores: the preferred candidate unless the best score beats its
     * score by more than the margin; then the best (the first of equals).
     *
     * @param scores the candidates' scores
     * @param preferredIndex the preferred candidate's index
     * @param margin in [0, 1]
     * @return the chosen index
     */
    static int choose(List<Score> scores, int preferredIndex, double margin) {
        int best = 0;
        for (int i = 1; i < scores.size(); i++) {
            if (scores.get(i).value() > scores.get(best).value()) {
                best = i;
            }
        }
        return scores.get(best).value() > scores.get(preferredIndex).value() + margin ? best : preferredIndex;
    }

    /**
     * @param margin a selection margin
     * @throws IllegalArgumentException unless it is in [0, 1]
     */
    public static void requireMargin(double margin) {
        if (!(margin >= 0 && margin <= 1)) {
            throw new IllegalArgumentException("the patch-rule selection margin must be in [0, 1], got " + margin);
        }
    }
}
