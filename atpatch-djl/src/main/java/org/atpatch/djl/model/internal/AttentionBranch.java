package org.atpatch.djl.model.internal;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;

/**
 * The attention branch of a {@link PreNormEncoderLayer} when it is more than one attention block:
 * it takes the normalised tokens {@code (B, N, width)} and returns the term added to the residual
 * stream, {@code (B, N, width)}.
 *
 * <p>Not thread-safe while it is built, initialised or loaded; once initialised its forward may
 * run on several threads at once.
 */
abstract class AttentionBranch extends AbstractBlock {

    /** @return the input shape: the branch keeps the tokens' shape */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /**
     * Takes the layer's input shapes, when a stream of a layout that had no header for this block
     * was loaded into a layer that was not initialised first ({@link ParameterLayout.Step#ADDED}).
     *
     * @param shapes the layer's input shapes
     */
    final void adoptInputShapes(Shape[] shapes) {
        if (inputShapes == null) {
            inputShapes = shapes.clone();
        }
    }
}
