package org.atpatch.examples.attack;

import ai.djl.ndarray.types.Shape;

/**
 * The geometry of one image sample, {@code (channels, height, width)}, as the attacks read it from
 * {@link org.atpatch.djl.LabelledData#sampleShape()}.
 *
 * @param channels colour channels
 * @param height rows
 * @param width columns
 */
public record ImageShape(int channels, int height, int width) {

    /** Validates the sizes. */
    public ImageShape {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image sizes must be positive, got (" + channels + ", " + height + ", " + width + ")");
        }
    }

    /**
     * @param sampleShape a sample shape
     * @return its image geometry
     * @throws IllegalArgumentException when the shape is not {@code (C, H, W)}
     */
    public static ImageShape of(Shape sampleShape) {
        if (sampleShape.dimension() != 3) {
            throw new IllegalArgumentException("attacks need image samples shaped (C, H, W), got " + sampleShape);
        }
        return new ImageShape((int) sampleShape.get(0), (int) sampleShape.get(1), (int) sampleShape.get(2));
    }

    /** @return pixels per channel */
    public int plane() {
        return height * width;
    }

    /** @return values per sample */
    public int size() {
        return channels * plane();
    }

    /** @return the shape as a DJL sample shape */
    public Shape toShape() {
        return new Shape(channels, height, width);
    }
}
