package org.atpatch.examples.attack;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.stream.IntStream;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.FrozenParameterStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saha et al.'s poison crafting for {@link CleanLabelHiddenTrigger}: target-class training images
 * {@code t} become poisons {@code z = clip(t + δ, 0, 1)}, {@code ‖δ‖∞ ≤ ε}, whose clean-model features
 * {@code f(z)} ({@link HiddenUnits#deepest}) lie near those of patched images of other classes.
 *
 * <p>The poisons are crafted in chunks of {@link Options#batch} images. At every step of a chunk a new
 * batch of as many non-target training images is patched at random positions, each poison is paired
 * with the patched image nearest to it in feature space, and δ takes a signed gradient step on the
 * mean squared feature distance {@code ‖f(z) − f(s̃)‖²}, then is projected back into the ε-ball and the
 * unit interval. The step falls linearly from {@link Options#stepSize} at the first step to a tenth of
 * it at the last. The model's weights are read through a
 * {@link FrozenParameterStore} and never change.
 */
public final class FeatureCollision {

    private static final Logger LOG = LoggerFactory.getLogger(FeatureCollision.class);

    private FeatureCollision() {}

    /**
     * The crafting settings.
     *
     * @param share the share of the target class's training images made into poisons, in {@code (0, 1]}
     * @param epsilon the L∞ budget of each perturbation, in {@code (0, 1]}; Saha et al. use 16/255
     * @param steps gradient steps per chunk, at least 1
     * @param stepSize the first signed step's size, in {@code (0, epsilon]}
     * @param batch poisons per chunk and patched sources per step, at least 1
     * @param seed the seed of the poison draw, the source batches and their patch positions
     */
    public record Options(double share, double epsilon, int steps, double stepSize, int batch, long seed) {

        /** Saha et al.'s budget, 16/255. */
        public static final double EPSILON = 16.0 / 255;

        /** Checks the values. */
        public Options {
            if (!(share > 0 && share <= 1)) {
                throw new IllegalArgumentException("the poisoned share of the target class must lie in (0, 1], got " + share);
            }
            if (!(epsilon > 0 && epsilon <= 1)) {
                throw new IllegalArgumentException("epsilon must lie in (0, 1], got " + epsilon);
            }
            if (steps < 1 || batch < 1) {
                throw new IllegalArgumentException("steps and batch must be at least 1, got " + steps + " and " + batch);
            }
            if (!(stepSize > 0 && stepSize <= epsilon)) {
                throw new IllegalArgumentException("the step size must lie in (0, epsilon = " + epsilon + "], got " + stepSize);
            }
        }

        /**
         * @param share the poisoned share of the target class's training images
         * @param seed the seed
         * @return ε = 16/255, 100 steps of ε/20, chunks of 64
         */
        public static Options of(double share, long seed) {
            return new Options(share, EPSILON, 100, EPSILON / 20, 64, seed);
        }

        /** @return every setting, for a victim cache key */
        public String key() {
            return String.format(Locale.ROOT, "collision(share=%s,eps=%.6f,steps=%d,step=%.6f,batch=%d,seed=%d)", share, epsilon,
                    steps, stepSize, batch, seed);
        }
    }

    /**
     * The crafted training set.
     *
     * @param trainingSet the training data with each poison in place of the image it was made from,
     *     every label unchanged
     * @param poisoned the indices of the poisons in it, ascending
     * @param distanceBefore mean squared feature distance of each unperturbed image to its nearest
     *     patched source, at each chunk's first step
     * @param distanceAfter the same at each chunk's last step
     */
    public record Result(LabelledData trainingSet, int[] poisoned, double distanceBefore, double distanceAfter) {}

    /**
     * Crafts the poisons.
     *
     * @param cleanModel the clean model whose features the poisons collide in (unchanged)
     * @param train the clean training data; it needs images of the target class and of another class
     * @param trigger the patch the sources are stamped with
     * @param options the settings
     * @return the training set holding the poisons
     * @throws IllegalArgumentException when the training data lack target or non-target images
     */
    public static Result craft(Model cleanModel, LabelledData train, CleanLabelHiddenTrigger trigger, Options options) {
        int target = trigger.target();
        int[] targets = IntStream.range(0, train.size()).filter(i -> train.labels()[i] == target).toArray();
        int[] sources = IntStream.range(0, train.size()).filter(i -> train.labels()[i] != target).toArray();
        if (targets.length == 0 || sources.length == 0) {
            throw new IllegalArgumentException("clean-label poisoning needs training images of the target class " + target
                    + " and of another class; got " + targets.length + " and " + sources.length);
        }
        int count = Math.max(1, (int) Math.round(options.share() * targets.length));
        int[] chosen = SeededDraws.draw(targets.clone(), count, new Random(options.seed()));
        Arrays.sort(chosen);
        HiddenUnits probe = HiddenUnits.deepest(cleanModel);
        Random random = new Random(options.seed() ^ SeededDraws.BATCH_STREAM);
        float[] x = train.inputs().clone();
        int per = train.sampleSize();
        double before = 0;
        double after = 0;
        int chunks = 0;
        long t0 = System.nanoTime();
        for (int from = 0; from < chosen.length; from += options.batch()) {
            int[] chunk = Arrays.copyOfRange(chosen, from, Math.min(chosen.length, from + options.batch()));
            float[] base = train.subset(chunk).inputs();
            float[] delta = new float[base.length];
            for (int step = 0; step < options.steps(); step++) {
                LabelledData patched = trigger.stampRandomly(
                        train.subset(SeededDraws.draw(sources.clone(), Math.min(options.batch(), sources.length), random)), random);
                // The step shrinks linearly to a tenth of its size, so that the signed steps settle.
                double size = options.stepSize() * (1 - 0.9 * step / Math.max(1, options.steps() - 1));
                double d = step(cleanModel, probe, base, delta, patched, train, size, options.epsilon());
                if (step == 0) {
                    before += d;
                }
                if (step == options.steps() - 1) {
                    after += d;
                }
            }
            for (int k = 0; k < chunk.length; k++) {
                for (int i = 0; i < per; i++) {
                    x[chunk[k] * per + i] = clip(base[k * per + i] + delta[k * per + i]);
                }
            }
            chunks++;
            if (chunks % 10 == 0) {
                LOG.info("feature collision: {} of {} poisons crafted, {} s", Math.min(chosen.length, from + options.batch()),
                        chosen.length, String.format(Locale.ROOT, "%.0f", (System.nanoTime() - t0) / 1e9));
            }
        }
        Result r = new Result(new LabelledData(x, train.labels().clone(), train.sampleShape()), chosen, before / chunks,
                after / chunks);
        LOG.info("feature collision: {} poisons of class {} ({} of its images), squared feature distance to the nearest"
                + " patched source {} -> {}, {} s", chosen.length, target, targets.length, String.format(Locale.ROOT, "%.4f",
                r.distanceBefore()), String.format(Locale.ROOT, "%.4f", r.distanceAfter()),
                String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));
        return r;
    }

    /**
     * One signed step on δ (updated in place).
     *
     * @return the mean squared feature distance before the step
     */
    private static double step(Model model, HiddenUnits probe, float[] base, float[] delta, LabelledData patched,
            LabelledData train, double stepSize, double epsilon) {
        int n = base.length / train.sampleSize();
        float[] z = new float[base.length];
        for (int i = 0; i < z.length; i++) {
            z[i] = clip(base[i] + delta[i]);
        }
        try (NDManager sub = model.getNDManager().newSubManager()) {
            NDArray sourceFeatures = probe.pooled(new ParameterStore(sub, false), patched.batch(sub, 0, patched.size()));
            NDArray poisons = new LabelledData(z, new int[n], train.sampleShape()).batch(sub, 0, n);
            poisons.setRequiresGradient(true);
            FrozenParameterStore store = new FrozenParameterStore(sub);
            float[] g;
            float loss;
            try (GradientCollector gc = sub.getEngine().newGradientCollector()) {
                NDArray features = probe.pooled(store, poisons); // (P, D)
                NDArray nearest = nearest(features.stopGradient(), sourceFeatures);
                NDArray distance = features.sub(sourceFeatures.get(new NDIndex("{}", nearest))).square().sum(new int[] {1}).mean();
                gc.backward(distance);
                g = poisons.getGradient().toFloatArray();
                loss = distance.getFloat();
            }
            float s = (float) stepSize;
            float eps = (float) epsilon;
            for (int i = 0; i < g.length; i++) {
                if (!Float.isFinite(g[i])) {
                    throw new IllegalStateException("feature collision met a non-finite gradient: the model's features are not"
                            + " finite on these inputs");
                }
                float d = delta[i] - s * Math.signum(g[i]);
                d = Math.max(-eps, Math.min(eps, d));
                delta[i] = clip(base[i] + d) - base[i];
            }
            return loss;
        }
    }

    /** @return for each row of {@code a} {@code (P, D)}, the index of the nearest row of {@code b} {@code (B, D)} */
    private static NDArray nearest(NDArray a, NDArray b) {
        NDArray distances = a.square().sum(new int[] {1}, true).sub(a.matMul(b.transpose()).mul(2f))
                .add(b.square().sum(new int[] {1}).expandDims(0));
        return distances.argMin(1);
    }

    private static float clip(float v) {
        return Math.min(1f, Math.max(0f, v));
    }
}
