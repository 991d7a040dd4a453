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

    /**
     * @param height image height in pixels
     * @param width image width in pixels
     * @param rows token grid rows
     * @param cols token grid columns
     * @param regions {@code rows·cols} regions {@code {row0, col0, row1, col1}} (ends exclusive),
     *     row-major over the grid, each non-empty and inside the image
     * @param cls whether column 0 is a CLS token
     * @param note what the regions mean, for {@link #toString()}
     */
    public ImageRegionLayout(int height, int width, int rows, int cols, int[][] regions, boolean cls, String note) {
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
