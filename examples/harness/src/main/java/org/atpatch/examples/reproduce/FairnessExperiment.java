package org.atpatch.examples.reproduce;

import ai.djl.Model;
import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.core.Metrics;
import org.atpatch.detector.DetectorEvaluation;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.debugset.FairnessDebuggingSetBuilder;
import org.atpatch.djl.debugset.FairnessFlips;
import org.atpatch.djl.debugset.FairnessPredictor;
import org.atpatch.djl.debugset.ProtectedAttribute;
import org.atpatch.djl.interception.AttentionCapture;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.atpatch.djl.patch.PatchRule;
import org.atpatch.examples.baseline.BaselineRun;
import org.atpatch.examples.baseline.Defect;
import org.atpatch.examples.baseline.Repair;
import org.atpatch.examples.baseline.RepairInput;
import org.atpatch.examples.baseline.Repaired;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One fairness configuration end to end (Table 3, the tabular rows of Table 4, RQ3's ablation,
 * efficiency and over-attention): the victim's accuracy and UF on the test split; the fairness
 * debugging set from the debugging split (attribute flips, Eq. 4); AtPatch trained on it; accuracy,
 * UF and the share of patched inputs on the test split through the paper's Γ, the product's default
 * rule, "w/o Det" (random columns) and "w/o Rec" (replace without rescaling); the detector scored on a
 * balanced evaluation set built the same way from the test split; offline and online timings.
 */
public final class FairnessExperiment {

    private static final Logger LOG = LoggerFactory.getLogger(FairnessExperiment.class);
    private static final int BATCH = 256;

    /**
     * The harness's settings for every configuration.
     *
     * @param seed seed of the debugging set, detector and ablation
     * @param detector the detector configuration (architecture, epochs, seed)
     * @param maxPairs most pairs in the debugging set
     * @param evalPairs most pairs in the balanced evaluation set
     * @param timingSamples most inputs per online timing
     * @param extraRules patch rules to measure besides Γ and the product default
     * @param tau τ for the patched models, or NaN for the one chosen on the detector's validation split
     * @param baselines the baseline repairs measured beside AtPatch ({@link org.atpatch.examples.baseline.Baselines}),
     *     none for none
     */
    public record Settings(long seed, DetectorConfig detector, int maxPairs, int evalPairs, int timingSamples,
            List<PatchRule> extraRules, double tau, List<Repair> baselines) {

        /** Copies the baselines. */
        public Settings {
            baselines = List.copyOf(baselines);
        }
    }

    /**
     * Accuracy and unfairness of one method on the test split.
     *
     * @param method {@code original}, the rule's name (marked {@code (default)} for the product's), {@code w/o
     *     Det} or {@code w/o Rec}
     * @param acc clean accuracy
     * @param uf unfairness rate
     * @param patchedShare share of test inputs patched (0 for the original)
     * @param gained test inputs the unpatched model got wrong and this method right (0 for the original)
     * @param lost test inputs the unpatched model got right and this method wrong (0 for the original)
     */
    public record Outcome(String method, double acc, double uf, double patchedShare, int gained, int lost) {

        /**
         * McNemar's statistic for this method's accuracy change against the original, as {@link
         * PatchedCounts#accuracyChangeZ()}: below −2 the method costs accuracy beyond what the
         * changed predictions can show by chance.
         *
         * @return (gained − lost) / √(gained + lost), 0 when nothing changed
         */
        public double accuracyChangeZ() {
            return PatchedCounts.mcnemarZ(gained, lost);
        }
    }

    /**
     * Everything measured for one configuration.
     *
     * @param config the configuration
     * @param family the victim's family
     * @param outcomes original first, then Γ, the default rule when it differs, the extra rules, w/o Det, w/o Rec
     * @param detector the detector on the balanced evaluation set
     * @param evalPairs pairs in that set (as many anomalous as clean inputs)
     * @param debugPairs pairs in the debugging set
     * @param debugCleanOnly clean-only inputs in the debugging set
     * @param seconds offline phases: debugging set, attention capture, detector training
     * @param msPerSample online: unpatched, clean inputs through AtPatch, divergent inputs through AtPatch
     * @param overAttention mass on the attribute's columns in divergent vs clean maps
     * @param baselines the baseline repairs' outcomes, wall times and settings (their Acc and UF are also in
     *     {@code outcomes}, after AtPatch's)
     */
    public record Result(FairnessConfig config, String family, List<Outcome> outcomes, DetectorEvaluation detector,
            int evalPairs, int debugPairs, int debugCleanOnly, Map<String, Double> seconds,
            Map<String, Double> msPerSample, OverAttention overAttention, List<BaselineRun> baselines) {}

