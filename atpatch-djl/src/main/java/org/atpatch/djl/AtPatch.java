package org.atpatch.djl;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.atpatch.core.BenignStatistics;
import org.atpatch.detector.AttentionDetector;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.TauSelection;
import org.atpatch.detector.DetectorTrainer;
import org.atpatch.detector.DetectorTrainingData;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.interception.AttentionCapture;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.atpatch.djl.patch.FlagDilation;
import org.atpatch.djl.patch.PatchRule;
import org.atpatch.djl.patch.PatchRuleSelection;
import org.atpatch.djl.patch.PatchRules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The offline half of Algorithm 1, as a fluent entry point:
 *
 * <pre>{@code
 * PatchedModel patched = AtPatch.builder()
 *         .setModel(victim)
 *         .build()
 *         .train(debugSet);
 * NDArray logits = patched.predict(batch);
 * }</pre>
 *
 * Without {@link Builder#optDetectorConfig} the detector trains with {@link DetectorConfig#defaults()};
 * {@link DetectorConfig#paper()} gives the paper's settings, and {@code DetectorConfig.builder()} any
 * other (seed, epochs, τ selection, network sizes).
 *
 * {@link #train} records every layer's attention maps (and input token states) of the debugging
 * set's clean and anomalous inputs, accumulates Q and the benign token states from the clean side,
 * trains the detector (Eq. 7) on the labelled maps, and returns the patched model. Unless a patch rule
 * is set, a backdoor debugging set also picks the rule ({@link PatchRuleSelection}: the candidate
 * that undoes most of the debugging set's anomalous inputs, the product default unless beaten by
 * more than a margin); other debugging sets get {@link PatchRules#productDefaultFor}. The debugging
 * set's own construction time (from its provenance), attention capture, detector training and rule
 * selection are timed, logged and kept in the bundle's provenance.
 */
public final class AtPatch {

    private static final Logger LOG = LoggerFactory.getLogger(AtPatch.class);

    private final Model model;
    private final DetectorConfig detectorConfig;
    private final PatchRule rule;
    private final PatchMode mode;
    private final int flagDilation;
    private final int captureBatchSize;
    private final double overAttentionRatio;
    private final List<PatchRule> candidates;
    private final double selectionMargin;
    private final QualityGates gates;

    private AtPatch(Builder b) {
        this.model = b.model;
        this.overAttentionRatio = b.overAttentionRatio;
        // The detector trains where the model lives unless the configuration names a device.
        this.detectorConfig = b.detectorConfig.device() != null ? b.detectorConfig
                : b.detectorConfig.toBuilder().optDevice(model.getNDManager().getDevice()).build();
        this.rule = b.rule;
        this.mode = b.mode;
        this.flagDilation = b.flagDilation;
        this.captureBatchSize = b.captureBatchSize;
        this.candidates = b.candidates;
        this.selectionMargin = b.selectionMargin;
        this.gates = b.gates;
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Trains the detector and benign statistics from a debugging set and returns the patched model.
     *
     * @param debugSet the debugging set (non-empty, built for this model)
     * @return the patched model; it owns the trained detector
     */
    public PatchedModel train(DebuggingSet debugSet) {
        // The bundle was just made from this model's weights: checking them again would hash them twice.
        return PatchedModel.fromBundle(trainBundle(debugSet), model, BundleBinding.ARCHITECTURE_ONLY);
    }

    /**
     * Like {@link #train} but returns the bundle, e.g. to save it or swap it into a live model.
     *
     * @param debugSet the debugging set
     * @return detector, benign statistics, configuration and provenance
     */
    public PatchBundle trainBundle(DebuggingSet debugSet) {
        DjlOffline.configure();
        if (debugSet.isEmpty()) {
            throw new IllegalArgumentException("the debugging set is empty: it has no clean/anomalous pair to learn from"
                    + " (did trigger inversion or the attribute flips find nothing?)");
        }
        AttentionLayers layers = AttentionLayers.of(model.getBlock());
        int depth = layers.depth();
        int heads = layers.heads(0);
        Shape sample = debugSet.sampleShape();
        if (model.getBlock() instanceof InterceptableTransformer t) {
            if (!t.sampleInputShape().equals(sample)) {
                throw new IllegalArgumentException("the debugging set holds inputs shaped " + sample
                        + " but the model takes " + t.sampleInputShape());
            }
            if (t.sampleTokens() != debugSet.tokens()) {
                throw new IllegalArgumentException("the debugging set labels N = " + debugSet.tokens()
                        + " columns but the model's maps have N = " + t.sampleTokens()
                        + (t.sampleTokens() != t.tokenLayout().size() ? " sample tokens" : ""));
            }
        }
        int mapTokens = model.getBlock() instanceof InterceptableTransformer t ? t.tokenLayout().size() : debugSet.tokens();
        boolean[] flaggable = model.getBlock() instanceof InterceptableTransformer t ? t.tokenLayout().flaggable() : null;
        QualityChecks.debuggingSet(debugSet, flaggable, gates);
        boolean states = layers.hasTokenStatePoints();
        if (rule != null) {
            PatchedModel.requireRuleWorksIn(rule, mode); // before the capture, not after it
        }
        if (rule == null && candidates != null && !states && candidates.stream().anyMatch(PatchRule::usesTokenStates)) {
            throw new IllegalArgumentException("patch-rule candidates " + candidates.stream().filter(PatchRule::usesTokenStates)
                    .map(PatchRule::name).toList() + " need a token-state point in front of every attention layer, which this"
                    + " model lacks");
        }
        int width = states ? widthOf(model) : 0;
        BenignStatistics stats = BenignStatistics.empty(depth, heads, mapTokens, width);
        DetectorTrainingData.Builder data = DetectorTrainingData.builder().optLayers(depth)
                .optOverAttentionRatio(overAttentionRatio);

        long t0 = System.nanoTime();
        AttentionCapture.capture(model, debugSet, captureBatchSize, states, stats, data);
        List<DebuggingSet.Pair> pairs = debugSet.pairs();
        List<float[]> cleanOnly = debugSet.cleanOnly();
        double captureSeconds = (System.nanoTime() - t0) / 1e9;
        long[] labels = data.pairLabelCounts();
        if (overAttentionRatio > 0) {
            LOG.info("AtPatch: {} of {} labelled (pair, layer, column) cells show over-attention (ratio >= {}) and stay"
                    + " anomalous", labels[1], labels[0], overAttentionRatio);
        }
        LOG.info("AtPatch: captured the attention maps of {} pairs and {} clean inputs in {} s",
                pairs.size(), cleanOnly.size(), String.format(Locale.ROOT, "%.1f", captureSeconds));

        long t1 = System.nanoTime();
        DetectorTrainingData trainingData = data.build();
        AttentionDetector detector = new DetectorTrainer(configFor(debugSet)).train(trainingData);
        double trainSeconds = (System.nanoTime() - t1) / 1e9;
        LOG.info("AtPatch: trained the detector in {} s (τ = {})", String.format(Locale.ROOT, "%.1f", trainSeconds), detector.tau());
        try {
            return finish(debugSet, detector, trainingData, stats, layers, states, captureSeconds, trainSeconds);
        } catch (RuntimeException e) {
            detector.close();
            throw e;
        }
    }

    /**
     * The detector configuration for this debugging set: as configured, except that on a fairness set a τ
     * selection that bounds the clean inputs flagged becomes the best F1. A fairness pair's clean side is a
     * person whose prediction the attribute may also sway: flagging it is no false alarm to bound.
     */
    private DetectorConfig configFor(DebuggingSet debugSet) {
        if (debugSet.kind() == DebuggingSet.Kind.FAIRNESS && detectorConfig.tauSelection().boundsCleanInputs()) {
            LOG.info("AtPatch: τ by the best F1 on this fairness debugging set; {} bounds the clean inputs of backdoor"
                    + " debugging sets only", detectorConfig.tauSelection());
            return detectorConfig.toBuilder().optTauSelection(TauSelection.maxF1()).build();
        }
        return detectorConfig;
    }

    /** Gates the detector, chooses the rule, and assembles the bundle. */
    private PatchBundle finish(DebuggingSet debugSet, AttentionDetector detector, DetectorTrainingData trainingData,
            BenignStatistics stats, AttentionLayers layers, boolean states, double captureSeconds, double trainSeconds) {
        boolean[] mapFlaggable = model.getBlock() instanceof InterceptableTransformer t ? t.tokenLayout().flaggable() : null;
        // Backdoor sets only: a fairness pair's clean side is a person whose prediction may itself depend on the
        // attribute, so flagging it is no false alarm, and its strict map-level F1 measures another thing.
        double cleanFlagged = debugSet.kind() == DebuggingSet.Kind.BACKDOOR
                ? QualityChecks.detector(detector, trainingData, mapFlaggable, gates) : Double.NaN;
        List<DebuggingSet.Pair> pairs = debugSet.pairs();
        List<float[]> cleanOnly = debugSet.cleanOnly();

        Map<String, String> provenance = new LinkedHashMap<>();
        debugSet.provenance().forEach((k, v) -> provenance.put("debugSet." + k, v));
        provenance.put("debugSet.kind", debugSet.kind().name());
        provenance.put("debugSet.pairs", Integer.toString(pairs.size()));
        provenance.put("debugSet.cleanOnly", Integer.toString(cleanOnly.size()));
        provenance.put("seconds.capture", String.format(Locale.ROOT, "%.3f", captureSeconds));
        provenance.put("seconds.detectorTraining", String.format(Locale.ROOT, "%.3f", trainSeconds));
        if (!Double.isNaN(cleanFlagged)) {
            provenance.put("detector.cleanInputsFlagged", String.format(Locale.ROOT, "%.4f", cleanFlagged));
        }
        LOG.info("AtPatch offline phases: debugging set {} s, attention capture {} s, detector training {} s",
                debugSet.provenance().getOrDefault("seconds", "?"), String.format(Locale.ROOT, "%.1f", captureSeconds),
                String.format(Locale.ROOT, "%.1f", trainSeconds));
        PatchRule chosen = chooseRule(debugSet, detector, stats, layers, states, provenance);
        return new PatchBundle(detector, stats, detector.tau(), chosen.name(), mode, flagDilation,
                ModelFingerprint.of(model.getBlock()),
                ModelFingerprint.weightsOf(model.getBlock()), provenance);
    }

    /**
     * The set rule; else, for a backdoor debugging set, the selected one; else the product default.
     * {@code states}: the model has token-state points, so the statistics hold benign token states.
     */
    private PatchRule chooseRule(DebuggingSet debugSet, AttentionDetector detector, BenignStatistics stats,
            AttentionLayers layers, boolean states, Map<String, String> provenance) {
        if (rule != null) {
            provenance.put("patchRule.origin", "set");
            return rule;
        }
        boolean streaming = mode == PatchMode.STREAMING;
        PatchRule preferred = PatchRules.productDefaultFor(layers, states, streaming);
        List<PatchRule> usable = (candidates != null ? candidates : PatchRules.all()).stream()
                .filter(r -> states || !r.usesTokenStates()).filter(r -> !streaming || r.patchesAttention()).toList();
        if (usable.isEmpty()) {
            throw new IllegalArgumentException("none of the patch-rule candidates " + candidates.stream().map(PatchRule::name)
                    .toList() + " works for this model in " + mode + " mode");
        }
        if (debugSet.kind() != DebuggingSet.Kind.BACKDOOR || usable.size() < 2) {
            PatchRule only = usable.size() == 1 ? usable.get(0) : preferred;
            LOG.info("AtPatch: patch rule {} ({})", only.name(), usable.size() == 1 ? "the only candidate"
                    : "product default; rule selection scores backdoor debugging sets only");
            provenance.put("patchRule.origin", usable.size() == 1 ? "only candidate" : "product default");
            return only;
        }
        if (!usable.stream().map(PatchRule::name).toList().contains(preferred.name())) {
            preferred = usable.get(0);
        }
        long t0 = System.nanoTime();
        PatchRuleSelection.Result r = PatchRuleSelection.select(model, detector, stats, detector.tau(), mode, debugSet,
                usable, preferred, selectionMargin);
        double seconds = (System.nanoTime() - t0) / 1e9;
        LOG.info("AtPatch: patch rule {} selected on the debugging set in {} s (preferred {}, margin {}); {}",
                r.chosen().name(), String.format(Locale.ROOT, "%.1f", seconds), preferred.name(), selectionMargin, r.scores());
        QualityChecks.ruleSelection(r, gates);
        provenance.put("patchRule.origin", "selected");
        provenance.put("patchRule.selection", r.scores().toString());
        provenance.put("seconds.ruleSelection", String.format(Locale.ROOT, "%.3f", seconds));
        return r.chosen();
    }

    private static int widthOf(Model model) {
        if (model.getBlock() instanceof InterceptableTransformer t) {
            return t.width();
        }
        return AttentionLayers.of(model.getBlock()).attention().get(0).width();
    }

    /**
     * Builds an {@link AtPatch}. Only the model is required; each other setting has one {@code optX}
     * and a documented default. Nothing passed in is modified. Not thread-safe.
     */
    public static final class Builder {
        private Model model;
        private DetectorConfig detectorConfig = DetectorConfig.defaults();
        private PatchRule rule;
        private PatchMode mode = PatchMode.TWO_PASS;
        private int flagDilation;
        private int captureBatchSize = 64;
        private double overAttentionRatio = DetectorTrainingData.DEFAULT_OVER_ATTENTION_RATIO;
        private List<PatchRule> candidates;
        private double selectionMargin = PatchRuleSelection.DEFAULT_MARGIN;
        private QualityGates gates = QualityGates.defaults();

        private Builder() {}

        /**
         * @param gates the checks a debugging set, the trained detector and the rule selection must pass
         *     before a bundle is produced (default {@link QualityGates#defaults()}; {@link
         *     QualityGates#disabled()} for experts)
         * @return this
         */
        public Builder optQualityGates(QualityGates gates) {
            this.gates = java.util.Objects.requireNonNull(gates, "gates");
            return this;
        }

        /** @param model the victim, built from interceptable attention and initialised @return this */
        public Builder setModel(Model model) {
            this.model = model;
            return this;
        }

        /**
         * @param rule the patch rule, fixed; by default it is selected on a backdoor debugging set
         *     ({@link PatchRuleSelection}) and is {@link PatchRules#productDefaultFor} otherwise
         * @return this
         */
        public Builder optPatchRule(PatchRule rule) {
            this.rule = java.util.Objects.requireNonNull(rule, "rule");
            return this;
        }

        /**
         * @param candidates the rules {@link PatchRuleSelection} compares when no rule is set (default:
         *     every shipped rule the model supports, {@link PatchRules#all()}); one rule fixes it
         * @return this
         */
        public Builder optPatchRuleCandidates(List<PatchRule> candidates) {
            this.candidates = List.copyOf(candidates);
            return this;
        }

        /**
         * @param margin how much higher another rule's selection score must be than the product
         *     default's to replace it, in [0, 1] (default {@value PatchRuleSelection#DEFAULT_MARGIN})
         * @return this
         */
        public Builder optRuleSelectionMargin(double margin) {
            this.selectionMargin = margin;
            return this;
        }

        /** @param mode two-pass (default) or streaming @return this */
        public Builder optMode(PatchMode mode) {
            this.mode = mode;
            return this;
        }

        /**
         * @param radius the bundle's flag dilation ({@link PatchedModel.Builder#optFlagDilation}): patch the
         *     flagged columns' neighbours within this radius on the patch grid too; default 0, off
         * @return this
         */
        public Builder optFlagDilation(int radius) {
            this.flagDilation = radius;
            return this;
        }

        /**
         * @param config every detector setting (architecture, optimiser, epochs, λ, seed, τ selection);
         *     default {@link DetectorConfig#defaults()}. Without a device of its own, the detector
         *     trains on the model's device.
         * @return this
         */
        public Builder optDetectorConfig(DetectorConfig config) {
            this.detectorConfig = java.util.Objects.requireNonNull(config, "config");
            return this;
        }

        /** @param size inputs per attention-capture batch, default 64 @return this */
        public Builder optCaptureBatchSize(int size) {
            this.captureBatchSize = size;
            return this;
        }

        /**
         * @param ratio how much more attention a labelled column must get in a pair's anomalous map
         *     than in its clean map, layer by layer, to stay labelled anomalous (0 keeps every label);
         *     see {@link DetectorTrainingData.Builder#optOverAttentionRatio}
         * @return this
         */
        public Builder optOverAttentionRatio(double ratio) {
            this.overAttentionRatio = ratio;
            return this;
        }

        /** @return the configured AtPatch */
        public AtPatch build() {
            if (model == null || model.getBlock() == null || !model.getBlock().isInitialized()) {
                throw new IllegalArgumentException("setModel(...) with an initialised block is required");
            }
            AttentionLayers.of(model.getBlock()); // refuses a model without interceptable attention now, not after capture
            if (mode == null) {
                throw new IllegalArgumentException("mode must not be null");
            }
            if (flagDilation < 0) {
                throw new IllegalArgumentException("flag dilation must be >= 0 (0 = off), got " + flagDilation);
            }
            if (flagDilation > 0) {
                // Refuses a model whose tokens form no patch grid now, not after the detector has trained.
                FlagDilation.of(flagDilation, model.getBlock() instanceof InterceptableTransformer t ? t.tokenLayout() : null);
            }
            DetectorTrainingData.requireOverAttentionRatio(overAttentionRatio);
            PatchRuleSelection.requireMargin(selectionMargin);
            if (candidates != null && candidates.isEmpty()) {
                throw new IllegalArgumentException("patch-rule candidates must not be empty");
            }
            if (captureBatchSize <= 0) {
                throw new IllegalArgumentException("capture batch size must be positive, got " + captureBatchSize);
            }
            return new AtPatch(this);
        }
    }
}
