package org.atpatch.examples.reproduce;

import ai.djl.Model;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.atpatch.djl.Predictions;
import org.atpatch.core.Metrics;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.atpatch.djl.model.SwinTransformer;
import org.atpatch.djl.testing.CropFlipAugmentation;
import org.atpatch.djl.testing.VictimTrainer;
import org.atpatch.examples.attack.Attack;
import org.atpatch.examples.attack.CleanLabelHiddenTrigger;
import org.atpatch.examples.attack.FeatureCollision;
import org.atpatch.examples.attack.HiddenTrigger;
import org.atpatch.examples.attack.TrojanTrigger;
import org.atpatch.examples.data.VictimCache;

/**
 * A backdoored image victim: the {@link ImageFamily} of the configuration's dataset trained on the
 * attack's poisoned training images, with the attack. BadNets and Hidden victims are trained from
 * scratch on poisoned data; a Trojan victim is first trained clean, then its trigger is optimised on
 * the clean model ({@link TrojanTrigger#optimise}, on the first 512 training images) and the model is
 * fine-tuned on data poisoned with it ({@link TrojanTrigger#fineTune}); a clean-label Hidden victim is
 * the same clean model fine-tuned, with Trojan's schedule, on the training set in which
 * {@link FeatureCollision} has made some target-class images into poisons
 * ({@link CleanLabelHiddenTrigger#plant}; the poison rate is then the share of the target class's
 * images made into poisons). Training from scratch may
 * augment each batch with random crops and flips ({@link Settings#augmentation}, the usual CIFAR
 * recipe, applied after poisoning, so a stamped trigger moves with its image); fine-tuning never
 * does. Weights are kept in the
 * {@link VictimCache} under a hash of the whole configuration: architecture fingerprint, training data
 * (size and a hash of its labels), the attack's fingerprint (for Trojan, of the optimised pattern),
 * poisoning rate, seed and schedule; the clean Trojan model is cached on its own. Closing the victim
 * closes the model.
 */
public final class ImageVictim implements AutoCloseable {

    /** Default share of the non-target training images poisoned. */
    public static final double POISON_RATE = 0.1;

    /**
     * The attacker's choices besides the trigger's kind: how much of the training data is poisoned,
     * how strongly Hidden blends and what the clean-label Hidden fine-tunes. Each enters the victim's
     * cache key where its attack uses it.
     *
     * @param poisonRate share of the non-target training images poisoned (BadNets, Hidden, Trojan's
     *     fine-tuning), or of the target class's images made into poisons (clean-label Hidden), in {@code (0, 1)}
     * @param hiddenAlpha α of Hidden, the patch-shaped Hidden and the clean-label Hidden (see {@code
     *     BackdoorConfig.fixedAttack}), in {@code (0, 1]}
     * @param cleanLabelFineTuning what the clean-label Hidden fine-tunes (the other attacks ignore it)
     */
    public record AttackSettings(double poisonRate, double hiddenAlpha, CleanLabelHiddenTrigger.FineTuning cleanLabelFineTuning) {
        /** The defaults: {@value ImageVictim#POISON_RATE}, {@link HiddenTrigger#DEFAULT_ALPHA} and the whole model. */
        public static final AttackSettings DEFAULT = new AttackSettings(POISON_RATE, HiddenTrigger.DEFAULT_ALPHA);

        /** Checks the values. */
        public AttackSettings {
            if (!(poisonRate > 0 && poisonRate < 1)) {
                throw new IllegalArgumentException("poison rate must lie in (0, 1), got " + poisonRate);
            }
            if (!(hiddenAlpha > 0 && hiddenAlpha <= 1)) {
                throw new IllegalArgumentException("Hidden's alpha must lie in (0, 1], got " + hiddenAlpha);
            }
            java.util.Objects.requireNonNull(cleanLabelFineTuning, "cleanLabelFineTuning");
        }

        /**
         * @param poisonRate the poison rate
         * @param hiddenAlpha the Hidden triggers' α
         */
        public AttackSettings(double poisonRate, double hiddenAlpha) {
            this(poisonRate, hiddenAlpha, CleanLabelHiddenTrigger.FineTuning.WHOLE_MODEL);
        }
    }

