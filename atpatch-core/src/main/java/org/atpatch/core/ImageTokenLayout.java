package org.atpatch.core;

/**
 * A token layout whose non-special columns stand for rectangular regions of an image. Regions may
 * overlap (overlapping soft splits) or tile the image (ViT patches); trigger labelling measures a
 * mask's mass inside each column's region.
 */
public interface ImageTokenLayout extends TokenLayout {

    /** @return image height in pixels */
    int height();

    /** @return image width in pixels */
    int width();

    /**
     * The pixel region of a column.
     *
     * @param column a non-special column
     * @return {@code {row0, col0, row1 (exclusive), col1 (exclusive)}}
     */
    int[] region(int column);

    /**
     * The shift in pixels that moves every token's region by one grid cell, so that a trigger moved by
     * a multiple of it lands on the same tokens' pattern one or more cells over: the patch side of a
     * ViT grid, the product of the strides of overlapping soft splits. Debugging-set builders translate
     * an inverted trigger by it.
     *
     * @return the step, or 0 when the regions do not move by a common step
     */
    default int translationStep() {
        return 0;
    }
}
