package org.atpatch.examples.baseline;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Supplier;
import org.atpatch.djl.interception.InterceptableTransformer;

/** Copies a model: a fresh block of its architecture holding its parameters, in a model of its own. */
final class ModelCopy {

    private ModelCopy() {}

    /**
     * @param victim the initialised model copied; read only
     * @param architecture builds a fresh block of the victim's architecture
     * @param sampleShape one input's shape (the batch axis is prepended for initialisation)
     * @param name the copy's model name
     * @return the copy; the caller closes it
     * @throws IllegalArgumentException when the fresh block's architecture differs from the victim's
     */
    static Model of(Model victim, Supplier<? extends Block> architecture, Shape sampleShape, String name) {
        Block fresh = architecture.get();
        if (victim.getBlock() instanceof InterceptableTransformer v && fresh instanceof InterceptableTransformer f
                && !v.fingerprint().equals(f.fingerprint())) {
            throw new IllegalArgumentException("the architecture builds " + f.fingerprint() + ", the victim is "
                    + v.fingerprint());
        }
        Model copy = Model.newInstance(name);
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            victim.getBlock().saveParameters(new DataOutputStream(bytes));
            copy.setBlock(fresh);
            fresh.initialize(copy.getNDManager(), DataType.FLOAT32, new Shape(1).addAll(sampleShape));
            fresh.loadParameters(copy.getNDManager(), new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            return copy;
        } catch (IOException e) {
            copy.close();
            throw new UncheckedIOException("copying the victim's parameters failed", e);
        } catch (ai.djl.MalformedModelException | RuntimeException e) {
            copy.close();
            throw new IllegalArgumentException("the architecture does not hold the victim's parameters: " + e.getMessage(), e);
        }
    }
}
