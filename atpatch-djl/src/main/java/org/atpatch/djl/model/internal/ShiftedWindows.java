package org.atpatch.djl.model.internal;

/**
 * The geometry of one Swin layer's windows on a {@code grid × grid} token grid (tokens row-major):
 * the cyclic shift by {@code shift} tokens up and left, the partition into {@code window × window}
 * windows (window-major, then row-major inside a window), its inverse, the mask that keeps tokens
 * which the shift brought together from different image areas from seeing each other, and the
 * relative position index of every query/key pair in a window.
 *
 * <p>Immutable once built, provided nobody writes into the public arrays, which are shared rather
 * than copied; safe to use from several threads at once.
 */
public final class ShiftedWindows {

    /** The score added where a query may not see a key (Swin's value). */
    public static final float MASKED = -100f;

    /** Side of the token grid. */
    public final int grid;
    /** Side of a window, in tokens. */
    public final int window;
    /** The cyclic shift, in tokens, up and left; 0 for regular windows. */
    public final int shift;
    /** Windows on the grid: {@code (grid / window)²}. */
    public final int windows;
    /** Windowed slot {@code m} holds grid token {@code partition[m]}. */
    public final long[] partition;
    /** Grid token {@code t} sits in windowed slot {@code inverse[t]}. */
    public final long[] inverse;
    /** {@code (windows, window², window²)}, 0 or {@link #MASKED}; null without shift. */
    public final float[] mask;
    /** {@code window² × window²} indices into a {@code (2·window − 1)²} bias table. */
    public final long[] relativeIndex;

    /**
     * @param grid side of the token grid; a multiple of {@code window}
     * @param window side of a window
     * @param shift the cyclic shift, in {@code [0, window)}; Swin uses {@code window / 2} on every
     *     other layer
     */
    public ShiftedWindows(int grid, int window, int shift) {
        this.grid = grid;
        this.window = window;
        this.shift = shift;
        int perSide = grid / window;
        windows = perSide * perSide;
        int n = window * window;
        partition = new long[windows * n];
        inverse = new long[grid * grid];
        int[] area = new int[windows * n];
        int m = 0;
        for (int wy = 0; wy < perSide; wy++) {
            for (int wx = 0; wx < perSide; wx++) {
                for (int py = 0; py < window; py++) {
                    for (int px = 0; px < window; px++) {
                        int r = wy * window + py;
                        int c = wx * window + px;
                        int t = ((r + shift) % grid) * grid + (c + shift) % grid;
                        partition[m] = t;
                        inverse[t] = m;
                        area[m] = band(r) * 3 + band(c);
                        m++;
                    }
                }
            }
        }
        if (shift > 0) {
            mask = new float[windows * n * n];
            for (int w = 0; w < windows; w++) {
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        if (area[w * n + i] != area[w * n + j]) {
                            mask[(w * n + i) * n + j] = MASKED;
                        }
                    }
                }
            }
        } else {
            mask = null;
        }
        relativeIndex = new long[n * n];
        int side = 2 * window - 1;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int dy = i / window - j / window + window - 1;
                int dx = i % window - j % window + window - 1;
                relativeIndex[i * n + j] = (long) dy * side + dx;
            }
        }
    }

    /** Which of the three areas of the shifted grid a row (or column) lies in, as in Swin. */
    private int band(int r) {
        if (shift == 0 || r < grid - window) {
            return 0;
        }
        return r < grid - shift ? 1 : 2;
    }

    @Override
    public String toString() {
        return "ShiftedWindows(grid=" + grid + ",window=" + window + ",shift=" + shift + ",windows=" + windows + ")";
    }

    /** @return the grid tokens of each window, for tests and reports */
    public int[][] windowTokens() {
        int n = window * window;
        int[][] out = new int[windows][n];
        for (int w = 0; w < windows; w++) {
            for (int i = 0; i < n; i++) {
                out[w][i] = (int) partition[w * n + i];
            }
        }
        return out;
    }
}
