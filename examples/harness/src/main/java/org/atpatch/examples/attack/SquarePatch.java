package org.atpatch.examples.attack;

import org.atpatch.djl.LabelledData;

/**
 * A square region of an image that patch triggers overwrite on every channel.
 *
 * @param row top pixel row
 * @param col left pixel column
 * @param size side in pixels
 */
public record SquarePatch(int row, int col, int size) {

    /** Validates the square on its own; {@link #requireFits} checks it against an image. */
    public SquarePatch {
        if (size <= 0) {
            throw new IllegalArgumentException("trigger size must be positive, got " + size);
        }
    }

    /** The value a patch trigger writes at one of its pixels. */
    @FunctionalInterface
    public interface Pixels {
        /**
         * @param channel the channel
         * @param dr the row inside the square, from 0
         * @param dc the column inside the square, from 0
         * @return the value written there
         */
        float at(int channel, int dr, int dc);
    }

    /**
     * @param image an image geometry
     * @return this square
     * @throws IllegalArgumentException when the square does not lie inside the image
     */
    public SquarePatch requireFits(ImageShape image) {
        if (row < 0 || col < 0 || row + size > image.height() || col + size > image.width()) {
            throw new IllegalArgumentException("trigger at (" + row + ", " + col + ") size " + size + " does not fit "
                    + image.height() + "x" + image.width());
        }
        return this;
    }

    /**
     * Overwrites the square of every sample on every channel.
     *
     * @param data the images (labels kept)
     * @param pixels what to write
     * @return stamped copies
     */
    public LabelledData stamp(LabelledData data, Pixels pixels) {
        ImageShape image = ImageShape.of(data.sampleShape());
        requireFits(image);
        float[] x = data.inputs().clone();
        int per = image.size();
        for (int i = 0; i < data.size(); i++) {
            for (int ch = 0; ch < image.channels(); ch++) {
                int base = i * per + ch * image.plane();
                for (int dr = 0; dr < size; dr++) {
                    for (int dc = 0; dc < size; dc++) {
                        x[base + (row + dr) * image.width() + col + dc] = pixels.at(ch, dr, dc);
                    }
                }
            }
        }
        return new LabelledData(x, data.labels().clone(), data.sampleShape());
    }
}
