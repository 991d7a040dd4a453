package org.atpatch.examples.scenario;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.atpatch.core.Metrics;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.testing.VictimTrainer;
import org.atpatch.examples.attack.Attack;
import org.atpatch.examples.attack.RealTrigger;
import org.atpatch.examples.data.VictimCache;
import org.atpatch.examples.reproduce.OverAttention;
import org.atpatch.examples.reproduce.PatchedCounts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The attacker's side of a backdoor scenario: a small ViT (28 × 28 grey images, patch 4, depth 2,
 * width 64, 4 heads, 10 classes) trained on images poisoned with a trigger (10 % poison rate unless
 * given; rate 0 trains a clean model of the same family), cached by a hash of its configuration,
 * and the measures a defence is judged by: clean accuracy, attack success rate on triggered
 * non-target images, and the ASR floor (clean non-target images the victim already calls the
 * target). Knows the trigger; a defence must never be shown it. Close it to free the model. Not
 * thread-safe.
 */
public final class BackdoorVictim implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BackdoorVictim.class);
    private static final int BATCH = 256;

    private final Model model;
    private final VisionTransformer vit;
    private final Attack trigger;
    private final double poisonRate;
    private final LabelledData eval;
    private final LabelledData cleanNonTarget;
    private final LabelledData triggered;
    private final double accBefore;
    private final double asrBefore;
    private final double asrFloor;

    /**
     * Trains (or loads from the cache) the victim at a 10 % poison rate and measures it.
     *
     * @param name a name for logs and the cache key
     * @param train training images (clean; poisoned here)
     * @param eval held-out evaluation images
     * @param trigger the attack
     * @param epochs victim training epochs
     * @param seed the seed of initialisation, poisoning and training
     * @param cache the victim cache folder
     * @throws IOException when the cache cannot be read or written
     */
    public BackdoorVictim(String name, LabelledData train, LabelledData eval, Attack trigger, int epochs, long seed,
            Path cache) throws IOException {
        this(name, train, eval, trigger, 0.1, epochs, seed, cache);
    }

    /**
     * Trains (or loads from the cache) the victim and measures it.
     *
     * @param name a name for logs and the cache key
     * @param train training images (clean; poisoned here)
     * @param eval held-out evaluation images
     * @param trigger the attack; with {@code poisonRate} 0 only its measures use it (the model is clean)
     * @param poisonRate the share of non-target training images poisoned, in {@code [0, 1)}; 0 trains on
     *     clean data
     * @param epochs victim training epochs
     * @param seed the seed of initialisation, poisoning and training
     * @param cache the victim cache folder
     * @throws IOException when the cache cannot be read or written
     */
    public BackdoorVictim(String name, LabelledData train, LabelledData eval, Attack trigger, double poisonRate,
            int epochs, long seed, Path cache) throws IOException {
        if (!(poisonRate >= 0 && poisonRate < 1)) {
            throw new IllegalArgumentException("poison rate must lie in [0, 1), got " + poisonRate);
        }
        this.poisonRate = poisonRate;
        this.trigger = trigger;
        this.eval = eval;
        this.cleanNonTarget = trigger.nonTarget(eval);
        this.triggered = trigger.applyTrigger(cleanNonTarget);
        this.vit = VisionTransformer.builder()
                .setImageSize(28).setPatchSize(4).setDepth(2).setWidth(64).setHeads(4).optMlpRatio(2).setClasses(10)
                .build();
        this.model = Model.newInstance(name);
        boolean ok = false;
        try {
            model.setBlock(vit);
            VictimTrainer.initialize(model, new Shape(1, 28, 28), seed);
            VictimTrainer trainer = VictimTrainer.builder().optEpochs(epochs).optSeed(seed).build();
            String config = vit.fingerprint() + "|" + name + "|train=" + train.size() + "#"
                    + VictimCache.hash(Arrays.toString(train.labels())).substring(0, 12) + "|" + trigger.fingerprint()
                    + "|rate=" + poisonRate + "|epochs=" + epochs + "|seed=" + seed + VictimTrainer.SEEDED_INIT_KEY;
            new VictimCache(cache).trainOrLoad(model, config, () -> trainer.fit(model,
                    poisonRate == 0 ? train : trigger.poison(train, poisonRate, seed)));
            accBefore = Metrics.accuracy(Predictions.classes(model, eval, BATCH), eval.labels());
            asrBefore = Metrics.attackSuccessRate(Predictions.classes(model, triggered, BATCH), triggered.labels(),
                    trigger.target());
            asrFloor = Metrics.attackSuccessRate(Predictions.classes(model, cleanNonTarget, BATCH),
                    cleanNonTarget.labels(), trigger.target());
            LOG.info("{}: victim clean accuracy {}, attack success rate {} (clean non-target images classified as the"
                    + " target: {})", name, pct(accBefore), pct(asrBefore), pct(asrFloor));
            ok = true;
        } finally {
            if (!ok) {
                model.close();
            }
        }
    }

    /**
     * Clean accuracy and attack success rate through a patched model, with the share of clean and of
     * triggered inputs it patched.
     *
     * @param patched the patched model
     * @return the evaluation
     */
    public Evaluation evaluate(PatchedModel patched) {
        PatchedCounts clean = PatchedCounts.of(patched, eval, BATCH);
        Triggered t = triggered(patched, trigger);
        return new Evaluation(clean.accuracy(), t.asr(), clean.patchedShare(), clean.accuracyOnPatched(), t.patchedShare());
    }

    /**
     * The attack success rate through a patched model of a trigger stamped on the clean non-target
     * evaluation images (the backdoor's own, or an attacker's re-optimised one), and the share of them
     * it patched.
     *
     * @param patched the patched model
     * @param attack the trigger; its target must be this victim's
     * @return the outcome
     * @throws IllegalArgumentException when the attack aims at another class
     */
    public Triggered triggered(PatchedModel patched, Attack attack) {
        LabelledData stamped = triggeredBy(attack);
        double asr = Metrics.attackSuccessRate(Predictions.classes(patched, stamped, BATCH), stamped.labels(),
                trigger.target());
        return new Triggered(asr, PatchedCounts.of(patched, stamped, BATCH).patchedShare());
    }

    /**
     * @param attack a trigger aimed at this victim's target
     * @return its attack success rate on the unpatched victim
     */
    public double asrBefore(Attack attack) {
        LabelledData t = triggeredBy(attack);
        return Metrics.attackSuccessRate(Predictions.classes(model, t, BATCH), t.labels(), trigger.target());
    }

    private LabelledData triggeredBy(Attack attack) {
        if (attack.target() != trigger.target()) {
            throw new IllegalArgumentException("the attack aims at class " + attack.target() + ", the victim's backdoor at "
                    + trigger.target());
        }
        return attack == trigger ? triggered : attack.applyTrigger(cleanNonTarget);
    }

    /**
     * @param asr attack success rate of the triggered inputs (true label not the target)
     * @param patchedShare share of them that were patched
     */
    public record Triggered(double asr, double patchedShare) {}

    /**
     * @param acc clean accuracy
     * @param asr attack success rate
     * @param cleanFlagged share of clean inputs that were patched
     * @param accOnFlagged accuracy on those (NaN when none)
     * @param triggeredFlagged share of the triggered inputs (true label not the target) that were patched
     */
    public record Evaluation(double acc, double asr, double cleanFlagged, double accOnFlagged, double triggeredFlagged) {}

    /** @return the victim */
    public Model model() {
        return model;
    }

    /** @return the victim's architecture, for its token layout */
    public VisionTransformer vit() {
        return vit;
    }

    /** @return the attack */
    public Attack trigger() {
        return trigger;
    }

    /** @return the share of non-target training images poisoned (0: a clean model) */
    public double poisonRate() {
        return poisonRate;
    }

    /** @return clean accuracy of the unpatched victim */
    public double accBefore() {
        return accBefore;
    }

    /** @return attack success rate of the unpatched victim */
    public double asrBefore() {
        return asrBefore;
    }

    /**
     * @return the share of clean (untriggered) non-target evaluation images the victim classifies as
     *     the target: the attack success rate of a patch that gave every triggered input exactly its
     *     clean prediction (a patch can only go below it by also changing predictions the victim gets
     *     wrong without a trigger)
     */
    public double asrFloor() {
        return asrFloor;
    }

    /**
     * How much attention the real trigger's columns draw on triggered evaluation images against their
     * clean copies, per layer and head ({@link OverAttention}): the over-attention AtPatch needs to see.
     * A clean model is measured with the trigger it was not trained on.
     *
     * @param inputs how many triggered non-target evaluation images to read (the first ones), at least 1
     * @return the measurement
     */
    public OverAttention overAttention(int inputs) {
        if (inputs < 1) {
            throw new IllegalArgumentException("over-attention needs at least one input, got " + inputs);
        }
        int k = Math.min(inputs, triggered.size());
        List<float[]> anomalous = IntStream.range(0, k).mapToObj(triggered::sample).toList();
        List<float[]> clean = IntStream.range(0, k).mapToObj(cleanNonTarget::sample).toList();
        int[] columns = RealTrigger.columns(RealTrigger.of(trigger, eval.sampleShape()), vit.tokenLayout());
        return OverAttention.measure(model, anomalous, clean, eval.sampleShape(), columns, true, BATCH);
    }

    /**
     * @param v a share in [0, 1]
     * @return it as a percentage with two decimals, e.g. {@code 81.00%}
     */
    public static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    @Override
    public void close() {
        model.close();
    }
}