    private final InterceptableTransformer block;
    private final Model model;
    private final Attack attack;
    private final boolean cached;
    private final double trainSeconds;

    private ImageVictim(InterceptableTransformer block, Model model, Attack attack, boolean cached, double trainSeconds) {
        this.block = block;
        this.model = model;
        this.attack = attack;
        this.cached = cached;
        this.trainSeconds = trainSeconds;
    }

    /**
     * The training schedule.
     *
     * @param epochs epochs from scratch (the clean model's, for Trojan)
     * @param fineTuneEpochs Trojan's fine-tuning epochs (at a quarter of the learning rate)
     * @param batch batch size
     * @param lr peak AdamW learning rate
     * @param seed seed of the poisoning draw and the training
     * @param augmentation crop/flip applied to every training batch from scratch (BadNets and Hidden
     *     victims, the clean Trojan model; never Trojan's fine-tuning), or null for none
     */
    public record Settings(int epochs, int fineTuneEpochs, int batch, float lr, long seed,
            CropFlipAugmentation augmentation) {
        /** Checks the values. */
        public Settings {
            if (epochs <= 0 || fineTuneEpochs <= 0 || batch <= 0 || !(lr > 0)) {
                throw new IllegalArgumentException("epochs, fine-tuning epochs, batch and learning rate must be positive, got "
                        + epochs + ", " + fineTuneEpochs + ", " + batch + ", " + lr);
            }
        }

        /** Trojan's fine-tuning epochs unless set. */
        public static final int FINE_TUNE_EPOCHS = 2;

        /**
         * @param epochs epochs from scratch
         * @param seed the seed
         * @return those with {@value #FINE_TUNE_EPOCHS} fine-tuning epochs, batch 128 and lr 2e-3
         */
        public static Settings of(int epochs, long seed) {
            return new Settings(epochs, FINE_TUNE_EPOCHS, 128, 2e-3f, seed, null);
        }

        /**
         * @param fineTuneEpochs Trojan's fine-tuning epochs (they enter the Trojan victim's cache key)
         * @return these settings with them
         */
        public Settings withFineTuneEpochs(int fineTuneEpochs) {
            return new Settings(epochs, fineTuneEpochs, batch, lr, seed, augmentation);
        }

        /**
         * @param a the augmentation, or null for none
         * @return these settings with it
         */
        public Settings withAugmentation(CropFlipAugmentation a) {
            return new Settings(epochs, fineTuneEpochs, batch, lr, seed, a);
        }

        String key() {
            return "epochs=" + epochs + "|batch=" + batch + "|lr=" + lr + "|seed=" + seed + "|trainer=VictimTrainer defaults"
                    + (augmentation == null ? "" : "|augment=" + augmentation.key());
        }
    }

    /**
     * Why a configuration's victim cannot be built, if it cannot.
     *
     * @param config the configuration
     * @return the reason, or null when it can
     */
    public static String unsupportedReason(BackdoorConfig config) {
        ImageFamily family = ImageFamily.forDataset(config.dataset());
        InterceptableTransformer block = family.build();
        if ((config.isTrojan() || config.isCleanLabel()) && !AttentionLayers.of(block).hasTokenStatePoints()
                && !(block instanceof SwinTransformer)) {
            return "the " + (config.isTrojan() ? "Trojan trigger search" : "clean-label poison crafting") + " needs hidden"
                    + " units (HiddenUnits.deepest): " + family + " has neither token-state points nor a Swin's pooled features";
        }
        return null;
    }

    /**
     * Trains (or loads) the victim of a configuration.
     *
     * @param config the configuration
     * @param data its splits (the training images are used)
     * @param s the schedule
     * @param cache the victim cache folder
     * @return the victim
     * @throws IOException when the cache cannot be written
     * @throws UnsupportedOperationException when {@link #unsupportedReason} gives a reason
     */
    public static ImageVictim trainOrLoad(BackdoorConfig config, ImageSplits data, Settings s, Path cache)
            throws IOException {
        return trainOrLoad(config, data, s, AttackSettings.DEFAULT, cache);
    }

