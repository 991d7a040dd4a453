package org.atpatch.examples.attack;

import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.atpatch.djl.LabelledData;

/**
 * The paper's "Hidden" attack as §4.1.4 describes it: a low-contrast, semi-transparent pattern
 * superimposed on the whole image, {@code x′ = clip((1 − α)·x + α·P, 0, 1)}, with a fixed pattern
 * {@code P} (by default uniform noise in {@code [0, 1]} from a seed). This is the blended-injection
 * trigger of Chen et al. (2017) with dirty-label poisoning; it does not reproduce Saha et al.'s
 * clean-label feature-collision poisoning, which the paper cites but does not describe using.
 *
 * <p>The default {@code α = 0.2} is Chen et al.'s blending ratio for a random-noise pattern: faint
 * enough to be hard to see, strong enough to be learned from a 10 % poisoning rate. A smaller α is
 * stealthier but learned more slowly; the paper calibrates each attack to an ASR above 95 %.
 */
public final class HiddenTrigger implements Attack {

    /** The default blending ratio α. */
    public static final double DEFAULT_ALPHA = 0.2;

    private final float[] pattern;
    private final ImageShape image;
    private final double alpha;
    private final int target;
    private final String patternName;

    /**
     * A trigger with a given pattern.
     *
     * @param pattern the pattern {@code P}, one sample's values {@code (C, H, W)} row-major, in {@code [0, 1]}
     * @param sampleShape the images' shape {@code (C, H, W)}
     * @param alpha the blending ratio, in {@code (0, 1]}
     * @param target the target class
     */
    public HiddenTrigger(float[] pattern, Shape sampleShape, double alpha, int target) {
        this(pattern, sampleShape, alpha, target, null);
    }

    private HiddenTrigger(float[] pattern, Shape sampleShape, double alpha, int target, String patternName) {
        this.image = ImageShape.of(sampleShape);
        if (pattern.length != image.size()) {
            throw new IllegalArgumentException("pattern holds " + pattern.length + " values, images shaped " + sampleShape
                    + " need " + image.size());
        }
        if (!(alpha > 0 && alpha <= 1)) {
            throw new IllegalArgumentException("blending ratio alpha must lie in (0, 1], got " + alpha);
        }
        this.pattern = PatternDigest.requireUnitRange(pattern.clone(), "pattern");
        this.alpha = alpha;
        this.target = Attack.requireTarget(target);
        this.patternName = patternName != null ? patternName : PatternDigest.of(this.pattern);
    }

    /**
     * A trigger whose pattern is uniform noise in {@code [0, 1)}, drawn by {@code new Random(patternSeed)}.
     *
     * @param sampleShape the images' shape {@code (C, H, W)}
     * @param alpha the blending ratio, in {@code (0, 1]}
     * @param patternSeed the seed of the noise
     * @param target the target class
     * @return the trigger
     */
    public static HiddenTrigger noise(Shape sampleShape, double alpha, long patternSeed, int target) {
        float[] p = new float[ImageShape.of(sampleShape).size()];
        Random random = new Random(patternSeed);
        for (int i = 0; i < p.length; i++) {
            p[i] = random.nextFloat();
        }
        return new HiddenTrigger(p, sampleShape, alpha, target, "noise(seed=" + patternSeed + ")");
    }

    /**
     * A noise trigger with the {@linkplain #DEFAULT_ALPHA default α}.
     *
     * @param sampleShape the images' shape {@code (C, H, W)}
     * @param patternSeed the seed of the noise
     * @param target the target class
     * @return the trigger
     */
    public static HiddenTrigger noise(Shape sampleShape, long patternSeed, int target) {
        return noise(sampleShape, DEFAULT_ALPHA, patternSeed, target);
    }

    @Override
    public String name() {
        return "Hidden";
    }

    @Override
    public int target() {
        return target;
    }

    /** @return the blending ratio α */
    public double alpha() {
        return alpha;
    }

    /** @return a copy of the pattern {@code P} */
    public float[] pattern() {
        return pattern.clone();
    }

    @Override
    public LabelledData applyTrigger(LabelledData clean) {
        if (!ImageShape.of(clean.sampleShape()).equals(image)) {
            throw new IllegalArgumentException("trigger made for images shaped " + image.toShape() + ", got "
                    + clean.sampleShape());
        }
        float[] x = clean.inputs().clone();
        float keep = (float) (1 - alpha);
        float a = (float) alpha;
        int per = pattern.length;
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.min(1f, Math.max(0f, keep * x[i] + a * pattern[i % per]));
        }
        return new LabelledData(x, clean.labels().clone(), clean.sampleShape());
    }

    @Override
    public String fingerprint() {
        return "Hidden(alpha=" + alpha + ",pattern=" + patternName + ",shape=" + image.toShape() + ",target=" + target + ")";
    }
}
