package org.atpatch.djl.debugset;

import ai.djl.ndarray.types.Shape;
import java.util.Locale;
import org.atpatch.djl.LabelledData;

/**
 * A backdoor trigger in the form of Eq. 3: a mask {@code M} over the image plane and a pattern
 * {@code Δ} over the whole input, stamped as {@code x′ = (1 − M) ⊙ x + M ⊙ Δ} with the mask broadcast
 * over channels. It comes from {@link TriggerInversion} or, when the trigger is known, from the user
 * through {@link #of}.
 *
 * @param target the class the trigger is meant to cause
 * @param mask {@code H × W} values in {@code [0, 1]}, row-major
 * @param pattern {@code C × H × W} finite values, channel-major then row-major
 * @param sampleShape the input shape {@code (C, H, W)}
 */
public record Trigger(int target, float[] mask, float[] pattern, Shape sampleShape) {

    /** Validates shapes and values and copies the arrays. */
    public Trigger {
        if (sampleShape == null || sampleShape.dimension() != 3) {
            throw new IllegalArgumentException("a trigger needs an image input shape (C, H, W), got " + sampleShape);
        }
        if (target < 0) {
            throw new IllegalArgumentException("target class must be >= 0, got " + target);
        }
        if (mask == null || pattern == null) {
            throw new IllegalArgumentException("mask and pattern are required");
        }
        long plane = sampleShape.get(1) * sampleShape.get(2);
        if (mask.length != plane) {
            throw new IllegalArgumentException("mask has " + mask.length + " values, expected H × W = " + plane
                    + " for input shape " + sampleShape + " (one mask value per pixel, shared by all channels)");
        }
        if (pattern.length != sampleShape.size()) {
            throw new IllegalArgumentException("pattern has " + pattern.length + " values, expected C × H × W = "
                    + sampleShape.size() + " for input shape " + sampleShape);
        }
        for (int i = 0; i < mask.length; i++) {
            if (!(mask[i] >= 0f && mask[i] <= 1f)) {
                throw new IllegalArgumentException("mask value " + i + " is " + mask[i] + "; it must lie in [0, 1]");
            }
        }
        for (int i = 0; i < pattern.length; i++) {
            if (!Float.isFinite(pattern[i])) {
                throw new IllegalArgumentException("pattern value " + i + " is " + pattern[i]);
            }
        }
        mask = mask.clone();
        pattern = pattern.clone();
    }

    /**
     * A trigger the user knows (the known-trigger path, no inversion).
     *
     * @param target the target class
     * @param mask {@code H × W} values in {@code [0, 1]}
     * @param pattern {@code C × H × W} values
     * @param sampleShape {@code (C, H, W)}
     * @return the trigger
     */
    public static Trigger of(int target, float[] mask, float[] pattern, Shape sampleShape) {
        return new Trigger(target, mask, pattern, sampleShape);
    }

    /**
     * A solid square trigger (BadNets): mask 1 on the square, 0 elsewhere; pattern {@code value} on
     * the square in every channel.
     *
     * @param target the target class
     * @param row top pixel row
     * @param col left pixel column
     * @param size side in pixels
     * @param value the pixel value stamped
     * @param sampleShape {@code (C, H, W)}
     * @return the trigger
     */
    public static Trigger square(int target, int row, int col, int size, float value, Shape sampleShape) {
        if (sampleShape == null || sampleShape.dimension() != 3) {
            throw new IllegalArgumentException("a trigger needs an image input shape (C, H, W), got " + sampleShape);
        }
        int c = (int) sampleShape.get(0);
        int h = (int) sampleShape.get(1);
        int w = (int) sampleShape.get(2);
        if (size <= 0 || row < 0 || col < 0 || row + size > h || col + size > w) {
            throw new IllegalArgumentException("square at (" + row + ", " + col + ") of side " + size
                    + " does not fit " + h + "x" + w);
        }
        float[] mask = new float[h * w];
        float[] pattern = new float[c * h * w];
        for (int r = row; r < row + size; r++) {
            for (int q = col; q < col + size; q++) {
                mask[r * w + q] = 1f;
                for (int ch = 0; ch < c; ch++) {
                    pattern[ch * h * w + r * w + q] = value;
                }
            }
        }
        return new Trigger(target, mask, pattern, sampleShape);
    }

    /** @return a copy of the mask */
    @Override
    public float[] mask() {
        return mask.clone();
    }

    /** @return a copy of the pattern */
    @Override
    public float[] pattern() {
        return pattern.clone();
    }

    /** @return H */
    public int height() {
        return (int) sampleShape.get(1);
    }

    /** @return W */
    public int width() {
        return (int) sampleShape.get(2);
    }

