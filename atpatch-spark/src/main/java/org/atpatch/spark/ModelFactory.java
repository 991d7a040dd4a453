package org.atpatch.spark;

import ai.djl.Model;
import java.io.Serializable;

/**
 * Builds the victim's architecture in each JVM that scores: Spark ships the factory to the
 * executors, so it must be serializable (a method reference or a lambda that captures only
 * serializable values, such as the builder's sizes).
 *
 * <p>Example: {@code () -> { Model m = Model.newInstance("victim"); VisionTransformer vit = ...build();
 * m.setBlock(vit); vit.initialize(m.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 28, 28)); return m; }}
 */
@FunctionalInterface
public interface ModelFactory extends Serializable {

    /**
     * Called once per JVM and set of files.
     *
     * @return a new model whose block is built and initialised with the victim's architecture; its
     *     weights are then replaced by the weights file's, and the model is closed with the JVM's cache
     */
    Model newModel();
}