    /**
     * Trains (or loads) the victim of a configuration, with the attacker's poison rate and Hidden's
     * blending ratio given.
     *
     * @param config the configuration
     * @param data its splits (the training images are used)
     * @param s the schedule
     * @param strength the poison rate and Hidden's α
     * @param cache the victim cache folder
     * @return the victim
     * @throws IOException when the cache cannot be written
     * @throws UnsupportedOperationException when {@link #unsupportedReason} gives a reason
     */
    public static ImageVictim trainOrLoad(BackdoorConfig config, ImageSplits data, Settings s, AttackSettings strength,
            Path cache) throws IOException {
        String reason = unsupportedReason(config);
        if (reason != null) {
            throw new UnsupportedOperationException(config.name() + ": " + reason);
        }
        ImageFamily family = ImageFamily.forDataset(config.dataset());
        InterceptableTransformer block = family.build();
        Model model = Model.newInstance(config.name());
        try {
            model.setBlock(block);
            VictimTrainer.initialize(model, family.sampleShape(), s.seed());
            LabelledData train = data.train();
            VictimCache victims = new VictimCache(cache);
            String base = baseKey(block, config, train, s);
            long t0 = System.nanoTime();
            Attack attack;
            boolean cached;
            if (config.isTrojan()) {
                trainOrLoadClean(victims, model, base, train, s);
                TrojanTrigger trojan = TrojanTrigger.optimise(model, train.range(0, Math.min(512, train.size())),
                        config.trojanOptions(s.seed()));
                attack = trojan;
                // Fine-tuning never augments: crops and flips move the small optimised patch off its place,
                // and a short fine-tuning on such data leaves the backdoor mostly unlearnt (docs/reproduce.md).
                VictimTrainer fineTune = trainer(s.withAugmentation(null), s.fineTuneEpochs(), s.lr() / 4);
                double rate = strength.poisonRate();
                cached = victims.trainOrLoad(model, base + "|" + trojan.fingerprint() + "|rate=" + rate
                        + "|fineTune=" + s.fineTuneEpochs(), () -> trojan.fineTune(model, train, rate, s.seed(), fineTune));
            } else if (config.isCleanLabel()) {
                trainOrLoadClean(victims, model, base, train, s);
                CleanLabelHiddenTrigger hidden = (CleanLabelHiddenTrigger) config.fixedAttack(family.sampleShape(), s.seed(),
                        strength.hiddenAlpha());
                attack = hidden;
                FeatureCollision.Options crafting = FeatureCollision.Options.of(strength.poisonRate(), s.seed());
                VictimTrainer fineTune = trainer(s.withAugmentation(null), s.fineTuneEpochs(), s.lr() / 4);
                CleanLabelHiddenTrigger.FineTuning scope = strength.cleanLabelFineTuning();
                cached = victims.trainOrLoad(model, base + "|" + hidden.fingerprint() + "|" + crafting.key() + "|fineTune="
                        + s.fineTuneEpochs() + (scope == CleanLabelHiddenTrigger.FineTuning.HEAD ? "|head" : ""),
                        () -> hidden.plant(model, train, crafting, scope, fineTune));
            } else {
                attack = config.fixedAttack(family.sampleShape(), s.seed(), strength.hiddenAlpha());
                Attack a = attack;
                double rate = strength.poisonRate();
                cached = victims.trainOrLoad(model, base + "|" + attack.fingerprint() + "|rate=" + rate,
                        () -> trainer(s, s.epochs(), s.lr()).fit(model, a.poison(train, rate, s.seed())));
            }
            return new ImageVictim(block, model, attack, cached, (System.nanoTime() - t0) / 1e9);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * The clean model of a configuration's dataset: the same family, data and schedule trained without
     * an attack, as the Trojan victim's starting point is (it shares that cache entry, so a Trojan run
     * and a clean reference train it once). The harness's bar for an attack compares the attacked
     * victim's clean accuracy with this model's.
     *
     * @param config the configuration (only its dataset matters)
     * @param data its splits (trained on the training images, scored on the evaluation images)
     * @param s the schedule
     * @param cache the victim cache folder
     * @return the clean model's accuracy on the evaluation images, and whether it came from the cache
     * @throws IOException when the cache cannot be written
     */
    public static CleanModel cleanModel(BackdoorConfig config, ImageSplits data, Settings s, Path cache) throws IOException {
        long t0 = System.nanoTime();
        try (Opened opened = openCleanModel(config, data, s, cache)) {
            double seconds = (System.nanoTime() - t0) / 1e9;
            LabelledData eval = data.eval();
            return new CleanModel(Metrics.accuracy(Predictions.classes(opened.model(), eval, 256), eval.labels()),
                    opened.cached(), seconds);
        }
    }

    /**
     * The clean model of {@link #cleanModel}, trained or loaded and left open.
     *
     * @param config the configuration (only its dataset matters)
     * @param data its splits
     * @param s the schedule
     * @param cache the victim cache folder
     * @return the open model (close it) and whether it came from the cache
     * @throws IOException when the cache cannot be written
     */
    public static Opened openCleanModel(BackdoorConfig config, ImageSplits data, Settings s, Path cache) throws IOException {
        ImageFamily family = ImageFamily.forDataset(config.dataset());
        InterceptableTransformer block = family.build();
        Model model = Model.newInstance(config.dataset() + "-clean");
        try {
            model.setBlock(block);
            VictimTrainer.initialize(model, family.sampleShape(), s.seed());
            LabelledData train = data.train();
            boolean cached = trainOrLoadClean(new VictimCache(cache), model, baseKey(block, config, train, s), train, s);
            return new Opened(model, cached);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * An open clean model.
     *
     * @param model the model (closed with this)
     * @param cached whether its weights came from the cache
     */
    public record Opened(Model model, boolean cached) implements AutoCloseable {
        @Override
        public void close() {
            model.close();
        }
    }

    /**
     * A dataset's clean model, measured.
     *
     * @param accuracy its accuracy on the evaluation images
     * @param cached whether its weights came from the cache
     * @param trainSeconds seconds spent training or loading it
     */
    public record CleanModel(double accuracy, boolean cached, double trainSeconds) {}

    /** The clean model under {@code base}: one cache entry for the Trojan's starting point and {@link #cleanModel}. */
    private static boolean trainOrLoadClean(VictimCache victims, Model model, String base, LabelledData train, Settings s)
            throws IOException {
        return victims.trainOrLoad(model, base + "|clean", () -> trainer(s, s.epochs(), s.lr()).fit(model, train));
    }

    /** The cache key of the victim's architecture, training data and schedule, before its attack. */
    private static String baseKey(InterceptableTransformer block, BackdoorConfig config, LabelledData train, Settings s) {
        return block.fingerprint() + "|data=" + config.dataset() + ":" + train.size() + "#"
                + VictimCache.hash(Arrays.toString(train.labels())).substring(0, 16) + "|" + s.key()
                + VictimTrainer.SEEDED_INIT_KEY;
    }

    private static VictimTrainer trainer(Settings s, int epochs, float lr) {
        return VictimTrainer.builder().optEpochs(epochs).optBatchSize(s.batch()).optLearningRate(lr).optSeed(s.seed())
                .optAugmentation(s.augmentation()).optProgress(false).build();
    }

    /** @return the model block */
    public InterceptableTransformer block() {
        return block;
    }

    /** @return the trained model */
    public Model model() {
        return model;
    }

    /** @return the attack (for Trojan, with the optimised pattern) */
    public Attack attack() {
        return attack;
    }

    /** @return whether the final weights came from the cache */
    public boolean cached() {
        return cached;
    }

    /** @return seconds spent training or loading (Trojan: with the trigger search) */
    public double trainSeconds() {
        return trainSeconds;
    }

    /**
     * @param eval clean evaluation images
     * @return clean accuracy
     */
    public double accuracy(LabelledData eval) {
        return Metrics.accuracy(Predictions.classes(model, eval, 256), eval.labels());
    }

    @Override
    public void close() {
        model.close();
    }
}
