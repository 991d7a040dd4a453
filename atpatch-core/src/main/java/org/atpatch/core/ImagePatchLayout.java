package org.atpatch.core;

/**
 * Token layout of a vision transformer: an optional CLS token at column 0, then one token per
 * non-overlapping {@code patch × patch} region in row-major order.
 *
 * @param height image height in pixels
 * @param width image width in pixels
 * @param patch patch side in pixels; must divide both
 * @param cls whether column 0 is a CLS token
 */
public record ImagePatchLayout(int height, int width, int patch, boolean cls) implements ImageTokenLayout {

    /** Validates the geometry. */
    public ImagePatchLayout {
        if (patch <= 0 || height <= 0 || width <= 0 || height % patch != 0 || width % patch != 0) {
            throw new IllegalArgumentException(
                    "patch " + patch + " must divide image " + height + "x" + width);
        }
    }

    /** @return patches per row */
    public int patchesPerRow() {
        return width / patch;
    }

    /** @return number of patch tokens */
    public int patches() {
        return (height / patch) * (width / patch);
    }

    @Override
    public int size() {
        return patches() + (cls ? 1 : 0);
    }

    @Override
    public boolean isSpecial(int column) {
        check(column);
        return cls && column == 0;
    }

    /** @return the patch side: moving an image by it moves every patch's content one patch over */
    @Override
    public int translationStep() {
        return patch;
    }

    /**
     * The pixel region of a patch column.
     *
     * @param column a non-special column
     * @return {@code {row0, col0, row1 (exclusive), col1 (exclusive)}}
     */
    @Override
    public int[] region(int column) {
        check(column);
        if (isSpecial(column)) {
            throw new IllegalArgumentException("column " + column + " is the CLS token, not a patch");
        }
        int p = column - (cls ? 1 : 0);
        int r = p / patchesPerRow();
        int c = p % patchesPerRow();
        return new int[] {r * patch, c * patch, (r + 1) * patch, (c + 1) * patch};
    }

    /**
     * The column of the patch that holds a pixel.
     *
     * @param row pixel row
     * @param col pixel column
     * @return the token column
     */
    public int columnOf(int row, int col) {
        if (row < 0 || row >= height || col < 0 || col >= width) {
            throw new IllegalArgumentException("pixel (" + row + ", " + col + ") outside " + height + "x" + width);
        }
        return (cls ? 1 : 0) + (row / patch) * patchesPerRow() + col / patch;
    }

    @Override
    public String describe(int column) {
        if (isSpecial(column)) {
            return "CLS";
        }
        int[] r = region(column);
        return "patch rows " + r[0] + "-" + (r[2] - 1) + ", cols " + r[1] + "-" + (r[3] - 1);
    }

    private void check(int column) {
        if (column < 0 || column >= size()) {
            throw new IndexOutOfBoundsException("column " + column + " outside [0, " + size() + ")");
        }
    }
}
