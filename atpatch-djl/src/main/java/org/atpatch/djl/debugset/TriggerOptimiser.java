package org.atpatch.djl.debugset;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.atpatch.djl.LabelledData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Solves Eq. 3 for several candidate classes at once on a frozen victim. Each step stamps one clean
 * batch with every active class's trigger, {@code x′ = x + M ⊙ (Δ − x)}, runs the victim on the
 * stacked {@code (classes × batch)} inputs, and minimises, per class, the cross-entropy to its target
 * over the inputs of other classes plus {@code λ_c · ‖M_c‖₁}. Only the raw mask and pattern receive
 * gradients (the victim's weights come from a {@link FrozenParameterStore}); Adam updates them on the
 * host. Every step runs in its own NDManager scope.
 */
final class TriggerOptimiser {

    private static final Logger LOG = LoggerFactory.getLogger(TriggerOptimiser.class);
    /** Gradients (and mask norms) beyond this are garbage, not signal: the loss is a mean CE plus λ·‖M‖₁. */
    static final float GRADIENT_LIMIT = 1e6f;
    private static final int MAX_BAD_STEPS = 5;

    private final Model model;
    private final Block block;
    private final LabelledData data;
    private final int[] pool;
    private final TriggerInversion config;
    private final int classes;
    private final int channels;
    private final int height;
    private final int width;
    private final Random random;
    private int cursor;
    private int badSteps;

    TriggerOptimiser(Model model, LabelledData data, int[] pool, int classes, TriggerInversion config, Random random) {
        this.model = model;
        this.block = model.getBlock();
        this.data = data;
        this.pool = pool.clone();
        this.config = config;
        this.classes = classes;
        long[] s = data.sampleShape().getShape();
        this.channels = (int) s[0];
        this.height = (int) s[1];
        this.width = (int) s[2];
        this.random = random;
        shuffle();
    }

    /** Runs rounds until every search is done or the round budget is spent. */
    void run(List<ClassSearch> searches) {
        for (int round = 0; round < config.maxRounds; round++) {
            List<ClassSearch> active = new ArrayList<>();
            for (ClassSearch s : searches) {
                if (!s.done) {
                    active.add(s);
                }
            }
            if (active.isEmpty()) {
                return;
            }
            for (int b = 0; b < config.batchesPerRound; b++) {
                step(active, nextBatch());
            }
            for (ClassSearch s : active) {
                s.endRound();
            }
        }
    }

    private int[] nextBatch() {
        int size = Math.min(config.batchSize, pool.length);
        int[] batch = new int[size];
        for (int i = 0; i < size; i++) {
            if (cursor == pool.length) {
                shuffle();
            }
            batch[i] = pool[cursor++];
        }
        return batch;
    }

    private void shuffle() {
        for (int i = pool.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
        }
        cursor = 0;
    }

    /** What one step computed for the active classes, before the update. */
    record Gradients(float[] maskGrad, float[] patternGrad, float[] l1, long[] predicted, float[] weights, int batch) {}

    private void step(List<ClassSearch> active, int[] batch) {
        LabelledData x = data.subset(batch);
        int perChunk = Math.max(1, config.maxStackedInputs / batch.length);
        for (int from = 0; from < active.size(); from += perChunk) {
            step(active.subList(from, Math.min(active.size(), from + perChunk)), x);
        }
    }

    private void step(List<ClassSearch> active, LabelledData x) {
        Gradients g = gradients(active, x);
        if (!plausible(g)) {
            badSteps++;
            LOG.warn("discarding an optimisation step with non-finite or implausible (|g| > {}) gradients ({} in a row)",
                    GRADIENT_LIMIT, badSteps);
            if (badSteps >= MAX_BAD_STEPS) {
                throw new IllegalStateException(MAX_BAD_STEPS + " optimisation steps in a row produced non-finite or"
                        + " implausible gradients: the victim's outputs or gradients are not finite on these inputs");
            }
            return;
        }
        badSteps = 0;
        int b = g.batch();
        for (int k = 0; k < active.size(); k++) {
            ClassSearch s = active.get(k);
            int hits = 0;
            int counted = 0;
            for (int i = 0; i < b; i++) {
                if (g.weights()[k * b + i] > 0) {
                    counted++;
                    hits += g.predicted()[k * b + i] == s.target ? 1 : 0;
                }
            }
            s.update(g.maskGrad(), g.patternGrad(), k, counted == 0 ? Double.NaN : hits / (double) counted, g.l1()[k]);
        }
    }

    /**
     * Gradients of Eq. 3's loss with respect to the raw masks and patterns of the active classes, on one batch.
     *
     * @param active the classes being optimised
     * @param x the clean batch
     * @return gradients, mask norms and predictions on the stamped batch
     */
    Gradients gradients(List<ClassSearch> active, LabelledData x) {
        int a = active.size();
        int b = x.size();
        int plane = height * width;
        int size = channels * plane;
        float[] maskRaw = new float[a * plane];
        float[] patternRaw = new float[a * size];
        float[] onehot = new float[a * classes];
        float[] weights = new float[a * b];
        float[] weightSums = new float[a];
        float[] costs = new float[a];
        for (int k = 0; k < a; k++) {
            ClassSearch s = active.get(k);
            System.arraycopy(s.maskRaw, 0, maskRaw, k * plane, plane);
            System.arraycopy(s.patternRaw, 0, patternRaw, k * size, size);
            onehot[k * classes + s.target] = 1f;
            for (int i = 0; i < b; i++) {
                if (x.labels()[i] != s.target) {
                    weights[k * b + i] = 1f;
                    weightSums[k]++;
                }
            }
            weightSums[k] = Math.max(1f, weightSums[k]);
            costs[k] = (float) s.cost;
        }
        float[] maskGrad;
        float[] patternGrad;
        float[] l1;
        long[] predicted;
        try (NDManager sub = model.getNDManager().newSubManager()) {
            NDArray clean = x.batch(sub, 0, b).expandDims(0); // (1, B, C, H, W)
            NDArray mRaw = sub.create(maskRaw, new Shape(a, 1, 1, height, width));
            NDArray pRaw = sub.create(patternRaw, new Shape(a, 1, channels, height, width));
            mRaw.setRequiresGradient(true);
            pRaw.setRequiresGradient(true);
            NDArray target = sub.create(onehot, new Shape(a, 1, classes));
            NDArray w = sub.create(weights, new Shape(a, b));
            NDArray wSum = sub.create(weightSums, new Shape(a));
            NDArray lambda = sub.create(costs, new Shape(a));
            NDArray one = sub.full(new Shape(), 1f);
            NDArray halfSpan = sub.full(new Shape(), (float) (0.5 * (config.patternHigh - config.patternLow)));
            NDArray low = sub.full(new Shape(), (float) config.patternLow);
            FrozenParameterStore store = new FrozenParameterStore(sub);
            try (GradientCollector gc = sub.getEngine().newGradientCollector()) {
                NDArray mask = Activation.sigmoid(mRaw);
                if (config.maskSupport != null) {
                    mask = mask.mul(sub.create(config.maskSupport, new Shape(1, 1, 1, height, width)));
                }
                // Scalars as arrays of this step's scope: DJL's x.mul(Number) makes a scalar array
                // that it closes at once, while autograd still needs it for the backward pass.
                NDArray pattern = pRaw.tanh().add(one).mul(halfSpan).add(low);
                NDArray stamped = clean.add(mask.mul(pattern.sub(clean))); // (a, B, C, H, W)
                NDArray logits = block.forward(store,
                        new NDList(stamped.reshape(a * (long) b, channels, height, width)), false)
                        .singletonOrThrow().reshape(a, b, classes);
                NDArray nll = logits.logSoftmax(2).mul(target).sum(new int[] {2}).neg(); // (a, B)
                NDArray ce = nll.mul(w).sum(new int[] {1}).div(wSum); // (a)
                NDArray norm = mask.sum(new int[] {1, 2, 3, 4}); // (a)
                NDArray loss = ce.add(norm.mul(lambda)).sum();
                gc.backward(loss);
                maskGrad = mRaw.getGradient().toFloatArray();
                patternGrad = pRaw.getGradient().toFloatArray();
                l1 = norm.toFloatArray();
                predicted = logits.argMax(2).toLongArray();
            }
        }
        return new Gradients(maskGrad, patternGrad, l1, predicted, weights, b);
    }

    private static boolean plausible(Gradients g) {
        return bounded(g.maskGrad()) && bounded(g.patternGrad()) && bounded(g.l1());
    }

    private static boolean bounded(float[] v) {
        for (float f : v) {
            if (!(Math.abs(f) <= GRADIENT_LIMIT)) {
                return false; // NaN fails this test too
            }
        }
        return true;
    }

    /**
     * Predicted classes of the victim, without building a graph.
     *
     * @param model the victim
     * @param inputs the inputs
     * @param batchSize batch size
     * @return argmax class per input
     */
    static int[] predict(Model model, LabelledData inputs, int batchSize) {
        int[] out = new int[inputs.size()];
        for (int from = 0; from < inputs.size(); from += batchSize) {
            int to = Math.min(inputs.size(), from + batchSize);
            try (NDManager sub = model.getNDManager().newSubManager()) {
                NDArray logits = model.getBlock().forward(new FrozenParameterStore(sub),
                        new NDList(inputs.batch(sub, from, to)), false).singletonOrThrow();
                long[] arg = logits.argMax(1).toLongArray();
                for (int i = 0; i < arg.length; i++) {
                    out[from + i] = (int) arg[i];
                }
            }
        }
        return out;
    }

    /**
     * The number of output classes, from one forward pass.
     *
     * @param model the victim
     * @param data data whose first sample is used
     * @return the logits' width
     */
    static int probeClasses(Model model, LabelledData data) {
        try (NDManager sub = model.getNDManager().newSubManager()) {
            NDArray logits;
            try {
                logits = model.getBlock().forward(new FrozenParameterStore(sub),
                        new NDList(data.batch(sub, 0, 1)), false).singletonOrThrow();
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("the victim rejected inputs shaped " + new Shape(1).addAll(data.sampleShape())
                        + ": " + e.getMessage(), e);
            }
            Shape s = logits.getShape();
            if (s.dimension() != 2 || s.get(0) != 1 || s.get(1) < 2) {
                throw new IllegalArgumentException("the victim must output logits shaped (batch, classes >= 2), got " + s);
            }
            return (int) s.get(1);
        }
    }
}
