package org.atpatch.djl.serving;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.atpatch.djl.PatchedModel;

/**
 * A DJL block whose forward is {@link PatchedModel#predict}: the patched model as the block of a DJL
 * {@link ai.djl.Model}, so that {@code model.newPredictor(translator)} serves it through DJL's
 * {@link ai.djl.inference.Predictor}. Input: one batch {@code (batch, sample...)}; output: logits
 * {@code (batch, classes)} in the input's manager. It has no parameters of its own (the victim's stay
 * in the victim's model) and cannot be trained or saved.
 *
 * <p>Thread-safe as {@link PatchedModel#predict} is.
 */
final class PatchedBlock extends AbstractBlock {

    private final PatchedModel patched;
    private final Shape sample;
    private final long classes;

    PatchedBlock(PatchedModel patched, Shape sample, long classes) {
        this.patched = patched;
        this.sample = sample;
        this.classes = classes;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        if (training) {
            throw new UnsupportedOperationException("a patched model serves inference only");
        }
        return new NDList(patched.predict(inputs.singletonOrThrow()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), classes)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        // nothing: the victim is initialised in its own model
    }

    /** @return one sample's input shape, without the batch axis */
    Shape sampleShape() {
        return sample;
    }
}
