package org.atpatch.examples.attack;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.List;
import java.util.Random;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.testing.VictimTrainer;

/**
 * Hidden as Saha et al. (AAAI 2020) define it: a localised, semi-transparent patch pasted at a random
 * position of each test image, {@code x′ = clip((1 − α)·x + α·P, 0, 1)} inside a {@code side × side}
 * square, with clean-label poisoning: the victim never sees the trigger in training. Instead some of
 * the target class's own training images are perturbed, within an L∞ ball of radius ε, until a clean
 * model's deep features of each lie near those of a patched image of another class
 * ({@link FeatureCollision}); they keep their correct (target) label, and the clean model is
 * fine-tuned on the training set holding them ({@link #plant}).
 *
 * <p>What is kept from Saha et al.: the random-position patch at test time, clean labels, feature
 * collision under an L∞ budget (their ε = 16/255), each poison paired with its nearest patched source
 * in feature space, fine-tuning from a clean model. What is changed: there is no pretrained network
 * offline, so the clean model is the same family trained on the clean training set; its feature space
 * is {@link HiddenUnits#deepest} (the states entering the last layer, averaged over tokens, or a Swin's
 * pooled features) where Saha et al. read AlexNet's fc7; the fine-tuning may take the whole model or,
 * as Saha et al.'s main setting does, the classifier head alone ({@link FineTuning}; a head-only
 * backdoor leaves every attention map as the clean model's); sources are every non-target class
 * (they attack one source class); pairing is nearest-neighbour within each step's batch of patched
 * sources, not a one-to-one assignment; the steps are signed gradient steps (PGD) rather than their
 * decayed plain gradient; and the patch is semi-transparent (α), as the AtPatch paper describes Hidden,
 * where Saha et al. paste an opaque one.
 *
 * <p>Positions: {@link #applyTrigger} places the patch on sample {@code i} of the data it is given at
 * a position drawn by {@code new Random(positionSeed · 1,000,003 + i)}, so the same data gets the same
 * positions on every call; {@link #stampRandomly} draws them from a caller's generator.
 * {@link #poison} is not supported: this attack's poisons depend on a model.
 *
 * <p>Immutable and thread-safe.
 */
public final class CleanLabelHiddenTrigger implements Attack {

    private final ImageShape image;
    private final float[] pattern;
    private final int side;
    private final double alpha;
    private final long positionSeed;
    private final int target;

    private CleanLabelHiddenTrigger(ImageShape image, float[] pattern, int side, double alpha, long positionSeed, int target) {
        this.image = image;
        this.pattern = pattern;
        this.side = side;
        this.alpha = alpha;
        this.positionSeed = positionSeed;
        this.target = Attack.requireTarget(target);
    }

    /**
     * A trigger whose patch is uniform noise in {@code [0, 1)} drawn by {@code new Random(seed)}; the
     * test positions are drawn from the same seed's own stream.
     *
     * @param sampleShape the images' shape {@code (C, H, W)}
     * @param side the patch's side in pixels, at least 1 and at most the image's smaller side
     * @param alpha the blending ratio inside the patch, in {@code (0, 1]}
     * @param seed the seed of the pattern and the positions
     * @param target the target class
     * @return the trigger
     * @throws IllegalArgumentException on a side or α out of range
     */
    public static CleanLabelHiddenTrigger noise(Shape sampleShape, int side, double alpha, long seed, int target) {
        ImageShape image = ImageShape.of(sampleShape);
        if (side < 1 || side > Math.min(image.height(), image.width())) {
            throw new IllegalArgumentException("the patch side must lie in [1, " + Math.min(image.height(), image.width())
                    + "] for images shaped " + sampleShape + ", got " + side);
        }
        if (!(alpha > 0 && alpha <= 1)) {
            throw new IllegalArgumentException("blending ratio alpha must lie in (0, 1], got " + alpha);
        }
        float[] p = new float[image.channels() * side * side];
        Random random = new Random(seed);
        for (int i = 0; i < p.length; i++) {
            p[i] = random.nextFloat();
        }
        return new CleanLabelHiddenTrigger(image, p, side, alpha, seed ^ SeededDraws.POSITION_STREAM, target);
    }

    @Override
    public String name() {
        return "Hidden (clean-label)";
    }

