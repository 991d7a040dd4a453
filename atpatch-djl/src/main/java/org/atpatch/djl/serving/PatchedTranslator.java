package org.atpatch.djl.serving;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

/**
 * Translates plain Java inputs for a patched model: one sample as a {@code float[]} in row-major
 * order of the model's sample shape (for a ViT {@code (channels, size, size)}, the pixels already
 * normalised as in training), and its logits back as a {@code float[]} of the class count. Batches
 * are stacked ({@link Batchifier#STACK}), so {@code Predictor.batchPredict} runs them as one patched
 * batch: flagged samples are re-run, the others keep their unpatched logits.
 *
 * <p>Stateless and thread-safe; a {@link ai.djl.inference.Predictor} using it is not (use one per
 * thread, as DJL asks).
 */
public final class PatchedTranslator implements Translator<float[], float[]> {

    private final Shape sample;

    /**
     * @param sample one sample's input shape, without the batch axis
     */
    public PatchedTranslator(Shape sample) {
        this.sample = sample;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, float[] input) {
        if (input == null || input.length != sample.size()) {
            throw new IllegalArgumentException("an input must hold " + sample.size() + " floats (one sample shaped " + sample
                    + ", row-major), got " + (input == null ? "null" : input.length));
        }
        return new NDList(ctx.getNDManager().create(input, sample));
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
