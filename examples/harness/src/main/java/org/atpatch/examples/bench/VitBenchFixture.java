package org.atpatch.examples.bench;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.atpatch.core.BenignStatistics;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.PatchMode;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.patch.PatchRule;

/**
 * The MNIST-sized ViT the benchmarks time (28×28×1, patch 4 → 49 patches + CLS = N 50 (patch size
 * settable, see {@link #PATCH}), depth 4,
 * width 64, 4 heads, MLP ratio 2, 10 classes), randomly initialised with a fixed seed, its benign
 * statistics (Q and token states) from random images, and detectors that cost (almost) nothing, so
 * that what is timed is the patched model's own work.
 */
final class VitBenchFixture implements AutoCloseable {

    static final int IMAGE = 28;
    /** Patch size, 4 by default; {@code -Datpatch.bench.patch=2} gives N = 197, to see how costs scale with N. */
    static final int PATCH = Integer.getInteger("atpatch.bench.patch", 4);
    static final int DEPTH = 4;
    static final int WIDTH = 64;
    static final int HEADS = 4;
    static final int CLASSES = 10;
    /** Patches + CLS: 50 at patch 4. */
    static final int N = (IMAGE / PATCH) * (IMAGE / PATCH) + 1;
    /** The patch column the "flag everything" detectors flag (a token, never CLS at 0). */
    static final int FLAG_COLUMN = 10;

    private static final NDIndex CLS_ROW_AT_FLAG_COLUMN = new NDIndex(":, 0, " + FLAG_COLUMN);

    final Model model;
    /** Long-lived arrays of the fixture (inputs, the one-hot column); closed with the fixture. */
    final NDManager manager;
    final BenignStatistics stats;
    private final NDArray oneHot;

    private VitBenchFixture(Model model, NDManager manager, BenignStatistics stats, NDArray oneHot) {
        this.model = model;
        this.manager = manager;
        this.stats = stats;
        this.oneHot = oneHot;
    }

    /**
     * Builds the model and its benign statistics.
     *
     * @param seed the engine's random seed
     * @return the fixture
     */
    static VitBenchFixture create(int seed) {
        DjlOffline.configure();
        Engine.getInstance().setRandomSeed(seed);
        Model model = Model.newInstance("bench-vit");
        VisionTransformer vit = VisionTransformer.builder()
                .setImageSize(IMAGE)
                .setPatchSize(PATCH)
                .setDepth(DEPTH)
                .setWidth(WIDTH)
                .setHeads(HEADS)
                .setClasses(CLASSES)
                .build();
        model.setBlock(vit);
        vit.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, IMAGE, IMAGE));
        NDManager manager = model.getNDManager().newSubManager();
        BenignStatistics stats = BenignStatistics.empty(DEPTH, HEADS, N, WIDTH);
        try (NDManager tmp = manager.newSubManager()) {
            for (int i = 0; i < 4; i++) {
                AttentionRecorder.record(model, images(tmp, 32), true).accumulateInto(stats);
            }
        }
        float[] hot = new float[N];
        hot[FLAG_COLUMN] = 1f;
        NDArray oneHot = manager.create(hot);
        return new VitBenchFixture(model, manager, stats, oneHot);
    }

    /**
     * Random images in [0, 1), created natively (no direct buffer per call).
     *
     * @param m the manager
     * @param batch the batch size
     * @return {@code (batch, 1, 28, 28)}
     */
    static NDArray images(NDManager m, int batch) {
        return m.randomUniform(0, 1, new Shape(batch, 1, IMAGE, IMAGE));
    }

    /**
     * @return a detector that never flags: probability 0 on every column, one allocation per call
     *     (the overhead targets exclude the detector's cost; the stub does not read the maps, so it
     *     adds almost no ops)
     */
    static ColumnDetector flagsNothing() {
        return new ConstantDetector(null);
    }

    /** @return a detector that flags {@link #FLAG_COLUMN} of every sample at every layer (two ops per call) */
    ColumnDetector flagsEverySample() {
        return new ConstantDetector(oneHot);
    }

    /** The same probabilities for every sample and layer: zeros, plus a one-hot row if given. */
    private record ConstantDetector(NDArray row) implements ColumnDetector {

        @Override
        public NDArray detect(NDArray maps, int layer) {
            return of(maps.getManager().zeros(new Shape(maps.getShape().get(0), maps.getShape().get(2))));
        }

        @Override
        public NDArray detectAll(List<NDArray> headAveragedPerLayer) {
            Shape one = headAveragedPerLayer.get(0).getShape();
            return of(headAveragedPerLayer.get(0).getManager().zeros(
                    new Shape(one.get(0), headAveragedPerLayer.size(), one.get(2))));
        }

        /** The zeros come first, so the result lands in the call's manager. */
        private NDArray of(NDArray zeros) {
            return row == null ? zeros : zeros.add(row);
        }
    }

    /**
     * A detector that flags {@link #FLAG_COLUMN} of the samples whose CLS row puts at least the
     * batch's mean weight on it: about half of a batch, always at least one sample.
     *
     * @return the detector
     */
    ColumnDetector flagsSomeSamples() {
        return (maps, layer) -> {
            NDArray col = maps.get(CLS_ROW_AT_FLAG_COLUMN); // (B)
            NDArray hit = col.gte(col.mean()).toType(DataType.FLOAT32, false).expandDims(1); // (B, 1)
            return hit.mul(oneHot); // (B, N)
        };
    }

    /**
     * @param detector the detector
     * @param rule the patch rule
     * @return a patched model of this fixture's model
     */
    PatchedModel patched(ColumnDetector detector, PatchRule rule) {
        return patched(detector, rule, PatchMode.TWO_PASS);
    }

    /**
     * @param detector the column detector
     * @param rule the patch rule
     * @param mode two-pass or streaming
     * @return a patched model of the fixture's ViT and statistics
     */
    PatchedModel patched(ColumnDetector detector, PatchRule rule, PatchMode mode) {
        return PatchedModel.builder()
                .setModel(model)
                .setDetector(detector)
                .setBenignStatistics(stats)
                .optPatchRule(rule)
                .optMode(mode)
                .build();
    }

    /**
     * The unpatched forward, as the patched model runs it: a per-call sub-manager, closed before
     * returning; the logits are copied to the host.
     *
     * @param x the batch
     * @return the logits
     */
    float[] unpatchedLogits(NDArray x) {
        try (NDManager sub = x.getManager().newSubManager()) {
            x.tempAttach(sub);
            return model.getBlock().forward(new ParameterStore(sub, false), new NDList(x), false)
                    .singletonOrThrow()
                    .toFloatArray();
        }
    }

    @Override
    public void close() {
        manager.close();
        model.close();
    }
}
