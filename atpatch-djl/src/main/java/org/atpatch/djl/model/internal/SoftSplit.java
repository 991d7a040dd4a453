package org.atpatch.djl.model.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

/**
 * One tokens-to-token soft split (Yuan et al., 2021): an unfold with a {@code kernel × kernel}
 * window, a stride and zero padding over a square row-major token grid {@code (B, inSide², D)},
 * giving {@code (B, outSide², D·kernel²)} tokens in channel-major order (as PyTorch's {@code
 * unfold}). Windows overlap when the stride is below the kernel, so neighbouring output tokens
 * share input tokens.
 *
 * <p>Immutable; safe to use from several threads at once.
 */
public final class SoftSplit {

    /** Window side. */
    public final int kernel;
    /** Step between windows. */
    public final int stride;
    /** Zero padding on each side. */
    public final int padding;
    /** Side of the square input grid. */
    public final int inSide;
    /** Side of the square output grid. */
    public final int outSide;
    private final long[] index;

    /**
     * @param kernel window side
     * @param stride step between windows
     * @param padding zero padding on each side
     * @param inSide side of the square input grid
     */
    public SoftSplit(int kernel, int stride, int padding, int inSide) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.inSide = inSide;
        this.outSide = outSide(kernel, stride, padding, inSide);
        long zero = (long) inSide * inSide; // index of the zero token appended for padding
        index = new long[outSide * outSide * kernel * kernel];
        int i = 0;
        for (int oy = 0; oy < outSide; oy++) {
            for (int ox = 0; ox < outSide; ox++) {
                for (int ky = 0; ky < kernel; ky++) {
                    for (int kx = 0; kx < kernel; kx++) {
                        int y = oy * stride - padding + ky;
                        int x = ox * stride - padding + kx;
                        index[i++] = y < 0 || y >= inSide || x < 0 || x >= inSide ? zero : (long) y * inSide + x;
                    }
                }
            }
        }
    }

    /**
     * @param kernel window side
     * @param stride step between windows
     * @param padding zero padding on each side
     * @param inSide side of the square input grid
     * @return the output side, or a value below 1 when the window does not fit
     */
    public static int outSide(int kernel, int stride, int padding, int inSide) {
        return Math.floorDiv(inSide + 2 * padding - kernel, stride) + 1;
    }

    /**
     * @param grid {@code (B, inSide², D)}
     * @return {@code (B, outSide², D·kernel²)}
     */
    public NDArray apply(NDArray grid) {
        Shape s = grid.getShape();
        long b = s.get(0);
        long d = s.get(2);
        NDArray zero = grid.getManager().zeros(new Shape(b, 1, d), grid.getDataType(), grid.getDevice());
        NDArray padded = NDArrays.concat(new NDList(grid, zero), 1);
        long n = (long) outSide * outSide;
        long k2 = (long) kernel * kernel;
        // (B, n·k², D) -> (B, n, k², D) -> (B, n, D, k²) -> (B, n, D·k²)
        return TokenGather.rows(padded, index).reshape(b, n, k2, d).transpose(0, 1, 3, 2).reshape(b, n, d * k2);
    }

    /**
     * The input rows {@code [lo, hi]} (inclusive, before clipping) that output rows {@code [a, b]} read.
     *
     * @param a first output row
     * @param b last output row
     * @return {@code {lo, hi}}
     */
    public int[] inputSpan(int a, int b) {
        return new int[] {a * stride - padding, b * stride - padding + kernel - 1};
    }
}
