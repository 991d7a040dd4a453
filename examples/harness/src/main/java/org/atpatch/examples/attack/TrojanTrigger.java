package org.atpatch.examples.attack;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.testing.VictimTrainer;

/**
 * The Trojaning attack (Liu et al., NDSS 2018) as §4.1.4 describes it: a patch trigger whose pattern
 * is optimised by gradient on the <em>clean</em> model to excite chosen hidden units ({@link
 * #optimise}), then a backdoor planted by fine-tuning that model on data poisoned with it ({@link
 * #fineTune}), rather than training from scratch as BadNets does.
 *
 * <p>The hidden units are those of the model's hidden states entering a layer (by default the last),
 * averaged over tokens ({@link TokenStateProbe}): the deepest representation every family with
 * token-state points exposes without a new hook; for Swin, which has none, the pooled features its
 * head reads ({@link SwinFeatureProbe}; see {@link HiddenUnits#deepest}). Liu et al. pick the neurons most strongly connected
 * to the previous layer, i.e. the ones the input moves most easily; on a residual stream, whose units
 * mix many layers' weights, we pick the data-driven counterpart: the units whose activation varies most
 * (largest standard deviation) over the clean sample, which also skips units held at a constant offset
 * by biases and position embeddings. The search maximises their mean activation (Liu et al. drive
 * them to a large set value; maximising needs no scale, and the pattern, confined to {@code [0, 1]},
 * keeps it bounded).
 */
public final class TrojanTrigger implements Attack {

    private final SquarePatch square;
    private final int channels;
    private final float[] pattern;
    private final int target;
    private final int layer;
    private final int[] units;

    /**
     * A trigger with a given pattern (for instance one loaded back from a file).
     *
     * @param square where the patch goes
     * @param channels image channels
     * @param pattern the patch values {@code (channels, size, size)} row-major, in {@code [0, 1]}
     * @param target the target class
     */
    public TrojanTrigger(SquarePatch square, int channels, float[] pattern, int target) {
        this(square, channels, pattern, target, -1, new int[0]);
    }

    TrojanTrigger(SquarePatch square, int channels, float[] pattern, int target, int layer, int[] units) {
        if (channels <= 0) {
            throw new IllegalArgumentException("channels must be positive, got " + channels);
        }
        int expected = channels * square.size() * square.size();
        if (pattern.length != expected) {
            throw new IllegalArgumentException("pattern holds " + pattern.length + " values, a " + channels + "-channel "
                    + square.size() + "x" + square.size() + " patch needs " + expected);
        }
        this.square = square;
        this.channels = channels;
        this.pattern = PatternDigest.requireUnitRange(pattern.clone(), "pattern");
        this.target = Attack.requireTarget(target);
        this.layer = layer;
        this.units = units.clone();
    }

    /**
     * Optimises a trigger on a clean model: from {@link #startingPoint}, Adam on the raw pattern
     * maximises the chosen units' mean activation over batches of {@code sample} stamped with it. The
     * model is not changed.
     *
     * @param cleanModel the clean, initialised model; its block needs token-state points or must be a Swin
     * @param sample clean images to optimise over (labels unused)
     * @param options the search settings
     * @return the optimised trigger, with the layer and units it excites
     */
    public static TrojanTrigger optimise(Model cleanModel, LabelledData sample, TrojanOptions options) {
        return new TrojanSearch(cleanModel, sample, options).run();
    }

    /**
     * The trigger the search starts from: uniform noise in {@code [0.05, 0.95]} drawn by {@code new
     * Random(options.seed())}, at the options' square.
     *
     * @param sampleShape the images' shape {@code (C, H, W)}
     * @param options the search settings
     * @return the random trigger
     */
    public static TrojanTrigger startingPoint(Shape sampleShape, TrojanOptions options) {
        ImageShape image = ImageShape.of(sampleShape);
        SquarePatch square = options.square(image);
        float[] p = new float[image.channels() * square.size() * square.size()];
        Random random = new Random(options.seed());
        for (int i = 0; i < p.length; i++) {
            p[i] = 0.05f + 0.9f * random.nextFloat(); // away from 0 and 1, where the tanh parameterisation is flat
        }
        return new TrojanTrigger(square, image.channels(), p, options.target());
    }

    /**
     * Plants the backdoor: fine-tunes the (clean) model in place on {@code train} poisoned with this
     * trigger. Give the trainer fewer epochs and a lower learning rate than training from scratch
     * (e.g. 2 epochs at 5e-4) so the clean accuracy is kept.
     *
     * @param cleanModel the clean model, trained; its weights are the starting point and are overwritten
     * @param train clean training data
     * @param rate the fraction of non-target samples poisoned, in {@code (0, 1)}
     * @param seed the seed of the poisoning draw
     * @param trainer the fine-tuning schedule
     * @return the mean loss of the last epoch
     */
    public float fineTune(Model cleanModel, LabelledData train, double rate, long seed, VictimTrainer trainer) {
        return trainer.fit(cleanModel, poison(train, rate, seed));
    }

    @Override
    public String name() {
        return "Trojan";
    }

    @Override
    public int target() {
        return target;
    }

    /** @return where the patch goes */
    public SquarePatch square() {
        return square;
    }

    /** @return a copy of the patch values {@code (channels, size, size)} */
    public float[] pattern() {
        return pattern.clone();
    }

    /**
     * @return the token-state layer the pattern was optimised on (the depth for a Swin's pooled
     *     features), or -1 when the pattern was given
     */
    public int layer() {
        return layer;
    }

    /** @return the units the pattern was optimised to excite (empty when the pattern was given) */
    public int[] units() {
        return units.clone();
    }

    @Override
    public LabelledData applyTrigger(LabelledData clean) {
        int c = ImageShape.of(clean.sampleShape()).channels();
        if (c != channels) {
            throw new IllegalArgumentException("trigger made for " + channels + "-channel images, got " + clean.sampleShape());
        }
        int s = square.size();
        return square.stamp(clean, (ch, dr, dc) -> pattern[(ch * s + dr) * s + dc]);
    }

    @Override
    public String fingerprint() {
        return "Trojan(row=" + square.row() + ",col=" + square.col() + ",size=" + square.size() + ",channels=" + channels
                + ",pattern=" + PatternDigest.of(pattern) + ",layer=" + layer + ",units=" + Arrays.toString(units)
                + ",target=" + target + ")";
    }
}
