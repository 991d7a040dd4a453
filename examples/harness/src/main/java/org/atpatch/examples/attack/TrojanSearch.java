package org.atpatch.examples.attack;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.FrozenParameterStore;
import org.atpatch.djl.debugset.HostAdam;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gradient search behind {@link TrojanTrigger#optimise}. The pattern is parameterised over the
 * whole image as {@code P = (tanh(raw) + 1) / 2} and stamped through a fixed binary mask {@code M},
 * {@code x′ = x ⊙ (1 − M) + P ⊙ M}, so only the square's values get gradients. The model's weights
 * come from a {@link FrozenParameterStore} (the clean model stays untouched); {@link HostAdam} updates
 * the raw pattern on the host; every step runs in its own NDManager scope.
 */
final class TrojanSearch {

    private static final Logger LOG = LoggerFactory.getLogger(TrojanSearch.class);

    private final Model model;
    private final LabelledData sample;
    private final TrojanOptions options;
    private final ImageShape image;
    private final SquarePatch square;
    private final HiddenUnits probe;
    private final float[] mask;
    private final float[] keep;

    TrojanSearch(Model model, LabelledData sample, TrojanOptions options) {
        if (sample.size() == 0) {
            throw new IllegalArgumentException("the Trojan search needs at least one clean sample");
        }
        this.model = model;
        this.sample = sample;
        this.options = options;
        this.image = ImageShape.of(sample.sampleShape());
        this.square = options.square(image);
        this.probe = options.layer() < 0 ? HiddenUnits.deepest(model) : HiddenUnits.at(model, options.layer());
        this.mask = new float[image.plane()];
        this.keep = new float[image.plane()];
        for (int i = 0; i < mask.length; i++) {
            int r = i / image.width() - square.row();
            int c = i % image.width() - square.col();
            mask[i] = r >= 0 && r < square.size() && c >= 0 && c < square.size() ? 1f : 0f;
            keep[i] = 1f - mask[i];
        }
    }

    TrojanTrigger run() {
        float[][] clean = probe.pooled(sample, 256);
        int width = clean[0].length;
        int[] units = options.units() != null ? options.units() : mostVariable(clean, options.unitCount());
        for (int u : units) {
            if (u >= width) {
                throw new IllegalArgumentException("unit " + u + " is outside layer " + probe.layer() + "'s width " + width);
            }
        }
        float[] raw = rawStart(TrojanTrigger.startingPoint(sample.sampleShape(), options).pattern());
        float[] selector = new float[width];
        for (int u : units) {
            selector[u] = 1f / units.length;
        }
        HostAdam adam = new HostAdam(raw.length, options.learningRate(), 0.9, 0.999, 1e-8);
        Random random = new Random(options.seed() ^ SeededDraws.BATCH_STREAM);
        float first = Float.NaN;
        float last = Float.NaN;
        for (int step = 0; step < options.steps(); step++) {
            float[] grad = new float[raw.length];
            last = gradient(raw, selector, sample.subset(SeededDraws.draw(IntStream.range(0, sample.size()).toArray(),
                    Math.min(options.batchSize(), sample.size()), random)), grad);
            if (step == 0) {
                first = last;
            }
            adam.step(raw, grad, 0);
        }
        LOG.info("Trojan search on layer {} units {}: batch activation {} -> {} over {} steps", probe.layer(),
                Arrays.toString(units), first, last, options.steps());
        return new TrojanTrigger(square, image.channels(), patchValues(raw), options.target(), probe.layer(), units);
    }

    /** The {@code k} units with the largest standard deviation over the samples, ascending by index. */
    static int[] mostVariable(float[][] pooled, int k) {
        int width = pooled[0].length;
        if (k > width) {
            throw new IllegalArgumentException("cannot select " + k + " units from a width of " + width);
        }
        double[] var = new double[width];
        for (int u = 0; u < width; u++) {
            double sum = 0;
            double sq = 0;
            for (float[] p : pooled) {
                sum += p[u];
                sq += (double) p[u] * p[u];
            }
            double mean = sum / pooled.length;
            var[u] = sq / pooled.length - mean * mean;
        }
        return IntStream.range(0, width).boxed()
                .sorted(Comparator.comparingDouble((Integer u) -> -var[u]).thenComparingInt(u -> u))
                .limit(k).mapToInt(Integer::intValue).sorted().toArray();
    }

    /**
     * One gradient of the objective, the selected units' mean activation, with respect to the raw pattern.
     *
     * @param raw the raw pattern over the whole image
     * @param selector {@code 1/k} at the selected units, 0 elsewhere
     * @param batch the clean batch
     * @param grad receives the gradient of {@code −objective}, the loss Adam descends
     * @return the objective at {@code raw}
     */
    private float gradient(float[] raw, float[] selector, LabelledData batch, float[] grad) {
        int b = batch.size();
        try (NDManager sub = model.getNDManager().newSubManager()) {
            NDArray clean = batch.batch(sub, 0, b);
            NDArray r = sub.create(raw, new Shape(1, image.channels(), image.height(), image.width()));
            r.setRequiresGradient(true);
            NDArray m = sub.create(mask, new Shape(1, 1, image.height(), image.width()));
            NDArray k = sub.create(keep, new Shape(1, 1, image.height(), image.width()));
            NDArray sel = sub.create(selector, new Shape(selector.length, 1));
            // Scalars as arrays of this scope: autograd still needs them in the backward pass.
            NDArray one = sub.full(new Shape(), 1f);
            NDArray half = sub.full(new Shape(), 0.5f);
            FrozenParameterStore store = new FrozenParameterStore(sub);
            try (GradientCollector gc = sub.getEngine().newGradientCollector()) {
                NDArray pattern = r.tanh().add(one).mul(half);
                NDArray stamped = clean.mul(k).add(pattern.mul(m));
                NDArray objective = probe.pooled(store, stamped).matMul(sel).mean();
                gc.backward(objective.neg());
                float[] g = r.getGradient().toFloatArray();
                for (int i = 0; i < g.length; i++) {
                    if (!Float.isFinite(g[i])) {
                        throw new IllegalStateException("the Trojan search met a non-finite gradient: the model's"
                                + " hidden states are not finite on these inputs");
                    }
                }
                System.arraycopy(g, 0, grad, 0, g.length);
                return objective.getFloat();
            }
        }
    }

    /** The raw full-image parameters whose square holds {@code atanh(2p − 1)} for the patch values {@code p}. */
    private float[] rawStart(float[] patch) {
        float[] raw = new float[image.size()];
        int s = square.size();
        for (int ch = 0; ch < image.channels(); ch++) {
            for (int dr = 0; dr < s; dr++) {
                for (int dc = 0; dc < s; dc++) {
                    double p = patch[(ch * s + dr) * s + dc];
                    raw[index(ch, dr, dc)] = (float) (0.5 * Math.log(p / (1 - p))); // atanh(2p − 1)
                }
            }
        }
        return raw;
    }

    private float[] patchValues(float[] raw) {
        int s = square.size();
        float[] patch = new float[image.channels() * s * s];
        for (int ch = 0; ch < image.channels(); ch++) {
            for (int dr = 0; dr < s; dr++) {
                for (int dc = 0; dc < s; dc++) {
                    float p = (float) ((Math.tanh(raw[index(ch, dr, dc)]) + 1) / 2);
                    patch[(ch * s + dr) * s + dc] = Math.min(1f, Math.max(0f, p));
                }
            }
        }
        return patch;
    }

    private int index(int ch, int dr, int dc) {
        return ch * image.plane() + (square.row() + dr) * image.width() + square.col() + dc;
    }
}