    /** @return C */
    public int channels() {
        return (int) sampleShape.get(0);
    }

    /** @return {@code ‖M‖₁}, the sum of the mask */
    public double maskL1() {
        double s = 0;
        for (float v : mask) {
            s += v;
        }
        return s;
    }

    /**
     * Stamps the trigger on one input.
     *
     * @param x one input, {@code C × H × W} values
     * @return {@code (1 − M) ⊙ x + M ⊙ Δ}
     */
    public float[] apply(float[] x) {
        int plane = mask.length;
        if (x.length != pattern.length) {
            throw new IllegalArgumentException("input has " + x.length + " values, the trigger expects "
                    + pattern.length + " for shape " + sampleShape);
        }
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            float m = mask[i % plane];
            out[i] = x[i] + m * (pattern[i] - x[i]);
        }
        return out;
    }

    /**
     * Stamps the trigger on every sample; labels are kept (not set to the target).
     *
     * @param data inputs of this trigger's shape
     * @return triggered copies
     */
    public LabelledData apply(LabelledData data) {
        if (!data.sampleShape().equals(sampleShape)) {
            throw new IllegalArgumentException("data samples are shaped " + data.sampleShape()
                    + ", the trigger " + sampleShape);
        }
        int per = data.sampleSize();
        float[] x = new float[data.inputs().length];
        float[] one = new float[per];
        for (int i = 0; i < data.size(); i++) {
            System.arraycopy(data.inputs(), i * per, one, 0, per);
            System.arraycopy(apply(one), 0, x, i * per, per);
        }
        return new LabelledData(x, data.labels().clone(), sampleShape);
    }

    /**
     * The smallest pixel box holding the mask's core: every pixel whose mask value is at least half
     * the largest. An inverted mask carries faint mass far from its core (pixels at a few percent of
     * its peak in the opposite corner), so a low cut would stretch the box over the whole image.
     *
     * @return {@code {top, left, bottom, right}}, inclusive; all {@code -1} for an all-zero mask
     */
    public int[] maskBounds() {
        float max = 0f;
        for (float v : mask) {
            max = Math.max(max, v);
        }
        int w = width();
        int[] b = {Integer.MAX_VALUE, Integer.MAX_VALUE, -1, -1};
        for (int i = 0; i < mask.length; i++) {
            if (max > 0f && mask[i] >= 0.5f * max) {
                b[0] = Math.min(b[0], i / w);
                b[1] = Math.min(b[1], i % w);
                b[2] = Math.max(b[2], i / w);
                b[3] = Math.max(b[3], i % w);
            }
        }
        return b[2] < 0 ? new int[] {-1, -1, -1, -1} : b;
    }

    /**
     * This trigger moved by whole pixels: mask and pattern translate together, and what moves in from
     * outside is empty (mask 0); mask below the {@link #maskBounds()} cut that leaves the image is dropped.
     *
     * @param dy rows down (negative: up)
     * @param dx columns right (negative: left)
     * @return the moved trigger
     * @throws IllegalArgumentException when part of the mask's mass ({@link #maskBounds()}) would leave the image
     */
    public Trigger shifted(int dy, int dx) {
        int h = height();
        int w = width();
        int[] b = maskBounds();
        if (b[0] >= 0 && (b[0] + dy < 0 || b[1] + dx < 0 || b[2] + dy >= h || b[3] + dx >= w)) {
            throw new IllegalArgumentException("shifting by (" + dy + ", " + dx + ") moves the mask (rows " + b[0] + "-"
                    + b[2] + ", cols " + b[1] + "-" + b[3] + ") out of the " + h + "x" + w + " image");
        }
        float[] m = new float[mask.length];
        float[] p = new float[pattern.length];
        int plane = h * w;
        for (int r = Math.max(0, -dy); r < Math.min(h, h - dy); r++) {
            for (int c = Math.max(0, -dx); c < Math.min(w, w - dx); c++) {
                int from = r * w + c;
                int to = (r + dy) * w + c + dx;
                m[to] = mask[from];
                for (int ch = 0; ch < channels(); ch++) {
                    p[ch * plane + to] = pattern[ch * plane + from];
                }
            }
        }
        return new Trigger(target, m, p, sampleShape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Trigger t && t.target == target && t.sampleShape.equals(sampleShape)
                && java.util.Arrays.equals(t.mask, mask) && java.util.Arrays.equals(t.pattern, pattern);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(target, sampleShape, java.util.Arrays.hashCode(mask),
                java.util.Arrays.hashCode(pattern));
    }

    @Override
    public String toString() {
        return "Trigger(target " + target + ", input " + sampleShape + ", mask L1 " + String.format(Locale.ROOT, "%.2f", maskL1()) + ")";
    }
}