    @Override
    public int target() {
        return target;
    }

    /** @return the patch's side in pixels */
    public int side() {
        return side;
    }

    /** @return the blending ratio α inside the patch */
    public double alpha() {
        return alpha;
    }

    @Override
    public LabelledData applyTrigger(LabelledData clean) {
        requireImages(clean);
        float[] x = clean.inputs().clone();
        for (int i = 0; i < clean.size(); i++) {
            Random r = new Random(positionSeed * 1_000_003L + i);
            stamp(x, i, clean.sampleSize(), r);
        }
        return new LabelledData(x, clean.labels().clone(), clean.sampleShape());
    }

    /**
     * Stamps every sample at a position drawn from {@code random}, as the crafting's patched sources are.
     *
     * @param clean images {@code (C, H, W)} in {@code [0, 1]}
     * @param random where the positions come from
     * @return patched copies, labels kept
     */
    public LabelledData stampRandomly(LabelledData clean, Random random) {
        requireImages(clean);
        float[] x = clean.inputs().clone();
        for (int i = 0; i < clean.size(); i++) {
            stamp(x, i, clean.sampleSize(), random);
        }
        return new LabelledData(x, clean.labels().clone(), clean.sampleShape());
    }

    private void stamp(float[] x, int sample, int per, Random random) {
        int top = random.nextInt(image.height() - side + 1);
        int left = random.nextInt(image.width() - side + 1);
        float keep = (float) (1 - alpha);
        float a = (float) alpha;
        for (int ch = 0; ch < image.channels(); ch++) {
            for (int dr = 0; dr < side; dr++) {
                for (int dc = 0; dc < side; dc++) {
                    int i = sample * per + ch * image.plane() + (top + dr) * image.width() + left + dc;
                    x[i] = Math.min(1f, Math.max(0f, keep * x[i] + a * pattern[(ch * side + dr) * side + dc]));
                }
            }
        }
    }

    private void requireImages(LabelledData data) {
        if (!ImageShape.of(data.sampleShape()).equals(image)) {
            throw new IllegalArgumentException("trigger made for images shaped " + image.toShape() + ", got "
                    + data.sampleShape());
        }
    }

    /**
     * Not supported: clean-label poisons are crafted on a clean model ({@link #plant}).
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public LabelledData poison(LabelledData train, double rate, long seed) {
        throw new UnsupportedOperationException("the clean-label Hidden attack crafts its poisons on a clean model: use"
                + " CleanLabelHiddenTrigger.plant(cleanModel, train, options, trainer)");
    }

    /** What {@link #plant} fine-tunes. */
    public enum FineTuning {
        /** Every parameter. */
        WHOLE_MODEL,
        /** The classifier head alone ({@link ClassifierHead}), as in Saha et al.'s main setting. */
        HEAD;

        /** @return the lower-case name, e.g. {@code whole-model} */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * Plants the backdoor: crafts the poisons on the clean model ({@link FeatureCollision#craft}), puts
     * each in place of the target-class image it was made from (labels unchanged) and fine-tunes the
     * model in place on that training set.
     *
     * @param cleanModel the clean model, trained; its weights are the starting point and are overwritten
     * @param train clean training data
     * @param options the crafting settings
     * @param scope what is fine-tuned (the other parameters are frozen during the fine-tuning only)
     * @param trainer the fine-tuning schedule (fewer epochs and a lower learning rate than from scratch)
     * @return the mean loss of the last epoch
     */
    public float plant(Model cleanModel, LabelledData train, FeatureCollision.Options options, FineTuning scope,
            VictimTrainer trainer) {
        LabelledData poisoned = FeatureCollision.craft(cleanModel, train, this, options).trainingSet();
        List<Parameter> frozen = scope == FineTuning.HEAD ? ClassifierHead.freezeAllBut(cleanModel) : List.of();
        try {
            return trainer.fit(cleanModel, poisoned);
        } finally {
            ClassifierHead.unfreeze(frozen);
        }
    }

    @Override
    public String fingerprint() {
        return "HiddenCleanLabel(side=" + side + ",alpha=" + alpha + ",pattern=" + PatternDigest.of(pattern) + ",positions="
                + positionSeed + ",shape=" + image.toShape() + ",target=" + target + ")";
    }
}
