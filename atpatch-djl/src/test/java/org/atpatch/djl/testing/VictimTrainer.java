package org.atpatch.djl.testing;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;
import ai.djl.training.util.ProgressBar;
import java.util.Locale;
import java.util.Random;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.LabelledData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a classifier (a victim model, backdoored or not) with softmax cross-entropy and AdamW under
 * a linear warm-up and cosine decay, a schedule that trains a small MNIST ViT to convergence in 10
 * epochs (docs/architecture.md, "Design decisions": victim training).
 * Deterministic for a seed on CPU. Evaluate with {@link org.atpatch.djl.Predictions}.
 */
public final class VictimTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(VictimTrainer.class);

    private final int epochs;
    private final int batchSize;
    private final float learningRate;
    private final float weightDecay;
    private final float warmUpEpochs;
    private final long seed;
    private final boolean progress;
    private final CropFlipAugmentation augmentation;

    private VictimTrainer(Builder b) {
        epochs = b.epochs;
        batchSize = b.batchSize;
        learningRate = b.learningRate;
        weightDecay = b.weightDecay;
        warmUpEpochs = b.warmUpEpochs;
        seed = b.seed;
        progress = b.progress;
        augmentation = b.augmentation;
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Goes into the cache key of every victim initialised by {@link #initialize}, so that cached
     * weights from an unseeded initialisation (which depended on the process's earlier random draws)
     * are never reused.
     */
    public static final String SEEDED_INIT_KEY = "|init=seeded";

    /**
     * Initialises the model's block with the engine's random generator seeded first, so that the
     * initial weights follow from the seed alone and not from whatever drew random numbers earlier in
     * the process (without it, a victim initialised inside the test JVM depends on the order in which
     * the test classes run).
     *
     * @param model the model whose block is initialised
     * @param sampleShape the shape of one input sample (the batch axis of 1 is prepended)
     * @param seed the engine seed
     */
    public static void initialize(Model model, Shape sampleShape, long seed) {
        DjlOffline.configure();
        Engine.getInstance().setRandomSeed((int) seed);
        model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1).addAll(sampleShape));
    }

    /**
     * Trains the model's (initialised) block on the data.
     *
     * @param model the model
     * @param data training inputs and labels
     * @return the mean loss of the last epoch
     */
    public float fit(Model model, LabelledData data) {
        DjlOffline.configure();
        Engine.getInstance().setRandomSeed((int) seed);
        // Parameters loaded from a file (a cached victim being fine-tuned) come without gradients.
        for (var p : model.getBlock().getParameters()) {
            Parameter parameter = p.getValue();
            if (parameter.requiresGradient() && !parameter.getArray().hasGradient()) {
                parameter.getArray().setRequiresGradient(true);
            }
        }
        int n = data.size();
        int stepsPerEpoch = (n + batchSize - 1) / batchSize;
        int totalSteps = stepsPerEpoch * epochs;
        int warmUp = Math.min(totalSteps - 1, Math.max(0, Math.round(warmUpEpochs * stepsPerEpoch)));
        Tracker cosine = CosineTracker.builder()
                .setBaseValue(learningRate)
                .optFinalValue(learningRate * 0.01f)
                .setMaxUpdates(Math.max(1, totalSteps - warmUp))
                .build();
        Tracker lr = warmUp > 0
                ? WarmUpTracker.builder().setMainTracker(cosine).optWarmUpSteps(warmUp)
                        .optWarmUpBeginValue(learningRate * 0.01f).build()
                : cosine;
        Optimizer adamW = Optimizer.adamW().optLearningRateTracker(lr).optWeightDecays(weightDecay).build();
        DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(adamW)
                .optDevices(new ai.djl.Device[] {model.getNDManager().getDevice()});
        Random random = new Random(seed);
        Random augmentRandom = new Random(~seed);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        float lastLoss = Float.NaN;
        try (Trainer trainer = model.newTrainer(config)) {
            ProgressBar bar = progress ? new ProgressBar("Training victim", totalSteps) : null;
            for (int epoch = 0; epoch < epochs; epoch++) {
                shuffle(order, random);
                double lossSum = 0;
                for (int s = 0; s < stepsPerEpoch; s++) {
                    int from = s * batchSize;
                    int to = Math.min(n, from + batchSize);
                    LabelledData batch = data.subset(java.util.Arrays.copyOfRange(order, from, to));
                    try (NDManager sub = trainer.getManager().newSubManager()) {
                        NDArray x = batch.batch(sub, 0, to - from);
                        if (augmentation != null) {
                            x = augmentation.apply(x, augmentRandom);
                        }
                        NDArray y = sub.create(batch.labels());
                        try (GradientCollector gc = trainer.newGradientCollector()) {
                            NDArray logits = trainer.forward(new NDList(x)).singletonOrThrow();
                            NDArray loss = trainer.getLoss().evaluate(new NDList(y), new NDList(logits));
                            gc.backward(loss);
                            lossSum += loss.getFloat() * (to - from);
                        }
                        trainer.step();
                    }
                    if (bar != null) {
                        bar.increment(1);
                    }
                }
                lastLoss = (float) (lossSum / n);
                LOG.info("victim epoch {}/{}: loss {}", epoch + 1, epochs, String.format(Locale.ROOT, "%.4f", lastLoss));
            }
            if (bar != null) {
                bar.end();
            }
        }
        return lastLoss;
    }

    private static void shuffle(int[] a, Random r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** Builds a {@link VictimTrainer}. */
    public static final class Builder {
        private int epochs = 10;
        private int batchSize = 128;
        private float learningRate = 2e-3f;
        private float weightDecay = 0.05f;
        private float warmUpEpochs = 0.5f;
        private long seed = 0;
        private boolean progress = true;
        private CropFlipAugmentation augmentation;

        private Builder() {}

        /** @param v epochs (default 10) @return this */
        public Builder optEpochs(int v) {
            epochs = v;
            return this;
        }

        /** @param v batch size (default 128) @return this */
        public Builder optBatchSize(int v) {
            batchSize = v;
            return this;
        }

        /** @param v peak learning rate (default 2e-3) @return this */
        public Builder optLearningRate(float v) {
            learningRate = v;
            return this;
        }

        /** @param v AdamW weight decay (default 0.05) @return this */
        public Builder optWeightDecay(float v) {
            weightDecay = v;
            return this;
        }

        /** @param v warm-up length in epochs (default 0.5) @return this */
        public Builder optWarmUpEpochs(float v) {
            warmUpEpochs = v;
            return this;
        }

        /** @param v seed for initial shuffling and the engine (default 0) @return this */
        public Builder optSeed(long v) {
            seed = v;
            return this;
        }

        /** @param v whether to show a progress bar (default true) @return this */
        public Builder optProgress(boolean v) {
            progress = v;
            return this;
        }

        /**
         * @param v augmentation applied to every training batch (default none), e.g. CIFAR's
         *     {@code CropFlipAugmentation.of(4, true)}; the draws follow from the seed
         * @return this
         */
        public Builder optAugmentation(CropFlipAugmentation v) {
            augmentation = v;
            return this;
        }

        /** @return the trainer */
        public VictimTrainer build() {
            if (epochs <= 0 || batchSize <= 0) {
                throw new IllegalArgumentException("epochs and batch size must be positive, got " + epochs + ", " + batchSize);
            }
            if (!(learningRate > 0) || !(weightDecay >= 0) || !(warmUpEpochs >= 0)) {
                throw new IllegalArgumentException("learning rate must be > 0, weight decay and warm-up >= 0");
            }
            return new VictimTrainer(this);
        }
    }
}
