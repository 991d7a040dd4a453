package org.atpatch.djl.serving;

import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

/**
 * Translates images for a patched image model: a DJL {@link Image} of exactly the model's size
 * becomes one sample shaped {@code (channels, size, size)}, each pixel scaled to [0, 1] (grey for one
 * channel, RGB for three), the scaling the library's families are trained with; the logits come back
 * as a {@code float[]}. Images are not resized: one of another size is refused with its size and the
 * model's. Batches are stacked, so {@code Predictor.batchPredict} runs them as one patched batch.
 *
 * <p>Stateless and thread-safe; a {@link ai.djl.inference.Predictor} using it is not (one per thread).
 */
public final class PatchedImageTranslator implements Translator<Image, float[]> {

    private final Shape sample;

    /**
     * @param sample one sample's input shape {@code (channels, height, width)}, channels 1 or 3
     * @throws IllegalArgumentException for another shape
     */
    public PatchedImageTranslator(Shape sample) {
        if (sample.dimension() != 3 || (sample.get(0) != 1 && sample.get(0) != 3)) {
            throw new IllegalArgumentException("an image model takes samples shaped (1 or 3 channels, height, width), this"
                    + " one " + sample);
        }
        this.sample = sample;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
        if (input == null) {
            throw new IllegalArgumentException("the image is null");
        }
        if (input.getHeight() != sample.get(1) || input.getWidth() != sample.get(2)) {
            throw new IllegalArgumentException("the image is " + input.getWidth() + " x " + input.getHeight()
                    + " pixels but the model takes " + sample.get(2) + " x " + sample.get(1) + ": resize it first");
        }
        Image.Flag flag = sample.get(0) == 1 ? Image.Flag.GRAYSCALE : Image.Flag.COLOR;
        NDArray hwc = input.toNDArray(ctx.getNDManager(), flag); // (H, W, C), uint8
        return new NDList(hwc.toType(DataType.FLOAT32, false).div(255f).transpose(2, 0, 1));
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList list) {
        return list.singletonOrThrow().toFloatArray();
    }

    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }
}