    private FairnessExperiment() {}

    /**
     * Runs one configuration.
     *
     * @param victim the trained victim of the configuration's dataset
     * @param config the configuration
     * @param s the settings
     * @return the measurements
     */
    public static Result run(TabularVictim victim, FairnessConfig config, Settings s) {
        Model model = victim.model();
        LabelledData test = victim.data().test();
        ProtectedAttribute attribute = victim.attribute(config.attribute());
        FairnessFlips flips = FairnessFlips.of(List.of(attribute), test.sampleSize());
        List<Outcome> outcomes = new ArrayList<>();
        int[] before = Predictions.classes(model, test, 1024);
        double accBefore = Metrics.accuracy(before, test.labels());
        outcomes.add(new Outcome("original", accBefore, flips.unfairness(test, FairnessPredictor.of(model, 1024)), 0,
                0, 0));
        LOG.info("{}: original acc {} UF {}", config.name(), accBefore, outcomes.get(0).uf());
        List<Outcome> baselineOutcomes = new ArrayList<>();
        List<BaselineRun> baselines = baselines(victim, config, attribute, before, s, baselineOutcomes);

        DebuggingSet debugSet = FairnessDebuggingSetBuilder.of(model, victim.data().debug())
                .setAttributes(List.of(attribute)).optMaxPairs(s.maxPairs()).optSeed(s.seed()).build();
        LOG.info("{}: debugging set {}", config.name(), debugSet);
        PatchBundle trained = AtPatch.builder().setModel(model)
                .optDetectorConfig(s.detector())
                .build().trainBundle(debugSet);
        PatchBundle bundle = Double.isNaN(s.tau()) ? trained : trained.withTau(s.tau());
        if (!Double.isNaN(s.tau())) {
            bundle.detector().setTau(s.tau());
        }
        try {
            Map<String, Double> seconds = Timing.offlineSeconds(bundle);
            for (PatchRule rule : PatchVariants.rules(bundle, s.extraRules())) {
                outcomes.add(outcome(PatchVariants.label(bundle, rule), PatchVariants.patched(bundle, model, rule), test,
                        before, flips));
            }
            outcomes.addAll(baselineOutcomes);
            Engine.getInstance().setRandomSeed((int) s.seed());
            outcomes.add(outcome(PatchVariants.WITHOUT_DETECTOR, PatchVariants.withoutDetector(bundle, model), test, before,
                    flips));
            outcomes.add(outcome(PatchVariants.WITHOUT_RESCALING, PatchVariants.withoutRescaling(bundle, model), test,
                    before, flips));
            outcomes.forEach(o -> LOG.info("{}: {}", config.name(), o));

            FairnessDebuggingSetBuilder.Result eval = FairnessDebuggingSetBuilder.of(model, test)
                    .setAttributes(List.of(attribute)).optMaxPairs(s.evalPairs()).optCleanOnly(0).optSeed(s.seed() + 1)
                    .buildWithDetails();
            DebuggingSet evalSet = eval.set();
            DetectorEvaluation detector = bundle.detector().evaluate(AttentionCapture.mapsOf(model, evalSet, BATCH));
            LOG.info("{}: detector on {} balanced pairs: {}", config.name(), evalSet.pairs().size(), detector);

            List<float[]> divergent = evalSet.pairs().stream().map(DebuggingSet.Pair::anomalous).toList();
            List<float[]> clean = evalSet.pairs().stream().map(DebuggingSet.Pair::clean).toList();
            OverAttention over = OverAttention.measure(model, divergent, clean, evalSet.sampleShape(),
                    attribute.columns(), victim.block().tokenLayout().isSpecial(0), BATCH);
            Map<String, Double> ms = timings(model, bundle, test, eval, divergent, s.timingSamples());
            return new Result(config, victim.family().name(), outcomes, detector, evalSet.pairs().size(),
                    debugSet.pairs().size(), debugSet.cleanOnly().size(), seconds, ms, over, baselines);
        } finally {
            bundle.detector().close();
        }
    }

