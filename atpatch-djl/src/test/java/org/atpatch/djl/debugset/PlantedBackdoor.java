package org.atpatch.djl.debugset;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.atpatch.djl.Predictions;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.testing.VictimTrainer;

/**
 * A tiny backdoored victim for the inversion tests: 16×16 one-channel images of oriented gratings
 * (class k: orientation k·180°/CLASSES, random phase, noise), a 2-layer width-32 ViT with 4×4
 * patches (16 tokens + CLS), and a BadNets white 3×3 square in the bottom-right corner (rows and
 * columns 13–15, all inside the last patch, column 16) poisoning 10 % of the training set to TARGET.
 * Built once per JVM and shared (training takes seconds); {@link #clean()} is the same model trained
 * on the same data without poisoning. The victim learns both the task and the
 * backdoor almost perfectly, and inverting all six classes with the default settings flags the
 * target, with a mask far smaller than any clean class's and nearly all of it in the trigger's
 * patch.
 */
public final class PlantedBackdoor {

    static final int IMAGE = 16;
    static final int PATCH = 4;
    static final int CLASSES = 6;
    public static final int TARGET = 2;
    static final int TRIGGER_ROW = 13;
    static final int TRIGGER_COL = 13;
    static final int TRIGGER_SIZE = 3;
    static final Shape SHAPE = new Shape(1, IMAGE, IMAGE);
    /** The token column of the patch holding the trigger (rows/cols 12–15). */
    static final int TRIGGER_COLUMN = 16;

    static {
        DjlOffline.configure();
    }

    private static PlantedBackdoor instance;
    private static PlantedBackdoor clean;

    public final Model model;
    final LabelledData train;
    public final LabelledData test;
    public final Trigger trueTrigger;
    final double cleanAccuracy;
    final double attackSuccess;
    final double trainSeconds;

    private PlantedBackdoor(double poisonRate) {
        trueTrigger = Trigger.square(TARGET, TRIGGER_ROW, TRIGGER_COL, TRIGGER_SIZE, 1f, SHAPE);
        LabelledData clean = gratings(3000, 11);
        test = gratings(600, 12);
        train = poison(clean, poisonRate, 13);
        Engine.getInstance().setRandomSeed(5);
        model = Model.newInstance("planted-backdoor");
        VisionTransformer vit = VisionTransformer.builder().setImageSize(IMAGE).setPatchSize(PATCH).setDepth(2)
                .setWidth(32).setHeads(4).setClasses(CLASSES).build();
        model.setBlock(vit);
        vit.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, IMAGE, IMAGE));
        long t0 = System.nanoTime();
        VictimTrainer.builder().optEpochs(8).optBatchSize(64).optLearningRate(2e-3f).optSeed(7)
                .optProgress(false).build().fit(model, train);
        trainSeconds = (System.nanoTime() - t0) / 1e9;
        int[] p = Predictions.classes(model, test, 256);
        int ok = 0;
        for (int i = 0; i < p.length; i++) {
            ok += p[i] == test.labels()[i] ? 1 : 0;
        }
        cleanAccuracy = ok / (double) p.length;
        LabelledData others = test.subset(java.util.stream.IntStream.range(0, test.size())
                .filter(i -> test.labels()[i] != TARGET).toArray());
        int[] pt = Predictions.classes(model, trueTrigger.apply(others), 256);
        int hit = 0;
        for (int v : pt) {
            hit += v == TARGET ? 1 : 0;
        }
        attackSuccess = hit / (double) pt.length;
    }

    public static synchronized PlantedBackdoor get() {
        if (instance == null) {
            instance = new PlantedBackdoor(0.1);
        }
        return instance;
    }

    /** @return the same victim trained the same way without poisoning: a model with no backdoor */
    public static synchronized PlantedBackdoor clean() {
        if (clean == null) {
            clean = new PlantedBackdoor(0);
        }
        return clean;
    }

    /** Oriented gratings: class k has orientation k·π/CLASSES, period 8 px, random phase, noise 0.05. */
    static LabelledData gratings(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * IMAGE * IMAGE];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(CLASSES);
            y[i] = k;
            double theta = Math.PI * k / CLASSES;
            double phase = r.nextDouble() * 2 * Math.PI;
            double cx = Math.cos(theta);
            double sy = Math.sin(theta);
            for (int row = 0; row < IMAGE; row++) {
                for (int col = 0; col < IMAGE; col++) {
                    double v = 0.5 + 0.3 * Math.sin(2 * Math.PI * (col * cx + row * sy) / 8.0 + phase)
                            + 0.05 * r.nextGaussian();
                    x[i * IMAGE * IMAGE + row * IMAGE + col] = (float) Math.max(0, Math.min(1, v));
                }
            }
        }
        return new LabelledData(x, y, SHAPE);
    }

    /** BadNets: a seeded {@code rate} of the samples get the trigger and the target label. */
    LabelledData poison(LabelledData data, double rate, long seed) {
        Random r = new Random(seed);
        float[] x = data.inputs().clone();
        int[] y = data.labels().clone();
        int per = data.sampleSize();
        for (int i = 0; i < data.size(); i++) {
            if (r.nextDouble() < rate) {
                float[] t = trueTrigger.apply(data.sample(i));
                System.arraycopy(t, 0, x, i * per, per);
                y[i] = TARGET;
            }
        }
        return new LabelledData(x, y, SHAPE);
    }
}
