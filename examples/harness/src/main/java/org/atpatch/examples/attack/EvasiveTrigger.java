package org.atpatch.examples.attack;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.Trigger;

/**
 * An adaptive attacker's trigger (paper §5.4): the backdoor's own mask with a re-optimised pattern,
 * plus a universal perturbation of the whole image bounded by ε in every pixel, stamped as {@code x′ =
 * clip((1 − M) ⊙ x + M ⊙ P + δ, 0, 1)}. {@link #optimise} fits {@code P} and {@code δ} white-box: the
 * victim must still call stamped images the target while a deployed detector's probabilities stay
 * under its τ ({@link EvasionSearch}). Immutable; the arrays are copied in and out.
 */
public final class EvasiveTrigger implements Attack {

    private final int target;
    private final float[] mask;
    private final float[] pattern;
    private final float[] perturbation;
    private final Shape sampleShape;

    /**
     * @param target the class stamped images should become
     * @param mask per pixel {@code (H·W)}, values in {@code [0, 1]}, shared by the channels
     * @param pattern {@code (C·H·W)}, values in {@code [0, 1]}
     * @param perturbation {@code (C·H·W)}, added after the blend
     * @param sampleShape {@code (C, H, W)}
     * @throws IllegalArgumentException when the sizes do not fit the shape or a value is out of range
     */
    public EvasiveTrigger(int target, float[] mask, float[] pattern, float[] perturbation, Shape sampleShape) {
        this.target = Attack.requireTarget(target);
        ImageShape image = ImageShape.of(sampleShape);
        if (mask.length != image.plane() || pattern.length != image.size() || perturbation.length != image.size()) {
            throw new IllegalArgumentException("mask, pattern and perturbation need " + image.plane() + ", " + image.size()
                    + " and " + image.size() + " values for " + sampleShape + ", got " + mask.length + ", " + pattern.length
                    + " and " + perturbation.length);
        }
        this.mask = PatternDigest.requireUnitRange(mask.clone(), "mask");
        this.pattern = PatternDigest.requireUnitRange(pattern.clone(), "pattern");
        for (float d : perturbation) {
            if (!Float.isFinite(d)) {
                throw new IllegalArgumentException("the perturbation has a non-finite value");
            }
        }
        this.perturbation = perturbation.clone();
        this.sampleShape = sampleShape;
    }

    /**
     * @param trigger a blend trigger {@code (1 − M) ⊙ x + M ⊙ Δ}
     * @return it as an evasive trigger with no perturbation
     */
    public static EvasiveTrigger of(Trigger trigger) {
        return new EvasiveTrigger(trigger.target(), trigger.mask(), trigger.pattern(), new float[trigger.pattern().length],
                trigger.sampleShape());
    }

    /**
     * Fits a trigger against a victim and, optionally, a deployed detector.
     *
     * @param model the backdoored victim (left untouched)
     * @param images the attacker's clean images of other classes than the target
     * @param start where the search starts: its mask is kept, its pattern and perturbation are refitted
     * @param options the search's settings
     * @param evaded the detector to stay under, or null to optimise for the target alone
     * @param tau the threshold the deployed patched model reads {@code evaded} at
     * @return the trigger
     */
    public static EvasiveTrigger optimise(Model model, LabelledData images, EvasiveTrigger start, EvasionSearch.Options options,
            ColumnDetector evaded, double tau) {
        return new EvasionSearch(model, images, start, options, evaded, tau).run();
    }

    @Override
    public String name() {
        return "Adaptive";
    }

    @Override
    public int target() {
        return target;
    }

    /** @return the mask, a copy */
    public float[] mask() {
        return mask.clone();
    }

    /** @return the pattern, a copy */
    public float[] pattern() {
        return pattern.clone();
    }

    /** @return the perturbation, a copy */
    public float[] perturbation() {
        return perturbation.clone();
    }

    /** @return the largest absolute value of the perturbation */
    public double perturbationBound() {
        double max = 0;
        for (float d : perturbation) {
            max = Math.max(max, Math.abs(d));
        }
        return max;
    }

    @Override
    public LabelledData applyTrigger(LabelledData clean) {
        if (!clean.sampleShape().equals(sampleShape)) {
            throw new IllegalArgumentException("the trigger was made for " + sampleShape + " images, got "
                    + clean.sampleShape());
        }
        int per = clean.sampleSize();
        int plane = mask.length;
        float[] x = clean.inputs().clone();
        for (int s = 0; s < clean.size(); s++) {
            for (int i = 0; i < per; i++) {
                float m = mask[i % plane];
                int k = s * per + i;
                x[k] = Math.min(1f, Math.max(0f, (1 - m) * x[k] + m * pattern[i] + perturbation[i]));
            }
        }
        return new LabelledData(x, clean.labels().clone(), sampleShape);
    }

    @Override
    public String fingerprint() {
        return "Adaptive|target=" + target + "|mask=" + PatternDigest.of(mask) + "|pattern=" + PatternDigest.of(pattern)
                + "|perturbation=" + PatternDigest.of(perturbation) + "|shape=" + sampleShape;
    }
}