    /**
     * Runs each baseline on a copy of the victim: the debugging split (the data AtPatch's debugging set
     * is built from) as its clean data, the configuration's attribute as its defect; measured on the test
     * split as AtPatch is.
     *
     * @param before the victim's test predictions
     * @param outcomes receives each baseline's Acc and UF
     * @return each baseline's outcome, wall time and settings
     */
    private static List<BaselineRun> baselines(TabularVictim victim, FairnessConfig config, ProtectedAttribute attribute,
            int[] before, Settings s, List<Outcome> outcomes) {
        List<BaselineRun> runs = new ArrayList<>();
        LabelledData test = victim.data().test();
        FairnessFlips flips = FairnessFlips.of(List.of(attribute), test.sampleSize());
        InterceptableTransformer b = victim.block();
        RepairInput input = new RepairInput(victim.model(),
                () -> victim.family().build(victim.data(), b.depth(), b.width(), b.heads()), victim.data().debug(),
                new Defect.Unfairness(flips));
        for (Repair repair : s.baselines()) {
            Engine.getInstance().setRandomSeed((int) s.seed());
            try (Repaired r = repair.repair(input)) {
                int[] after = Predictions.classes(r.model(), test, 1024);
                double acc = Metrics.accuracy(after, test.labels());
                double uf = flips.unfairness(test, FairnessPredictor.of(r.model(), 1024));
                int gained = 0;
                int lost = 0;
                for (int i = 0; i < after.length; i++) {
                    boolean was = before[i] == test.labels()[i];
                    boolean is = after[i] == test.labels()[i];
                    gained += !was && is ? 1 : 0;
                    lost += was && !is ? 1 : 0;
                }
                outcomes.add(new Outcome(repair.name(), acc, uf, 0, gained, lost));
                runs.add(new BaselineRun(repair.name(), acc, uf, r.seconds(), r.settings()));
                LOG.info("{}: {} acc {} UF {} in {} s; {}", config.name(), repair.name(), acc, uf, r.seconds(),
                        r.settings());
            }
        }
        return runs;
    }

    private static Outcome outcome(String method, PatchedModel patched, LabelledData test, int[] before,
            FairnessFlips flips) {
        try (patched) {
            PatchedCounts counts = PatchedCounts.of(patched, test, BATCH, before);
            double uf = flips.unfairness(test, FairnessPredictor.of(patched, 1024));
            return new Outcome(method, counts.accuracy(), uf, counts.patchedShare(), counts.gained(), counts.lost());
        }
    }

    /** Online ms per sample, median of 3 timed runs after a warm-up, batches of {@value #BATCH}. */
    private static Map<String, Double> timings(Model model, PatchBundle bundle, LabelledData test,
            FairnessDebuggingSetBuilder.Result eval, List<float[]> divergent, int most) {
        int[] cleanIdx = new int[Math.min(most, test.size())];
        int n = 0;
        for (int i = 0; i < test.size() && n < cleanIdx.length; i++) {
            if (eval.clean()[i]) {
                cleanIdx[n++] = i;
            }
        }
        LabelledData cleanInputs = test.subset(Arrays.copyOf(cleanIdx, n));
        LabelledData divInputs = LabelledData.unlabelled(divergent.subList(0, Math.min(most, divergent.size())),
                test.sampleShape());
        Map<String, Double> ms = new LinkedHashMap<>();
        ms.put("unpatched", Timing.msPerSample(() -> Predictions.classes(model, cleanInputs, BATCH), cleanInputs.size()));
        try (PatchedModel p = PatchVariants.patched(bundle, model, PatchVariants.defaultRule(bundle))) {
            ms.put("atpatch_clean", Timing.msPerSample(() -> Predictions.classes(p, cleanInputs, BATCH), cleanInputs.size()));
            ms.put("atpatch_divergent", Timing.msPerSample(() -> Predictions.classes(p, divInputs, BATCH), divInputs.size()));
        }
        return ms;
    }
}
