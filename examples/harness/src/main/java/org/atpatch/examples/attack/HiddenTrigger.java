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
 *
 * <p>{@link #noisePatch} confines the blend to a square: the same faint noise, but on a patch, as the
 * triggers of Saha et al.'s hidden-trigger attack (which the paper cites for Hidden) are patches.
 * Pixels outside the square are left exactly as they are.
 */
public final class HiddenTrigger implements Attack {

    /** The default blending ratio α. */
    public static final double DEFAULT_ALPHA = 0.2;

    private final float[] pattern;
    private final ImageShape image;
    private final double alpha;
    private final int target;
    private final String patternName;
    /** The blended square {@code (top, left, side)}, or null for the whole image. */
    private final int[] region;

    /**
     * A trigger with a given pattern.
     *
     * @param pattern the pattern {@code P}, one sample's values {@code (C, H, W)} row-major, in {@code [0, 1]}
     * @param sampleShape the images' shape {@code (C, H, W)}
     * @param alpha the blending ratio, in {@code (0, 1]}
     * @param target the target class
     */
    public HiddenTrigger(float[] pattern, Shape sampleShape, double alpha, int target) {
        this(pattern, sampleShape, alpha, target, null, null);
    }

    private HiddenTrigger(float[] pattern, Shape sampleShape, double alpha, int target, String patternName,
            int[] region) {
        this.image = ImageShape.of(sampleShape);
        if (region != null && (region[2] <= 0 || region[0] < 0 || region[1] < 0 || region[0] + region[2] > image.height()
                || region[1] + region[2] > image.width())) {
            throw new IllegalArgumentException("the blended square (top " + region[0] + ", left " + region[1] + ", side "
                    + region[2] + ") must lie inside the " + image.height() + " x " + image.width() + " image");
        }
        this.region = region;
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
        return new HiddenTrigger(noisePattern(sampleShape, patternSeed), sampleShape, alpha, target,
                "noise(seed=" + patternSeed + ")", null);
    }

    /**
     * The noise trigger of {@link #noise(Shape, double, long, int)} blended over one square only; the
     * other pixels are left as they are.
     *
     * @param sampleShape the images' shape {@code (C, H, W)}
     * @param alpha the blending ratio inside the square, in {@code (0, 1]}
     * @param top the square's first row
     * @param left the square's first column
     * @param side the square's side in pixels
     * @param patternSeed the seed of the noise
     * @param target the target class
     * @return the trigger
     * @throws IllegalArgumentException when the square does not lie inside the image
     */
    public static HiddenTrigger noisePatch(Shape sampleShape, double alpha, int top, int left, int side,
            long patternSeed, int target) {
        return new HiddenTrigger(noisePattern(sampleShape, patternSeed), sampleShape, alpha, target,
                "noise(seed=" + patternSeed + ")", new int[] {top, left, side});
    }

    /** Uniform noise in {@code [0, 1)} for one sample, drawn by {@code new Random(patternSeed)}. */
    private static float[] noisePattern(Shape sampleShape, long patternSeed) {
        float[] p = new float[ImageShape.of(sampleShape).size()];
        Random random = new Random(patternSeed);
        for (int i = 0; i < p.length; i++) {
            p[i] = random.nextFloat();
        }
        return p;
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
        if (region == null) {
            for (int i = 0; i < x.length; i++) {
                x[i] = blend(keep, a, x[i], pattern[i % per]);
            }
        } else {
            int w = image.width();
            int plane = image.plane();
            for (int sample = 0; sample < x.length; sample += per) {
                for (int ch = 0; ch < per; ch += plane) {
                    for (int r = region[0]; r < region[0] + region[2]; r++) {
                        for (int col = region[1]; col < region[1] + region[2]; col++) {
                            int i = ch + r * w + col;
                            x[sample + i] = blend(keep, a, x[sample + i], pattern[i]);
                        }
                    }
                }
            }
        }
        return new LabelledData(x, clean.labels().clone(), clean.sampleShape());
    }

    private static float blend(float keep, float a, float x, float p) {
        return Math.min(1f, Math.max(0f, keep * x + a * p));
    }

    /** @return the blended square {@code (top, left, side)}, or empty for the whole image */
    public java.util.Optional<int[]> region() {
        return java.util.Optional.ofNullable(region).map(int[]::clone);
    }

    @Override
    public String fingerprint() {
        String square = region == null ? "" : ",square=" + region[0] + ":" + region[1] + ":" + region[2];
        return "Hidden(alpha=" + alpha + ",pattern=" + patternName + square + ",shape=" + image.toShape() + ",target="
                + target + ")";
    }
}
