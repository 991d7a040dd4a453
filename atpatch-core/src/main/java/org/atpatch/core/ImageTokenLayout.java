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
}
