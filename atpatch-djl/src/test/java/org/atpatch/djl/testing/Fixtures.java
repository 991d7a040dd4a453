package org.atpatch.djl.testing;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.atpatch.core.AttentionTrace;
import org.atpatch.core.BenignStatistics;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.model.VisionTransformer;

/** Small models, scripted detectors and benign statistics for the adapter's tests. */
public final class Fixtures {

    public static final int IMAGE = 8;
    public static final int PATCH = 2;
    public static final int DEPTH = 3;
    public static final int WIDTH = 16;
    public static final int HEADS = 2;
    public static final int CLASSES = 4;
    /** 16 patches + CLS. */
    public static final int N = 17;

    static {
        DjlOffline.configure();
    }

    private Fixtures() {}

    static VisionTransformer vit() {
        return VisionTransformer.builder()
                .setImageSize(IMAGE)
                .setPatchSize(PATCH)
                .setDepth(DEPTH)
                .setWidth(WIDTH)
                .setHeads(HEADS)
                .setClasses(CLASSES)
                .build();
    }

    /** A randomly initialised tiny ViT; seeded. */
    public static Model vitModel() {
        return vitModel(42);
    }

    /** @param seed the engine seed for the initial weights @return a randomly initialised tiny ViT */
    public static Model vitModel(int seed) {
        Engine.getInstance().setRandomSeed(seed);
        Model model = Model.newInstance("tiny-vit");
        VisionTransformer vit = vit();
        model.setBlock(vit);
        vit.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, IMAGE, IMAGE));
        return model;
    }

    public static NDArray images(NDManager m, int batch, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        return m.randomUniform(0, 1, new Shape(batch, 1, IMAGE, IMAGE));
    }

    /** Q and token states of the model on random images. */
    public static BenignStatistics benign(Model model, NDManager m) {
        BenignStatistics stats = BenignStatistics.empty(DEPTH, HEADS, N, WIDTH);
        AttentionTrace t = AttentionRecorder.record(model, images(m, 16, 7), true);
        t.accumulateInto(stats);
        return stats;
    }

    /**
     * A detector that ignores the maps and returns, for sample {@code b} of the batch, probability
     * 0.9 on the columns {@code columns[b]} at every layer (0.01 elsewhere).
     */
    public static ColumnDetector scripted(int[][] columns) {
        return new ColumnDetector() {
            @Override
            public NDArray detect(NDArray maps, int layer) {
                long b = maps.getShape().get(0);
                long n = maps.getShape().get(1);
                if (b != columns.length) {
                    throw new IllegalStateException("scripted for " + columns.length + " samples, got " + b);
                }
                float[] p = new float[(int) (b * n)];
                java.util.Arrays.fill(p, 0.01f);
                for (int s = 0; s < b; s++) {
                    for (int c : columns[s]) {
                        p[(int) (s * n + c)] = 0.9f;
                    }
                }
                return maps.getManager().create(p, new Shape(b, n));
            }
        };
    }
}
