package org.atpatch.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Token layout of an image model whose tokens sit on a {@code rows × cols} grid (row-major, after
 * an optional CLS at column 0) and stand for image regions that may overlap, such as the
 * tokens-to-token soft splits of T2T-ViT. Each region is given explicitly.
 */
public final class ImageRegionLayout implements ImageTokenLayout {

    private final int height;
    private final int width;
    private final int rows;
    private final int cols;
    private final int[][] regions;
    private final boolean cls;
    private final String note;
    private final int translationStep;

    /**
     * @param height image height in pixels
     * @param width image width in pixels
     * @param rows token grid rows
     * @param cols token grid columns
     * @param regions {@code rows·cols} regions {@code {row0, col0, row1, col1}} (ends exclusive),
     *     row-major over the grid, each non-empty and inside the image
     * @param cls whether column 0 is a CLS token
     * @param translationStep the shift in pixels that moves each region one grid cell (the product of
     *     the soft splits' strides), checked on every pair of neighbours the border does not clip; 0
     *     for none
     * @param note what the regions mean, for {@link #toString()}
     * @throws IllegalArgumentException when the geometry is inconsistent, naming what
     */
    public ImageRegionLayout(int height, int width, int rows, int cols, int[][] regions, boolean cls, int translationStep,
            String note) {
        if (height <= 0 || width <= 0 || rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("image " + height + "x" + width + " and grid " + rows + "x" + cols
                    + " must be positive");
        }
        if (regions.length != rows * cols) {
            throw new IllegalArgumentException(regions.length + " regions for a " + rows + "x" + cols + " grid");
        }
        this.regions = new int[regions.length][];
        for (int t = 0; t < regions.length; t++) {
            int[] r = regions[t];
            if (r.length != 4 || r[0] < 0 || r[1] < 0 || r[2] > height || r[3] > width || r[0] >= r[2] || r[1] >= r[3]) {
                throw new IllegalArgumentException("region " + t + " " + java.util.Arrays.toString(r)
                        + " is empty or outside the " + height + "x" + width + " image");
            }
            this.regions[t] = r.clone();
        }
        this.height = height;
        this.width = width;
        this.rows = rows;
        this.cols = cols;
        this.cls = cls;
        this.note = note;
        checkStep(translationStep);
        this.translationStep = translationStep;
    }

    /**
     * Checks a claimed translation step against the regions the image border does not clip: each
     * such region must sit exactly {@code step} pixels right of its left neighbour (same rows) and
     * {@code step} pixels below its upper neighbour (same columns).
     */
    private void checkStep(int step) {
        if (step < 0) {
            throw new IllegalArgumentException("translation step must be >= 0 (0 for none), got " + step);
        }
        if (step == 0) {
            return;
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int[] a = regions[r * cols + c];
                if (c + 1 < cols) {
                    int[] b = regions[r * cols + c + 1];
                    if (a[1] > 0 && b[3] < width && (b[1] - a[1] != step || b[3] - a[3] != step || a[0] != b[0]
                            || a[2] != b[2])) {
                        throw stepMismatch(step, r, c, r, c + 1);
                    }
                }
                if (r + 1 < rows) {
                    int[] b = regions[(r + 1) * cols + c];
                    if (a[0] > 0 && b[2] < height && (b[0] - a[0] != step || b[2] - a[2] != step || a[1] != b[1]
                            || a[3] != b[3])) {
                        throw stepMismatch(step, r, c, r + 1, c);
                    }
                }
            }
        }
    }

    private IllegalArgumentException stepMismatch(int step, int r0, int c0, int r1, int c1) {
        return new IllegalArgumentException("translation step " + step + " does not move token r" + r0 + " c" + c0 + " "
                + java.util.Arrays.toString(regions[r0 * cols + c0]) + " onto token r" + r1 + " c" + c1 + " "
                + java.util.Arrays.toString(regions[r1 * cols + c1]));
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public int width() {
        return width;
    }

    /** @return token grid rows */
    public int rows() {
        return rows;
    }

    /** @return token grid columns */
    public int cols() {
        return cols;
    }

    @Override
    public int size() {
        return rows * cols + (cls ? 1 : 0);
    }

    @Override
    public boolean isSpecial(int column) {
        check(column);
        return cls && column == 0;
    }

    @Override
    public int[] region(int column) {
        check(column);
        if (isSpecial(column)) {
            throw new IllegalArgumentException("column " + column + " is the CLS token, not an image region");
        }
        return regions[column - (cls ? 1 : 0)].clone();
    }

    /** @return the step given at construction (for T2T-ViT the product of its soft splits' strides), or 0 */
    @Override
    public int translationStep() {
        return translationStep;
    }

    /**
     * @param row pixel row
     * @param col pixel column
     * @return every token column whose region holds the pixel (several where regions overlap)
     */
    public int[] columnsCovering(int row, int col) {
        if (row < 0 || row >= height || col < 0 || col >= width) {
            throw new IllegalArgumentException("pixel (" + row + ", " + col + ") outside " + height + "x" + width);
        }
        List<Integer> out = new ArrayList<>();
        for (int t = 0; t < regions.length; t++) {
            int[] r = regions[t];
            if (row >= r[0] && row < r[2] && col >= r[1] && col < r[3]) {
                out.add(t + (cls ? 1 : 0));
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String describe(int column) {
        if (isSpecial(column)) {
            return "CLS";
        }
        int t = column - (cls ? 1 : 0);
        int[] r = regions[t];
        return "token r" + (t / cols) + " c" + (t % cols) + " (rows " + r[0] + "-" + (r[2] - 1) + ", cols " + r[1]
                + "-" + (r[3] - 1) + ")";
    }

    @Override
    public String toString() {
        return "ImageRegionLayout(" + height + "x" + width + ", grid " + rows + "x" + cols + (cls ? ", CLS" : "")
                + ", " + note + ")";
    }

    private void check(int column) {
        if (column < 0 || column >= size()) {
            throw new IndexOutOfBoundsException("column " + column + " outside [0, " + size() + ")");
        }
    }
}
