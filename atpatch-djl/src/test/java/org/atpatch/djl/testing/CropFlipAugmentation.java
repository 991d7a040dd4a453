package org.atpatch.djl.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * The standard CIFAR training augmentation, on a whole batch at once: each image is zero-padded by
 * {@code padding} pixels on every side, a random {@code H × W} window of the padded image is kept, and
 * (when enabled) the window is mirrored left to right with probability ½. Applied by
 * {@link VictimTrainer} to each training batch after any poisoning, as backdoor toolkits do (a stamped
 * trigger moves and mirrors with its image). The crop and the flip are one {@code gather} on the
 * padded batch, on the batch's device; only the per-image offsets are drawn on the host.
 */
public final class CropFlipAugmentation {

    private final int padding;
    private final boolean flip;

    private CropFlipAugmentation(int padding, boolean flip) {
        this.padding = padding;
        this.flip = flip;
    }

    /**
     * @param padding pixels of zero padding on each side, so offsets range over {@code 0..2·padding}
     * @param flip whether to mirror half of the images left to right
     * @return the augmentation
     * @throws IllegalArgumentException when the padding is negative, or zero with no flip (a no-op)
     */
    public static CropFlipAugmentation of(int padding, boolean flip) {
        if (padding < 0 || (padding == 0 && !flip)) {
            throw new IllegalArgumentException("crop padding must be >= 0 and the augmentation must do something, got padding "
                    + padding + ", flip " + flip);
        }
        return new CropFlipAugmentation(padding, flip);
    }

    /** @return the padding on each side */
    public int padding() {
        return padding;
    }

    /** @return whether half of the images are mirrored */
    public boolean flip() {
        return flip;
    }

    /** @return a stable description, for cache keys and logs, e.g. {@code crop4-flip} */
    public String key() {
        return "crop" + padding + (flip ? "-flip" : "");
    }

    /**
     * Augments a batch with offsets and flips drawn from {@code random}.
     *
     * @param x images {@code (B, C, H, W)}
     * @param random the source of the per-image offsets and flips
     * @return the augmented batch, same shape, on {@code x}'s manager
     */
    public NDArray apply(NDArray x, Random random) {
        int b = batchOf(x);
        int[] dy = new int[b];
        int[] dx = new int[b];
        boolean[] mirror = new boolean[b];
        for (int i = 0; i < b; i++) {
            dy[i] = random.nextInt(2 * padding + 1);
            dx[i] = random.nextInt(2 * padding + 1);
            mirror[i] = flip && random.nextBoolean();
        }
        return apply(x, dy, dx, mirror);
    }

    /**
     * Augments a batch with given offsets and flips: image {@code i}'s output pixel {@code (r, c)} is
     * the padded image's pixel {@code (r + dy[i], dx[i] + c)}, or {@code (r + dy[i], dx[i] + W − 1 − c)}
     * when {@code mirror[i]}.
     *
     * @param x images {@code (B, C, H, W)}
     * @param dy row offsets into the padded image, each in {@code 0..2·padding}
     * @param dx column offsets, likewise
     * @param mirror which images are mirrored (ignored where the augmentation does not flip)
     * @return the augmented batch
     * @throws IllegalArgumentException when {@code x} is not 4-D, an array's length is not the batch size,
     *     or an offset is out of range
     */
    public NDArray apply(NDArray x, int[] dy, int[] dx, boolean[] mirror) {
        int b = batchOf(x);
        if (dy.length != b || dx.length != b || mirror.length != b) {
            throw new IllegalArgumentException("need one offset pair and flip per image: batch " + b + ", got " + dy.length
                    + " / " + dx.length + " / " + mirror.length);
        }
        int c = (int) x.getShape().get(1);
        int h = (int) x.getShape().get(2);
        int w = (int) x.getShape().get(3);
        int pw = w + 2 * padding;
        long[] index = new long[b * h * w];
        for (int i = 0; i < b; i++) {
            checkOffset("row", i, dy[i]);
            checkOffset("column", i, dx[i]);
            boolean m = flip && mirror[i];
            for (int r = 0; r < h; r++) {
                long row = (long) (r + dy[i]) * pw + dx[i];
                for (int col = 0; col < w; col++) {
                    index[(i * h + r) * w + col] = row + (m ? w - 1 - col : col);
                }
            }
        }
        NDArray padded = padding == 0 ? x : x.pad(new Shape(padding, padding, padding, padding), 0);
        NDArray flat = padded.reshape(b, c, -1);
        NDArray idx = x.getManager().create(index, new Shape(b, 1, (long) h * w))
                .broadcast(new Shape(b, c, (long) h * w));
        return flat.gather(idx, 2).reshape(x.getShape());
    }

    private void checkOffset(String what, int image, int offset) {
        if (offset < 0 || offset > 2 * padding) {
            throw new IllegalArgumentException(what + " offset of image " + image + " is " + offset + ", outside 0.."
                    + 2 * padding);
        }
    }

    private static int batchOf(NDArray x) {
        if (x.getShape().dimension() != 4) {
            throw new IllegalArgumentException("crop/flip augmentation needs images (B, C, H, W), got " + x.getShape());
        }
        return (int) x.getShape().get(0);
    }

    @Override
    public String toString() {
        return key();
    }
}
