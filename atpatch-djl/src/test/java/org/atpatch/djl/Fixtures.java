package org.atpatch.djl;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.engine.Engine;
import org.atpatch.core.AttentionTrace;
import org.atpatch.core.BenignStatistics;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.detector.DjlOffline;

/** Small models, scripted detectors and benign statistics for the adapter's tests. */
final class Fixtures {

    static final int IMAGE = 8;
    static final int PATCH = 2;
    static final int DEPTH = 3;
    static final int WIDTH = 16;
    static final int HEADS = 2;
    static final int CLASSES = 4;
    /** 16 patches + CLS. */
    static final int N = 17;

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
    static Model vitModel() {
        Engine.getInstance().setRandomSeed(42);
        Model model = Model.newInstance("tiny-vit");
        VisionTransformer vit = vit();
        model.setBlock(vit);
        vit.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, IMAGE, IMAGE));
        return model;
    }

    static NDArray images(NDManager m, int batch, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        return m.randomUniform(0, 1, new Shape(batch, 1, IMAGE, IMAGE));
    }

    /** Q and token states of the model on random images. */
    static BenignStatistics benign(Model model, NDManager m) {
        BenignStatistics stats = BenignStatistics.empty(DEPTH, HEADS, N, WIDTH);
        AttentionTrace t = AttentionRecorder.record(model, images(m, 16, 7), true);
        t.accumulateInto(stats);
        return stats;
    }

    /**
     * A detector that ignores the maps and returns, for sample {@code b} of the batch, probability
     * 0.9 on the columns {@code columns[b]} at every layer (0.01 elsewhere).
     */
    static ColumnDetector scripted(int[][] columns) {
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
