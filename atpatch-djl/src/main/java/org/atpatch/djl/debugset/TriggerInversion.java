package org.atpatch.djl.debugset;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.LabelledData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trigger inversion (Eq. 3, after Neural Cleanse) on a frozen victim: for each candidate target class
 * {@code c}, find the mask {@code M = sigmoid(m)} over the image plane and pattern
 * {@code Δ = lo + (hi − lo)·(tanh(p) + 1)/2} that minimise the cross-entropy of
 * {@code x′ = (1 − M) ⊙ x + M ⊙ Δ} to {@code c} plus {@code λ · ‖M‖₁}, over clean inputs of other
 * classes. Adam (β = 0.5, 0.9, as Neural Cleanse) on the raw {@code m, p}; only they get gradients.
 * The search starts from a faint mask (0.12) of a mid-range pattern, with a little seeded noise.
 *
 * <p><b>Schedule.</b> Optimisation runs in rounds of {@code batchesPerRound} mini-batches; a round
 * succeeds when its attack success (share of other-class inputs classified as {@code c}) reaches the
 * threshold (0.99). λ starts at {@code initialCost} (1e-3); after {@code patience} successful rounds
 * in a row it is multiplied by {@code costUp} (1.5), after {@code patience} failed rounds in a row
 * divided by {@code costDown} (1.5^1.5). The smallest-norm trigger of any successful round is kept.
 * A class stops early once (1) a valid trigger was found, (2) λ has been raised and, after that
 * first success, lowered again (Neural Cleanse's balance condition), and (3) the best norm improved
 * by less than 1 % over the last {@code earlyStopPatience} rounds; otherwise after {@code maxRounds}.
 *
 * <p><b>Defaults and budget.</b> Neural Cleanse counts rounds in epochs of the whole clean set;
 * here a round is 2 mini-batches of 32 and the patience 3 rounds, so λ can move every 6 steps and a
 * class takes 150–200 steps (at most 200). Several classes are optimised in lock-step, their
 * stamped batches stacked into one forward pass of at most {@code maxStackedInputs} (128) inputs,
 * which is cheaper per input than one class at a time and stays below the size where a CPU step
 * gets much dearer per input. Deterministic for a seed and thread count on CPU; the last bits, and
 * so occasionally a borderline outcome, can change with the thread count or the classes optimised
 * beside it.
 *
 * <p>Then every class's mask L1 goes through the {@link MadAnomalyIndex} test, and the
 * {@link InversionReport} says which classes are suspected targets and what was done if none was
 * ({@link NoFlagPolicy}). Inputs are expected in {@code [patternLow, patternHigh]} ({@code [0, 1]}).
 */
public final class TriggerInversion {

    private static final Logger LOG = LoggerFactory.getLogger(TriggerInversion.class);

    final int[] classes;
    final int maxRounds;
    final int batchesPerRound;
    final int batchSize;
    final double learningRate;
    final double beta1;
    final double beta2;
    final double initialCost;
    final double costUp;
    final double costDown;
    final int patience;
    final double successThreshold;
    final int earlyStopPatience;
    final double earlyStopImprovement;
    final boolean earlyStopNeedsCostSwing;
    final double initialMask;
    final double initNoise;
    final int classesPerPass;
    final int maxStackedInputs;
    final int evaluationSamples;
    final double patternLow;
    final double patternHigh;
    final long seed;
    final double anomalyThreshold;
    final NoFlagPolicy noFlagPolicy;
    /** Where the mask may be non-zero, {@code H × W} of 0/1, or null for everywhere. */
    final float[] maskSupport;

    private TriggerInversion(Builder b) {
        classes = b.classes == null ? null : b.classes.clone();
        maxRounds = b.maxRounds;
        batchesPerRound = b.batchesPerRound;
        batchSize = b.batchSize;
        learningRate = b.learningRate;
        beta1 = b.beta1;
        beta2 = b.beta2;
        initialCost = b.initialCost;
        costUp = b.costUp;
        costDown = b.costDown;
        patience = b.patience;
        successThreshold = b.successThreshold;
        earlyStopPatience = b.earlyStopPatience;
        earlyStopImprovement = 0.99;
        earlyStopNeedsCostSwing = b.earlyStopNeedsCostSwing;
        initialMask = b.initialMask;
        initNoise = b.initNoise;
        classesPerPass = b.classesPerPass;
        maxStackedInputs = b.maxStackedInputs;
        evaluationSamples = b.evaluationSamples;
        patternLow = b.patternLow;
        patternHigh = b.patternHigh;
        seed = b.seed;
        anomalyThreshold = b.anomalyThreshold;
        noFlagPolicy = b.noFlagPolicy;
        maskSupport = b.maskSupport == null ? null : b.maskSupport.clone();
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Inverts a trigger for every configured class (all of the model's classes by default) and
     * runs the MAD test over their mask norms.
     *
     * @param model the victim; its block takes {@code (batch, C, H, W)} and returns logits {@code (batch, classes)}
     * @param clean clean inputs with their true labels, shaped {@code (C, H, W)}
     * @return the report: one {@link InvertedTrigger} per class, anomaly indices, flagged and selected classes
     * @throws NoTargetFlaggedException under {@link NoFlagPolicy#FAIL} when no class is flagged
     */
    public InversionReport invert(Model model, LabelledData clean) {
        DjlOffline.configure();
        if (model == null || model.getBlock() == null) {
            throw new IllegalArgumentException("a model with a block is required");
        }
        if (clean == null || clean.size() == 0) {
            throw new IllegalArgumentException("trigger inversion needs clean data; the data set is empty");
        }
        // AtPatch can only protect a model with interceptable attention: say so before inverting for an hour.
        org.atpatch.djl.interception.AttentionLayers.of(model.getBlock());
        Shape shape = clean.sampleShape();
        if (shape.dimension() != 3) {
            throw new IllegalArgumentException("trigger inversion works on images shaped (C, H, W); samples are shaped " + shape);
        }
        checkValues(clean);
        if (maskSupport != null && maskSupport.length != shape.get(1) * shape.get(2)) {
            throw new IllegalArgumentException("the mask support has " + maskSupport.length + " values but the images are "
                    + shape.get(1) + " × " + shape.get(2));
        }
        int numClasses = TriggerOptimiser.probeClasses(model, clean);
        int[] targets = targets(numClasses);
        if (targets.length < 3) {
            LOG.warn("inverting {} class(es) only: the MAD test needs several classes to estimate spread; "
                    + "anomaly indices will be unreliable", targets.length);
        }

        // Hold out evaluation inputs (for the reported attack success), optimise on the rest.
        Random random = new Random(seed);
        int[] order = IntStream.range(0, clean.size()).toArray();
        shuffle(order, random);
        int held = clean.size() >= 20 ? Math.min(evaluationSamples, clean.size() / 5) : 0;
        int[] evaluation = held > 0 ? Arrays.copyOfRange(order, 0, held) : order.clone();
        int[] pool = held > 0 ? Arrays.copyOfRange(order, held, order.length) : order.clone();

        long t0 = System.nanoTime();
        List<InvertedTrigger> results = new ArrayList<>();
        TriggerOptimiser optimiser = new TriggerOptimiser(model, clean, pool, numClasses, this, random);
        for (int from = 0; from < targets.length; from += classesPerPass) {
            int[] group = Arrays.copyOfRange(targets, from, Math.min(targets.length, from + classesPerPass));
            long tg = System.nanoTime();
            List<ClassSearch> searches = new ArrayList<>();
            for (int c : group) {
                searches.add(new ClassSearch(c, shape, this, seed * 1_000_003L + c));
            }
            optimiser.run(searches);
            for (ClassSearch s : searches) {
                Trigger t = s.trigger();
                double success = attackSuccess(model, clean, evaluation, t);
                InvertedTrigger it = new InvertedTrigger(t, t.maskL1(), success, s.reachedThreshold(), s.steps, s.cost);
                LOG.info("class {}: mask L1 {}, attack success {}{}, {} rounds / {} steps, final λ {}", s.target,
                        String.format(Locale.ROOT, "%.2f", it.maskL1()), String.format(Locale.ROOT, "%.3f", success),
                        s.reachedThreshold() ? "" : " (threshold " + successThreshold + " never reached)",
                        s.rounds, s.steps, String.format(Locale.ROOT, "%.2e", s.cost));
                results.add(it);
            }
            LOG.info("inverted classes {} in {} s", Arrays.toString(group),
                    String.format(Locale.ROOT, "%.1f", (System.nanoTime() - tg) / 1e9));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        LOG.info("trigger inversion of {} classes took {} s", targets.length, String.format(Locale.ROOT, "%.1f", seconds));
        return InversionReport.analyse(results, anomalyThreshold, noFlagPolicy, configuration(), seconds);
    }

    private int[] targets(int numClasses) {
        if (classes == null) {
            return IntStream.range(0, numClasses).toArray();
        }
        for (int c : classes) {
            if (c < 0 || c >= numClasses) {
                throw new IllegalArgumentException("class " + c + " is outside [0, " + numClasses
                        + "), the victim's output classes");
            }
        }
        return classes.clone();
    }

    private void checkValues(LabelledData clean) {
        float[] x = clean.inputs();
        double slack = 1e-3 * (patternHigh - patternLow);
        int outside = 0;
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                throw new IllegalArgumentException("clean input value " + i + " is " + x[i]);
            }
            if (x[i] < patternLow - slack || x[i] > patternHigh + slack) {
                outside++;
            }
        }
        if (outside > 0) {
            LOG.warn("{} input values lie outside the pattern range [{}, {}]; set optPatternRange to the input range",
                    outside, patternLow, patternHigh);
        }
    }

    private double attackSuccess(Model model, LabelledData clean, int[] evaluation, Trigger t) {
        int[] others = Arrays.stream(evaluation).filter(i -> clean.labels()[i] != t.target()).toArray();
        if (others.length == 0) {
            return Double.NaN;
        }
        int[] pred = TriggerOptimiser.predict(model, t.apply(clean.subset(others)), 256);
        long hits = Arrays.stream(pred).filter(p -> p == t.target()).count();
        return hits / (double) pred.length;
    }

    /** @return the configuration as strings, for the report and the debugging set's provenance */
    public Map<String, String> configuration() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("classes", classes == null ? "all" : Arrays.toString(classes));
        m.put("maxRounds", Integer.toString(maxRounds));
        m.put("batchesPerRound", Integer.toString(batchesPerRound));
        m.put("batchSize", Integer.toString(batchSize));
        m.put("learningRate", Double.toString(learningRate));
        m.put("adamBetas", beta1 + "," + beta2);
        m.put("initialCost", Double.toString(initialCost));
        m.put("costUp", Double.toString(costUp));
        m.put("costDown", Double.toString(costDown));
        m.put("patience", Integer.toString(patience));
        m.put("successThreshold", Double.toString(successThreshold));
        m.put("earlyStopPatience", Integer.toString(earlyStopPatience));
        m.put("earlyStopNeedsCostSwing", Boolean.toString(earlyStopNeedsCostSwing));
        m.put("initialMask", Double.toString(initialMask));
        m.put("initNoise", Double.toString(initNoise));
        m.put("classesPerPass", Integer.toString(classesPerPass));
        m.put("maxStackedInputs", Integer.toString(maxStackedInputs));
        m.put("evaluationSamples", Integer.toString(evaluationSamples));
        m.put("patternRange", patternLow + "," + patternHigh);
        if (maskSupport != null) {
            int on = 0;
            for (float v : maskSupport) {
                on += v > 0 ? 1 : 0;
            }
            m.put("maskSupportPixels", Integer.toString(on));
        }
        m.put("seed", Long.toString(seed));
        m.put("anomalyThreshold", Double.toString(anomalyThreshold));
        m.put("noFlagPolicy", noFlagPolicy.name());
        return m;
    }

    private static void shuffle(int[] a, Random r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** Builds a {@link TriggerInversion}; every setting is optional. */
    public static final class Builder {
        private int[] classes;
        private int maxRounds = 100;
        private int batchesPerRound = 2;
        private int batchSize = 32;
        private double learningRate = 0.1;
        private double beta1 = 0.5;
        private double beta2 = 0.9;
        private double initialCost = 1e-3;
        private double costUp = 1.5;
        private double costDown = Math.pow(1.5, 1.5);
        private int patience = 3;
        private double successThreshold = 0.99;
        private float[] maskSupport;
        private int earlyStopPatience = 8;
        private boolean earlyStopNeedsCostSwing = true;
        private double initialMask = 0.12;
        private double initNoise = 0.1;
        private int classesPerPass = 10;
        private int maxStackedInputs = 128;
        private int evaluationSamples = 512;
        private double patternLow = 0;
        private double patternHigh = 1;
        private long seed = 0;
        private double anomalyThreshold = MadAnomalyIndex.DEFAULT_THRESHOLD;
        private NoFlagPolicy noFlagPolicy = NoFlagPolicy.FAIL;

        private Builder() {}

        /** @param v the candidate classes to invert (default: all the model's classes) @return this */
        public Builder optClasses(int... v) {
            if (v == null || v.length == 0) {
                throw new IllegalArgumentException("give at least one class, or leave the default (all)");
            }
            if (Arrays.stream(v).distinct().count() != v.length) {
                throw new IllegalArgumentException("classes repeat: " + Arrays.toString(v));
            }
            classes = v.clone();
            return this;
        }

        /** @param v the most optimisation rounds per class (default 100, i.e. 200 mini-batches) @return this */
        public Builder optMaxRounds(int v) {
            maxRounds = v;
            return this;
        }

        /** @param v mini-batches per round, the unit of the λ schedule and early stop (default 2) @return this */
        public Builder optBatchesPerRound(int v) {
            batchesPerRound = v;
            return this;
        }

        /** @param v clean inputs per mini-batch (default 32, as Neural Cleanse) @return this */
        public Builder optBatchSize(int v) {
            batchSize = v;
            return this;
        }

        /** @param v Adam's learning rate on the raw mask and pattern (default 0.1, as Neural Cleanse) @return this */
        public Builder optLearningRate(double v) {
            learningRate = v;
            return this;
        }

        /** @param v the initial L1 weight λ (default 1e-3) @return this */
        public Builder optInitialCost(double v) {
            initialCost = v;
            return this;
        }

        /**
         * @param up factor that raises λ (default 1.5)
         * @param down divisor that lowers λ (default 1.5^1.5)
         * @return this
         */
        public Builder optCostMultipliers(double up, double down) {
            costUp = up;
            costDown = down;
            return this;
        }

        /** @param v rounds in a row above / below the threshold before λ moves (default 3) @return this */
        public Builder optPatience(int v) {
            patience = v;
            return this;
        }

        /** @param v the attack success a round must reach to count as a valid trigger (default 0.99) @return this */
        public Builder optSuccessThreshold(double v) {
            successThreshold = v;
            return this;
        }

        /** @param v rounds over which the best norm must improve by 1 % to go on (default 8) @return this */
        public Builder optEarlyStopPatience(int v) {
            earlyStopPatience = v;
            return this;
        }

        /**
         * @param v whether early stop waits until λ has been raised and, after a valid trigger was
         *     found, lowered again, as Neural Cleanse does (default true); when false, one raise is
         *     enough, which stops classes early while λ is still far too small
         * @return this
         */
        public Builder optEarlyStopNeedsCostSwing(boolean v) {
            earlyStopNeedsCostSwing = v;
            return this;
        }

        /**
         * @param v the mask value every pixel starts from, in {@code (0, 1)} (default 0.12, a raw
         *     value of −2); the pattern starts mid-range. From a faint mask the target class's own
         *     gradients grow the trigger where the victim responds to it. A random start like Neural
         *     Cleanse's (raw mask and pattern drawn from N(0, 1)) often finds a copy of the trigger in
         *     another patch (ViT patch embeddings are shared, so a backdoor partly fires in any patch),
         *     and a uniform 0.5 start can converge to a diffuse mask too large to be flagged.
         * @return this
         */
        public Builder optInitialMask(double v) {
            initialMask = v;
            return this;
        }

        /**
         * @param v standard deviation of the raw mask and pattern around their start (default 0.1):
         *     small, so the seed breaks ties without choosing the trigger's place
         * @return this
         */
        public Builder optInitNoise(double v) {
            initNoise = v;
            return this;
        }

        /** @param v classes optimised together in one stacked forward pass (default 10) @return this */
        public Builder optClassesPerPass(int v) {
            classesPerPass = v;
            return this;
        }

        /**
         * @param v the most stamped inputs in one forward pass (default 128): a step's classes are split
         *     into chunks of at most {@code v / batchSize} classes; on CPU the cost per input rises
         *     steeply once a pass grows past a couple of hundred inputs.
         * @return this
         */
        public Builder optMaxStackedInputs(int v) {
            maxStackedInputs = v;
            return this;
        }

        /** @param v clean inputs held out to measure each trigger's attack success (default 512) @return this */
        public Builder optEvaluationSamples(int v) {
            evaluationSamples = v;
            return this;
        }

        /**
         * @param low the smallest pattern value (default 0)
         * @param high the largest (default 1); the range of valid input values
         * @return this
         */
        public Builder optPatternRange(double low, double high) {
            patternLow = low;
            patternHigh = high;
            return this;
        }

        /** @param v seed of the initial masks and patterns, the batch order and the hold-out (default 0) @return this */
        public Builder optSeed(long v) {
            seed = v;
            return this;
        }

        /** @param v MAD anomaly index above which a small-norm class is flagged (default 2) @return this */
        public Builder optAnomalyThreshold(double v) {
            anomalyThreshold = v;
            return this;
        }

        /**
         * @param v what to do when no class is flagged (default {@link NoFlagPolicy#FAIL}: no backdoor found,
         *     a {@link NoTargetFlaggedException} carrying the report)
         * @return this
         */
        public Builder optNoFlagPolicy(NoFlagPolicy v) {
            noFlagPolicy = v;
            return this;
        }

        /**
         * Restricts the mask to a region: the optimised mask is multiplied by it, so pixels outside
         * stay clean. For a ViT, one patch's pixels invert a trigger for that token alone.
         *
         * @param support {@code H × W} values, 1 where the mask may be non-zero and 0 elsewhere (at
         *     least one 1); {@code null} for the whole input (default)
         * @return this
         */
        public Builder optMaskSupport(float[] support) {
            if (support != null) {
                boolean any = false;
                for (float v : support) {
                    if (v != 0f && v != 1f) {
                        throw new IllegalArgumentException("the mask support holds only 0 and 1, found " + v);
                    }
                    any |= v == 1f;
                }
                if (!any) {
                    throw new IllegalArgumentException("the mask support is empty: no pixel may carry the trigger");
                }
            }
            maskSupport = support == null ? null : support.clone();
            return this;
        }

        /** @return the configured inversion */
        public TriggerInversion build() {
            positive("max rounds", maxRounds);
            positive("batches per round", batchesPerRound);
            positive("batch size", batchSize);
            positive("patience", patience);
            positive("early-stop patience", earlyStopPatience);
            positive("classes per pass", classesPerPass);
            positive("stacked inputs", maxStackedInputs);
            positive("evaluation samples", evaluationSamples);
            if (!(learningRate > 0) || !(initialCost > 0)) {
                throw new IllegalArgumentException("learning rate and initial cost must be > 0, got "
                        + learningRate + ", " + initialCost);
            }
            if (!(costUp > 1) || !(costDown > 1)) {
                throw new IllegalArgumentException("cost multipliers must be > 1, got " + costUp + ", " + costDown);
            }
            if (!(successThreshold > 0 && successThreshold <= 1)) {
                throw new IllegalArgumentException("success threshold must lie in (0, 1], got " + successThreshold);
            }
            if (!(patternHigh > patternLow) || !Double.isFinite(patternLow) || !Double.isFinite(patternHigh)) {
                throw new IllegalArgumentException("pattern range must be finite with high > low, got ["
                        + patternLow + ", " + patternHigh + "]");
            }
            if (!(initialMask > 0 && initialMask < 1)) {
                throw new IllegalArgumentException("initial mask must lie in (0, 1), got " + initialMask);
            }
            if (!(initNoise >= 0) || !Double.isFinite(initNoise)) {
                throw new IllegalArgumentException("initial noise must be finite and >= 0, got " + initNoise);
            }
            if (!(anomalyThreshold >= 0)) {
                throw new IllegalArgumentException("anomaly threshold must be >= 0, got " + anomalyThreshold);
            }
            if (noFlagPolicy == null) {
                throw new IllegalArgumentException("a no-flag policy is required");
            }
            return new TriggerInversion(this);
        }

        private static void positive(String what, int v) {
            if (v <= 0) {
                throw new IllegalArgumentException(what + " must be positive, got " + v);
            }
        }
    }
}
