package org.atpatch.spark;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.atpatch.djl.PatchReport;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.interception.InterceptableTransformer;

/**
 * One JVM's scoring model: the victim with its weights and, unless unpatched, its patched model.
 * Thread-safe; closing frees the patched model and the victim.
 */
final class LoadedModel implements AutoCloseable {

    private final Model model;
    private final PatchedModel patched;
    private final Shape sampleShape;
    private final int sampleSize;

    private LoadedModel(Model model, PatchedModel patched, Shape sampleShape) {
        this.model = model;
        this.patched = patched;
        this.sampleShape = sampleShape;
        this.sampleSize = Math.toIntExact(sampleShape.size());
    }

    /**
     * Builds the model, reads its weights and its bundle, and checks that they fit.
     *
     * @param source the factory and files
     * @param conf Hadoop's configuration
     * @return the loaded model
     * @throws IOException when a file is missing or unreadable
     * @throws IllegalArgumentException when the weights, the bundle or the sample shape do not fit the model
     */
    static LoadedModel load(ModelSource source, Configuration conf) throws IOException {
        Model model = source.factory().newModel();
        if (model == null || model.getBlock() == null || !model.getBlock().isInitialized()) {
            if (model != null) {
                model.close();
            }
            throw new IllegalArgumentException("the model factory must return a model with its block set and initialised");
        }
        try {
            Shape shape = sampleShape(model.getBlock(), source.sampleShape());
            try (InputStream in = HadoopFiles.open(source.weights(), conf, "weights file")) {
                ModelWeights.load(model, in, source.weights());
            }
            PatchedModel patched = null;
            if (source.bundle() != null) {
                Path local = HadoopFiles.copyToLocal(source.bundle(), conf, "patch bundle");
                try {
                    patched = PatchedModel.load(local, model);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("the patch bundle at " + source.bundle() + " does not match the model"
                            + " (weights " + source.weights() + "): " + e.getMessage(), e);
                } catch (IOException e) {
                    throw new IOException("the patch bundle at " + source.bundle() + " cannot be loaded: " + e.getMessage(), e);
                } finally {
                    Files.deleteIfExists(local);
                }
            }
            return new LoadedModel(model, patched, shape);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static Shape sampleShape(Block block, long[] given) {
        Shape own = block instanceof InterceptableTransformer t ? t.sampleInputShape() : null;
        if (given == null) {
            if (own == null) {
                throw new IllegalArgumentException("the model is not one of AtPatch's families, so its input shape is"
                        + " unknown: set it with optSampleShape");
            }
            return own;
        }
        Shape set = new Shape(given);
        if (own != null && !own.equals(set)) {
            throw new IllegalArgumentException("the sample shape " + set + " was set but the model expects " + own);
        }
        return set;
    }

    /** @return how many values one sample has (the input column's array length) */
    int sampleSize() {
        return sampleSize;
    }

    /** @return one sample's input shape */
    Shape sampleShape() {
        return sampleShape;
    }

    /** @return whether the scores come from a patched model */
    boolean isPatched() {
        return patched != null;
    }

    /**
     * Scores a batch in one call of the patched model (or of the victim's forward, unpatched).
     *
     * @param inputs the samples, flattened row-major, back to back
     * @param rows how many samples
     * @return the logits and, when patched, a report per sample
     * @throws IllegalArgumentException when the model refuses the batch (a NaN or Inf in its maps or logits)
     */
    Batch score(float[] inputs, int rows) {
        try (NDManager m = model.getNDManager().newSubManager()) {
            NDArray x = m.create(inputs, new Shape(rows).addAll(sampleShape));
            if (patched != null) {
                PatchResult r = patched.predictWithReport(x);
                return new Batch(r.logits().toFloatArray(), rows, r.reports());
            }
            NDArray logits = model.getBlock().forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow();
            return new Batch(logits.toFloatArray(), rows, null);
        }
    }

    @Override
    public void close() {
        if (patched != null) {
            patched.close();
        }
        model.close();
    }

    /**
     * A scored batch.
     *
     * @param logits {@code (rows, classes)}, row-major
     * @param rows the batch size
     * @param reports one per sample when patched, else null
     */
    record Batch(float[] logits, int rows, List<PatchReport> reports) {

        /** @return classes per sample */
        int classes() {
            return logits.length / rows;
        }
    }
}
