package org.atpatch.examples.reproduce;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.atpatch.core.Metrics;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.core.ImagePatchLayout;
import org.atpatch.core.ImageTokenLayout;
import org.atpatch.detector.DetectorEvaluation;
import org.atpatch.detector.DetectorTrainingData;
import org.atpatch.detector.TauSelection;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.QualityGates;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.debugset.BackdoorDebuggingSetBuilder;
import org.atpatch.djl.debugset.InversionReport;
import org.atpatch.djl.debugset.NoFlagPolicy;
import org.atpatch.djl.debugset.InvertedTrigger;
import org.atpatch.djl.debugset.RegionInversion;
import org.atpatch.djl.debugset.Trigger;
import org.atpatch.djl.debugset.TriggerInversion;
import org.atpatch.djl.interception.AttentionCapture;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.atpatch.djl.patch.PatchRule;
import org.atpatch.examples.attack.Attack;
import org.atpatch.examples.attack.RealTrigger;
import org.atpatch.examples.baseline.BaselineRun;
import org.atpatch.examples.baseline.Defect;
import org.atpatch.examples.baseline.Repair;
import org.atpatch.examples.baseline.RepairInput;
import org.atpatch.examples.baseline.Repaired;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backdoor configuration end to end (Table 2, the image rows of Table 4, RQ3's ablation,
 * efficiency and over-attention):
 *
 * <ol>
 *   <li>the victim's clean accuracy on the evaluation images and its ASR on their triggered copies
 *       whose true label is not the target;
 *   <li>the debugging set by trigger inversion (Neural Cleanse, MAD) on the defender's clean pool,
 *       never from the attack's trigger, and AtPatch trained on it; with a region scan configured
 *       ({@link Settings#regionCount()} &gt; 0) and a non-overlapping patch grid the triggers come from
 *       inversion confined to one small blank region at a time ({@link RegionInversion}) for the
 *       unrestricted inversion's candidate classes, and from the unrestricted inversion when the scan
 *       selects no class or the victim's tokens overlap;
 *   <li>Acc and ASR through the paper's Γ, the product's default rule (once if they are the same),
 *       any extra rules, "w/o Det" and "w/o Rec" ({@link PatchVariants});
 *   <li>the detector on a balanced evaluation set built from the <em>real</em> trigger on the evaluation
 *       images: pairs of a clean image and its triggered copy that the victim classifies as the
 *       target (the attack fired), the triggered copy's anomalous columns being the tokens the real
 *       trigger covers ({@link RealTrigger}), the clean copy's none; so as many anomalous as clean
 *       inputs, on images disjoint from training and debugging data;
 *   <li>offline seconds (debugging set including the inversion, attention capture, detector training)
 *       and online ms per sample (unpatched on clean images, AtPatch with the product default on
 *       clean and on triggered images; median of 3);
 *   <li>the over-attention on the real trigger's columns in the triggered vs clean maps of that set.
 * </ol>
 *
 * <p>Windowed victims (Swin): the debugging sets label the tokens of the finest patch grid
 * ({@link #sampleLayout}), AtPatch trains on the window maps labelled from them ({@code
 * AttentionCapture}), and the over-attention (one column set per sample map) is not measured.
 * Token-state rules are skipped (with a note) on victims without token-state points.
 *
 * <p>A victim whose attack did not take (ASR below {@value #ATTACK_TOOK}) has no backdoor to repair:
 * only its original row is measured, and the result's note says so.
 */
public final class BackdoorExperiment {

    private static final Logger LOG = LoggerFactory.getLogger(BackdoorExperiment.class);
    private static final int BATCH = 256;

    /** The method name of the unpatched victim. */
    public static final String ORIGINAL = "original";

    /** Below this ASR the attack did not take, and no defence is run. */
    public static final double ATTACK_TOOK = 0.5;

    /**
     * The harness's settings for every configuration.
     *
     * @param seed seed of the inversion, debugging set, detector and ablation
     * @param detector the detector configuration (architecture, epochs, seed)
     * @param maxPairs most pairs per inverted trigger in the debugging set
     * @param evalPairs most pairs in the balanced evaluation set
     * @param timingSamples most inputs per online timing
     * @param extraRules patch rules to measure besides Γ and the product default
     * @param reportDir where each configuration's inversion report goes (a sub-folder per configuration)
     * @param inversionRounds most optimisation rounds per class of the trigger inversion (its default is 100)
     * @param regionSize the side in pixels of the region scan's squares
     * @param regionCount how many of the blankest squares the region scan inverts in; 0 for no scan
     * @param regionCandidates smallest-norm classes of the unrestricted inversion the scan inverts
     *     besides the flagged ones
     * @param regionMinShare the share of the scan's regions a class must fire in to be selected
     *     ({@link RegionInversion.Builder#optMinFiringShare}; its default is 0.25)
     * @param overAttentionRatio 0 to label a pair's columns anomalous at every layer (the library's
     *     default); above 0, {@link AtPatch.Builder#optOverAttentionRatio}, for training and for the
     *     Table 4 evaluation alike (per window map on windowed victims)
     * @param scanCache where region scans are cached ({@link RegionScanCache}), or null to scan every time
     * @param detectorLayerEmbedding {@link org.atpatch.detector.DetectorConfig.Builder#optLayerEmbedding}
     * @param tauSelection how the detector's τ is chosen on the debugging set's validation split
     *     ({@link TauSelection#maxF1()} in the harness unless {@code --tau-fpr} is given)
     * @param baselines the baseline repairs measured beside AtPatch ({@link org.atpatch.examples.baseline.Baselines}), none for none
     */
    public record Settings(long seed, DetectorConfig detector, int maxPairs, int evalPairs, int timingSamples,
            List<PatchRule> extraRules, Path reportDir, int inversionRounds, int regionSize, int regionCount,
            int regionCandidates, double regionMinShare, double overAttentionRatio, Path scanCache,
            boolean detectorLayerEmbedding, TauSelection tauSelection, List<Repair> baselines) {

        /** Validates the region scan's settings. */
        public Settings {
            java.util.Objects.requireNonNull(tauSelection, "tauSelection");
            baselines = List.copyOf(baselines);
            if (regionCount < 0 || regionSize < 1 || regionCandidates < 0) {
                throw new IllegalArgumentException("the region scan needs a region size >= 1, a region count >= 0 "
                        + "(0: no scan) and candidates >= 0, got size " + regionSize + ", count " + regionCount
                        + ", candidates " + regionCandidates);
            }
            if (!(regionMinShare > 0 && regionMinShare <= 1)) {
                throw new IllegalArgumentException("the region scan's minimum firing share must lie in (0, 1], got "
                        + regionMinShare);
            }
            if (!(overAttentionRatio >= 0) || Double.isInfinite(overAttentionRatio)) {
                throw new IllegalArgumentException("the over-attention ratio must be >= 0 and finite (0: every layer), got "
                        + overAttentionRatio);
            }
        }
    }

    /**
     * Accuracy and attack success of one method.
     *
     * @param method {@link #ORIGINAL}, the rule's name, {@code w/o Det} or {@code w/o Rec}
     * @param acc clean accuracy on the evaluation images
     * @param asr share of the triggered non-target evaluation images classified as the target
     * @param cleanPatched share of clean images patched (0 for the original)
     * @param triggeredPatched share of triggered images patched (0 for the original)
     */
    public record Outcome(String method, double acc, double asr, double cleanPatched, double triggeredPatched) {}

    /**
     * Everything measured for one configuration; the AtPatch parts are null or empty when {@code note}
     * says why they are missing.
     *
     * @param config the configuration
     * @param family the victim's family
     * @param target the attack's target class
     * @param asrFloor the share of clean (untriggered) non-target evaluation images the victim already
     *     classifies as the target: the attack success rate of a patch that gave every triggered
     *     image exactly its clean prediction (a patch can only go below it by also changing predictions
     *     the victim gets wrong without a trigger); NaN when there is no victim
     * @param outcomes original first, then the rules, w/o Det, w/o Rec
     * @param detector the detector on the balanced evaluation set, or null
     * @param evalPairs pairs in that set
     * @param debugPairs pairs in the debugging set
     * @param debugCleanOnly clean-only inputs in the debugging set
     * @param flaggedClasses the classes the unrestricted inversion's MAD test flagged
     * @param debugSource where the debugging set's triggers came from (region scan or unrestricted inversion)
     * @param seconds offline phases: debugging set (with inversion), attention capture, detector training
     * @param msPerSample online: unpatched, clean through AtPatch, triggered through AtPatch
     * @param overAttention mass on the real trigger's columns in triggered vs clean maps, or null
     * @param note what was not measured and why (empty when everything was)
     * @param baselines the baseline repairs' outcomes, wall times and settings (their Acc and ASR are also
     *     in {@code outcomes}, after AtPatch's)
     */
    public record Result(BackdoorConfig config, String family, int target, double asrFloor, List<Outcome> outcomes,
            DetectorEvaluation detector, int evalPairs, int debugPairs, int debugCleanOnly, int[] flaggedClasses,
            String debugSource, Map<String, Double> seconds, Map<String, Double> msPerSample, OverAttention overAttention, String note,
            List<BaselineRun> baselines) {

        /**
         * A configuration with no victim.
         *
         * @param config the configuration
         * @param seed the experiment seed (for the target class)
         * @param note why
         * @return the result, with no outcome
         */
        public static Result unsupported(BackdoorConfig config, long seed, String note) {
            return new Result(config, ImageFamily.forDataset(config.dataset()).name(), config.target(seed), Double.NaN,
                    List.of(), null,
                    0, 0, 0, new int[0], "", Map.of(), Map.of(), null, note, List.of());
        }
    }

    private BackdoorExperiment() {}

    /**
     * Runs one configuration.
     *
     * @param victim the trained victim with its attack
     * @param config the configuration
     * @param data the splits the victim was trained on
     * @param s the settings
     * @return the measurements
     * @throws IOException when the inversion report cannot be written
     */
    public static Result run(ImageVictim victim, BackdoorConfig config, ImageSplits data, Settings s) throws IOException {
        Model model = victim.model();
        Attack attack = victim.attack();
        LabelledData eval = data.eval();
        LabelledData cleanNonTarget = attack.nonTarget(eval);
        LabelledData triggered = asTarget(attack.applyTrigger(cleanNonTarget), attack.target());
        String family = ImageFamily.forDataset(config.dataset()).name();
        List<Outcome> outcomes = new ArrayList<>();
        outcomes.add(new Outcome(ORIGINAL, victim.accuracy(eval), victim.accuracy(triggered), 0, 0));
        double asrFloor = victim.accuracy(asTarget(cleanNonTarget, attack.target()));
        LOG.info("{}: original {}; clean non-target images classified as the target: {}", config.name(),
                outcomes.get(0), asrFloor);
        if (outcomes.get(0).asr() < ATTACK_TOOK) {
            String note = String.format(Locale.ROOT, "the attack did not take (ASR %.2f %%, below %.0f %%): there is no backdoor"
                    + " to repair, so no defence was run", 100 * outcomes.get(0).asr(), 100 * ATTACK_TOOK);
            LOG.warn("{}: {}", config.name(), note);
            return new Result(config, family, attack.target(), asrFloor, outcomes, null, 0, 0, 0, new int[0], "", Map.of(),
                    Map.of(), null, note, List.of());
        }
        ImageTokenLayout layout = sampleLayout(victim.block());
        // The configurations are known to be backdoored: where the MAD test flags nothing, the smallest-mask class
        // is taken (and the region scan may correct it), as the reproduction was run.
        InversionReport inversion = TriggerInversion.builder().optSeed(s.seed()).optMaxRounds(s.inversionRounds())
                .optNoFlagPolicy(NoFlagPolicy.USE_SMALLEST_NORM).build().invert(model, data.pool());
        InversionFiles.write(inversion, data.pool(), s.reportDir().resolve(config.name()), List.of());
        BackdoorDebuggingSetBuilder debugBuilder = BackdoorDebuggingSetBuilder.of(model, data.pool()).optLayout(layout)
                .optPairsPerTrigger(s.maxPairs()).optSeed(s.seed());
        DebugTriggers used = triggers(debugBuilder, model, data, inversion, s, config, layout);
        String debugSource = used.source();
        DebuggingSet debugSet = debugBuilder.build();
        LOG.info("{}: inversion flagged {} (target {}); {}; {}", config.name(),
                Arrays.toString(inversion.flaggedClasses()), attack.target(), debugSource, debugSet);
        List<Outcome> baselineOutcomes = new ArrayList<>();
        List<BaselineRun> baselines = baselines(victim, config, data, used.triggers(), eval, triggered, s, baselineOutcomes);
        if (debugSet.pairs().isEmpty()) {
            outcomes.addAll(baselineOutcomes);
            return new Result(config, family, attack.target(), asrFloor, outcomes, null, 0, 0, debugSet.cleanOnly().size(),
                    inversion.flaggedClasses(), debugSource, Map.of(), Map.of(), null, "no inverted trigger fired on the pool: "
                    + "the debugging set has no pairs, AtPatch was not trained", baselines);
        }
        double ratio = s.overAttentionRatio();
        // Table 2 measures every configuration's patch as trained, including one the quality gates would refuse
        // (a weak victim or detector): the table shows what such a patch does, the gates are the library's verdict.
        PatchBundle bundle = AtPatch.builder().setModel(model).optQualityGates(QualityGates.disabled())
                .optDetectorConfig(s.detector().toBuilder()
                        .optLayerEmbedding(s.detectorLayerEmbedding()).optTauSelection(s.tauSelection()).build())
                .optOverAttentionRatio(ratio).build().trainBundle(debugSet);
        try {
            List<String> notes = new ArrayList<>();
            boolean states = AttentionLayers.of(model.getBlock()).hasTokenStatePoints();
            for (PatchRule rule : PatchVariants.rules(bundle, s.extraRules())) {
                if (rule.usesTokenStates() && !states) {
                    notes.add("rule " + rule.name() + " skipped: the victim has no token-state points");
                    LOG.warn("{}: {}", config.name(), notes.get(notes.size() - 1));
                    continue;
                }
                outcomes.add(outcome(PatchVariants.label(bundle, rule), PatchVariants.patched(bundle, model, rule), eval,
                        triggered));
            }
            outcomes.addAll(baselineOutcomes);
            Engine.getInstance().setRandomSeed((int) s.seed());
            outcomes.add(outcome(PatchVariants.WITHOUT_DETECTOR, PatchVariants.withoutDetector(bundle, model), eval,
                    triggered));
            outcomes.add(outcome(PatchVariants.WITHOUT_RESCALING, PatchVariants.withoutRescaling(bundle, model), eval,
                    triggered));
            outcomes.forEach(o -> LOG.info("{}: {}", config.name(), o));

            Trigger real = RealTrigger.of(attack, eval.sampleShape());
            DebuggingSet evalSet = BackdoorDebuggingSetBuilder.of(model, eval).optLayout(layout).addTrigger(real)
                    .optOverlapRule(RealTrigger.rule(real)).optPatchGridTranslations(false).optCleanOnly(0)
                    .optPairsPerTrigger(s.evalPairs()).optSeed(s.seed() + 1).build();
            DetectorEvaluation detector = null;
            OverAttention over = null;
            if (evalSet.pairs().isEmpty()) {
                notes.add("the real trigger fired on no evaluation image: no detector evaluation or over-attention");
            } else {
                DetectorTrainingData evalMaps = AttentionCapture.mapsOf(model, evalSet, BATCH, ratio);
                // One detector pass: every score below reads these probabilities (the maps are the same
                // under each labelling, only the labels differ).
                float[][] probs = bundle.detector().probabilities(evalMaps);
                detector = DetectorEvaluation.of(probs, evalMaps.labelMatrix(), bundle.detector().tau());
                LOG.info("{}: detector on {} balanced pairs: {}", config.name(), evalSet.pairs().size(), detector);
                DetectorTrainingData everyMaps = null;
                if (ratio > 0) {
                    // The same detector scored with every layer of a triggered input labelled, as without a
                    // ratio, and with the triggered maps below the ratio left out (DetectorMisses).
                    everyMaps = AttentionCapture.mapsOf(model, evalSet, BATCH);
                    DetectorEvaluation everyLayer = DetectorEvaluation.of(probs, everyMaps.labelMatrix(), detector.tau());
                    DetectorMisses.Scored scored = DetectorMisses.withoutUnconfirmed(evalMaps, everyMaps, probs,
                            detector.tau());
                    notes.add("Table 4 labels only the triggered maps whose trigger columns get >= " + ratio + " times "
                            + "their clean attention, and counts the other triggered maps as clean; with those "
                            + scored.leftOut() + " maps left out (over-attention maps against clean-input maps only): "
                            + scored.metrics() + "; with every layer labelled: " + everyLayer.metrics());
                }
                DetectorMisses.byLayer(evalMaps, everyMaps, probs, detector.tau())
                        .writeCsv(s.reportDir().resolve(config.name()).resolve("detector-layers.csv"));
                // On windowed victims the columns are the finest grid's, and the means run over the
                // window maps that hold them.
                over = OverAttention.measure(model, evalSet.pairs().stream().map(DebuggingSet.Pair::anomalous).toList(),
                        evalSet.pairs().stream().map(DebuggingSet.Pair::clean).toList(), evalSet.sampleShape(),
                        RealTrigger.columns(real, layout), layout.isSpecial(0), BATCH);
            }
            return new Result(config, family, attack.target(), asrFloor, outcomes, detector, evalSet.pairs().size(),
                    debugSet.pairs().size(), debugSet.cleanOnly().size(), inversion.flaggedClasses(), debugSource,
                    Timing.offlineSeconds(bundle), timings(model, bundle, eval, triggered, s.timingSamples()), over,
                    String.join("; ", notes), baselines);
        } finally {
            bundle.detector().close();
        }
    }

    /**
     * Adds the debugging set's triggers: the region scan's selection when a scan is configured, the
     * victim's token layout has a translation step ({@link ImageTokenLayout#translationStep()}: ViT
     * and Swin patch grids, and T2T-ViT's soft splits, stepped by the product of their strides), and
     * the scan selects a class; else the unrestricted inversion's. Writes the scan's attempts to
     * {@code regions.csv} beside the inversion report.
     *
     * <p>A layout without a step is left to the unrestricted inversion: the debugging set cannot
     * translate a trigger by whole tokens there, so a scanned trigger would teach the detector its one
     * place instead of the over-attention ({@link BackdoorDebuggingSetBuilder#optPatchGridTranslations}),
     * however reliably the scan finds the target.
     *
     * @return a one-line account of where the triggers came from, and the triggers
     */
    private static DebugTriggers triggers(BackdoorDebuggingSetBuilder builder, Model model, ImageSplits data,
            InversionReport inversion, Settings s, BackdoorConfig config, ImageTokenLayout layout) throws IOException {
        String unrestricted = "unrestricted inversion, classes " + Arrays.toString(inversion.selected().stream()
                .mapToInt(InvertedTrigger::target).toArray()) + " (" + inversion.outcome() + ")";
        List<Trigger> fromInversion = inversion.selected().stream().map(InvertedTrigger::trigger).toList();
        if (s.regionCount() == 0) {
            builder.addTriggers(inversion);
            return new DebugTriggers(unrestricted, fromInversion);
        }
        if (layout.translationStep() <= 0) {
            builder.addTriggers(inversion);
            return new DebugTriggers(unrestricted + "; no region scan: the victim's token layout has no translation step, "
                    + "so a trigger cannot be placed at whole-token translations", fromInversion);
        }
        Supplier<RegionInversion.Result> run = () -> RegionInversion.builder().optRegionSize(s.regionSize())
                .optRegionCount(s.regionCount()).optCandidates(s.regionCandidates()).optMinFiringShare(s.regionMinShare())
                .optInversion(() -> TriggerInversion.builder().optSeed(s.seed()).optMaxRounds(s.inversionRounds()))
                .build().invert(model, data.pool(), inversion);
        RegionInversion.Result scan;
        String cached = "";
        if (s.scanCache() == null) {
            scan = run.get();
        } else {
            Pair<RegionInversion.Result, Boolean> r = new RegionScanCache(s.scanCache()).scanOrLoad(model, data.pool(),
                    "regions=" + s.regionCount() + "|size=" + s.regionSize() + "|candidates=" + s.regionCandidates()
                    + "|minShare=" + s.regionMinShare() + "|rounds=" + s.inversionRounds() + "|seed=" + s.seed(), run);
            scan = r.getKey();
            cached = r.getValue() ? " (scan loaded from the region-scan cache)" : "";
        }
        RegionScans.writeCsv(scan, s.reportDir().resolve(config.name()).resolve("regions.csv"));
        builder.addTriggers(scan, inversion);
        return new DebugTriggers((scan.selected().isEmpty() ? unrestricted + "; the region scan selected no class: "
                + RegionScans.summary(scan) : "region scan: " + RegionScans.summary(scan)) + cached,
                scan.selected().isEmpty() ? fromInversion : scan.selected().stream().map(InvertedTrigger::trigger).toList());
    }

    /** Where the debugging set's triggers came from, and the triggers. */
    private record DebugTriggers(String source, List<Trigger> triggers) {}

    /**
     * Runs each baseline on a copy of the victim: the defender's clean pool as its clean data, the
     * debugging set's triggers stamped on the pool's images of other classes as its defect (never the
     * attack's trigger); measured on the evaluation images as AtPatch is.
     *
     * @param outcomes receives each baseline's Acc and ASR
     * @return each baseline's outcome, wall time and settings
     */
    private static List<BaselineRun> baselines(ImageVictim victim, BackdoorConfig config, ImageSplits data,
            List<Trigger> triggers, LabelledData eval, LabelledData triggered, Settings s, List<Outcome> outcomes) {
        List<BaselineRun> runs = new ArrayList<>();
        if (s.baselines().isEmpty()) {
            return runs;
        }
        if (triggers.isEmpty()) {
            LOG.warn("{}: no inverted trigger, the baselines were not run", config.name());
            return runs;
        }
        ImageFamily family = ImageFamily.forDataset(config.dataset());
        RepairInput input = new RepairInput(victim.model(), family::build, data.pool(),
                Defect.Backdoor.of(triggers, data.pool()));
        for (Repair repair : s.baselines()) {
            Engine.getInstance().setRandomSeed((int) s.seed());
            try (Repaired r = repair.repair(input)) {
                double acc = Metrics.accuracy(Predictions.classes(r.model(), eval, BATCH), eval.labels());
                double asr = Metrics.accuracy(Predictions.classes(r.model(), triggered, BATCH), triggered.labels());
                outcomes.add(new Outcome(repair.name(), acc, asr, 0, 0));
                runs.add(new BaselineRun(repair.name(), acc, asr, r.seconds(), r.settings()));
                LOG.info("{}: {} acc {} ASR {} in {} s; {}", config.name(), repair.name(), acc, asr, r.seconds(),
                        r.settings());
            }
        }
        return runs;
    }

    /**
     * The layout the debugging sets label: the model's own image layout, or for windowed attention the
     * finest patch grid its window columns fold onto ({@link InterceptableTransformer#sampleTokens()}).
     *
     * @param block the victim
     * @return the sample-level image layout
     */
    static ImageTokenLayout sampleLayout(InterceptableTransformer block) {
        if (block.tokenLayout() instanceof ImageTokenLayout l) {
            return l;
        }
        Shape in = block.sampleInputShape();
        int grid = (int) Math.round(Math.sqrt(block.sampleTokens()));
        int side = (int) in.get(1);
        if (grid * grid != block.sampleTokens() || side % grid != 0 || in.get(2) != side) {
            throw new IllegalArgumentException("cannot derive a patch grid for " + block.sampleTokens() + " sample tokens"
                    + " of " + in + " images");
        }
        return new ImagePatchLayout(side, side, side / grid, false);
    }

    /** The triggered images relabelled as the target, so that accuracy on them is the attack success rate. */
    private static LabelledData asTarget(LabelledData triggered, int target) {
        int[] labels = new int[triggered.size()];
        Arrays.fill(labels, target);
        return new LabelledData(triggered.inputs(), labels, triggered.sampleShape());
    }

    private static Outcome outcome(String method, PatchedModel patched, LabelledData eval, LabelledData triggered) {
        try (patched) {
            PatchedCounts clean = PatchedCounts.of(patched, eval, BATCH);
            PatchedCounts attacked = PatchedCounts.of(patched, triggered, BATCH);
            return new Outcome(method, clean.accuracy(), attacked.accuracy(), clean.patchedShare(),
                    attacked.patchedShare());
        }
    }

    private static Map<String, Double> timings(Model model, PatchBundle bundle, LabelledData eval, LabelledData triggered,
            int most) {
        LabelledData clean = eval.range(0, Math.min(most, eval.size()));
        LabelledData attacked = triggered.range(0, Math.min(most, triggered.size()));
        Map<String, Double> ms = new LinkedHashMap<>();
        ms.put("unpatched", Timing.msPerSample(() -> Predictions.classes(model, clean, BATCH), clean.size()));
        try (PatchedModel p = PatchVariants.patched(bundle, model, PatchVariants.defaultRule(bundle))) {
            ms.put("atpatch_clean", Timing.msPerSample(() -> Predictions.classes(p, clean, BATCH), clean.size()));
            ms.put("atpatch_triggered", Timing.msPerSample(() -> Predictions.classes(p, attacked, BATCH), attacked.size()));
        }
        return ms;
    }
}
