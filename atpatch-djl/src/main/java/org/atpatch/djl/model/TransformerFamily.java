package org.atpatch.djl.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import org.atpatch.djl.interception.InterceptableTransformer;

/**
 * The encoder sizes a shipped family is built with ({@link EncoderBuilder}) and the accessors and
 * output shape they give: logits {@code (batch, classes)}. Every shipped family (ViT, FT-Transformer,
 * TabTransformer, TaBERT-style, T2T-ViT, Swin) extends it; none can be extended outside this
 * package.
 *
 * <p>A family numbers its attention layers when it is built, so interceptors work on it at once.
 * It is not thread-safe while it is initialised, trained or loaded; once initialised, its forward
 * may run on several threads at once, each with its own {@code ParameterStore}.
 */
public abstract class TransformerFamily extends AbstractBlock implements InterceptableTransformer {

    final int depth;
    final int width;
    final int heads;
    final double mlpRatio;
    final int classes;

    TransformerFamily(EncoderBuilder<?> sizes) {
        depth = sizes.depth;
        width = sizes.width;
        heads = sizes.heads;
        mlpRatio = sizes.mlpRatio;
        classes = sizes.classes;
    }

    @Override
    public int depth() {
        return depth;
    }

    @Override
    public int heads() {
        return heads;
    }

    @Override
    public int width() {
        return width;
    }

    /** @return the MLP hidden width as a multiple of the width */
    public double mlpRatio() {
        return mlpRatio;
    }

    /** @return the number of classes */
    public int classes() {
        return classes;
    }

    /**
     * Checks a batch's shape against {@link #sampleInputShape()}.
     *
     * @param s the input's shape
     * @param what what the input holds, for the message (e.g. "images", "features (2 numeric, ...)")
     * @throws IllegalArgumentException naming the expected and the given shape
     */
    void requireInput(Shape s, String what) {
        Shape sample = sampleInputShape();
        if (s.dimension() != sample.dimension() + 1 || !s.slice(1).equals(sample)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " expects " + what + " shaped (batch, "
                    + sample.toString().replaceAll("[()]", "") + "), got " + s);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), classes)};
    }
}
