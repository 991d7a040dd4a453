package org.atpatch.examples.attack;

import ai.djl.ndarray.types.Shape;
import java.util.Random;
import java.util.stream.IntStream;
import org.atpatch.core.ImageTokenLayout;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.OverlapRule;
import org.atpatch.djl.debugset.Trigger;
import org.atpatch.djl.debugset.TriggerLabelling;

/**
 * The attack's own trigger as a mask and pattern, for <em>evaluation only</em> (the detector's
 * balanced evaluation set and the over-attention measurement; the debugging set is built from
 * inverted triggers). Every attack here stamps {@code x′ = (1 − M) ⊙ x + M ⊙ Δ} with a per-pixel
 * mask shared by the channels, so stamping an all-zero and an all-one image recovers it: {@code
 * a0 = M ⊙ Δ} and {@code a1 = 1 − M + M ⊙ Δ}, hence {@code M = 1 − (a1 − a0)} and {@code Δ = a0 / M}
 * where {@code M > 0}. The recovery is checked on a random image.
 *
 * <p>A token column counts as triggered when any pixel of its region carries at least half the
 * mask's largest value ({@link OverlapRule#pixelsAbove}): the patch triggers' 4 × 4 squares label
 * the tokens they touch, and Hidden's uniform α-blend labels every token, since it covers them all.
 */
public final class RealTrigger {

    private static final float TOLERANCE = 1e-4f;

    private RealTrigger() {}

    /**
     * @param attack the attack
     * @param sampleShape the images' shape {@code (C, H, W)}
     * @return its trigger
     * @throws IllegalArgumentException when the attack is not such a blend
     */
    public static Trigger of(Attack attack, Shape sampleShape) {
        int c = (int) sampleShape.get(0);
        int plane = (int) (sampleShape.get(1) * sampleShape.get(2));
        float[] a0 = stamp(attack, new float[c * plane], sampleShape);
        float[] ones = new float[c * plane];
        java.util.Arrays.fill(ones, 1f);
        float[] a1 = stamp(attack, ones, sampleShape);
        float[] mask = new float[plane];
        float[] pattern = new float[c * plane];
        for (int p = 0; p < plane; p++) {
            mask[p] = Math.min(1f, Math.max(0f, 1f - (a1[p] - a0[p])));
            for (int ch = 0; ch < c; ch++) {
                int i = ch * plane + p;
                if (Math.abs(1f - (a1[i] - a0[i]) - mask[p]) > TOLERANCE) {
                    throw new IllegalArgumentException(attack.name() + " is not a per-pixel blend shared by the channels "
                            + "(pixel " + p + " differs between channels)");
                }
                pattern[i] = mask[p] > TOLERANCE ? a0[i] / mask[p] : 0f;
            }
        }
        Trigger trigger = Trigger.of(attack.target(), mask, pattern, sampleShape);
        float[] x = new float[c * plane];
        Random random = new Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat();
        }
        float[] expected = stamp(attack, x, sampleShape);
        float[] got = trigger.apply(x);
        for (int i = 0; i < x.length; i++) {
            if (Math.abs(expected[i] - got[i]) > 1e-3f) {
                throw new IllegalArgumentException(attack.name() + " is not of the form (1 - M) x + M pattern: value " + i
                        + " is " + expected[i] + ", the recovered trigger gives " + got[i]);
            }
        }
        return trigger;
    }

    /**
     * @param trigger the trigger
     * @return the rule labelling a column triggered: a pixel of its region at half the mask's peak or more
     */
    public static OverlapRule rule(Trigger trigger) {
        float peak = 0;
        for (float m : trigger.mask()) {
            peak = Math.max(peak, m);
        }
        if (peak <= 0) {
            throw new IllegalArgumentException("the trigger's mask is empty");
        }
        return OverlapRule.pixelsAbove(peak / 2, 1);
    }

    /**
     * @param trigger the trigger
     * @param layout the victim's token layout
     * @return the columns its mask covers, ascending
     */
    public static int[] columns(Trigger trigger, ImageTokenLayout layout) {
        boolean[] on = TriggerLabelling.columns(trigger.mask(), layout, rule(trigger));
        return IntStream.range(0, on.length).filter(j -> on[j]).toArray();
    }

    private static float[] stamp(Attack attack, float[] x, Shape sampleShape) {
        return attack.applyTrigger(new LabelledData(x, new int[] {0}, sampleShape)).inputs();
    }
}
