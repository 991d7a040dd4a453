package org.atpatch.examples.attack;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import java.util.Locale;
import java.util.Random;
import java.util.stream.IntStream;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.FrozenParameterStore;
import org.atpatch.djl.debugset.HostAdam;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The search behind {@link EvasiveTrigger#optimise}: a white-box attacker who knows the victim and
 * the deployed detector. The pattern is {@code P = sigmoid(p)} over the whole image (only the mask's
 * pixels use it), the perturbation {@code δ = ε · tanh(d)}; each step stamps a batch of the
 * attacker's images, runs the victim with its attention maps captured (head-averaged per layer, as
 * the patched model's pass 1 sees them), runs the detector on them, and descends
 * <pre>
 *   CE(victim(x′), target) + λ · mean over the batch of Σ_(layers, columns) max(0, p − (τ − margin))
 * </pre>
 * with Adam on the host. The victim's weights come from a {@link FrozenParameterStore}; the detector's
 * are not updated. Every step runs in its own NDManager scope. Not thread-safe.
 */
public final class EvasionSearch {

    private static final Logger LOG = LoggerFactory.getLogger(EvasionSearch.class);
    private static final int LOG_EVERY = 50;
    /** The raw pattern's start is kept inside sigmoid's responsive range. */
    private static final float START_CLIP = 0.02f;

    /**
     * @param steps Adam steps, at least 1
     * @param batchSize images per step, at least 1
     * @param learningRate Adam's step size, positive
     * @param evasionWeight λ, at least 0 (0: optimise for the target alone)
     * @param margin how far under τ the probabilities are pushed, in {@code [0, τ)}
     * @param epsilon the perturbation's bound per pixel, in {@code [0, 1]} (0: the pattern alone)
     * @param seed the seed of the batches
     */
    public record Options(int steps, int batchSize, double learningRate, double evasionWeight, double margin,
            double epsilon, long seed) {

        /** Checks the settings. */
        public Options {
            if (steps < 1 || batchSize < 1 || !(learningRate > 0) || !(evasionWeight >= 0) || !(margin >= 0)
                    || !(epsilon >= 0 && epsilon <= 1)) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "evasion search: steps and batch size >= 1,"
                        + " learning rate > 0, evasion weight and margin >= 0, epsilon in [0, 1]; got %d, %d, %s, %s, %s, %s",
                        steps, batchSize, learningRate, evasionWeight, margin, epsilon));
            }
        }
    }

    private final Model model;
    private final LabelledData images;
    private final EvasiveTrigger start;
    private final Options options;
    private final ColumnDetector evaded;
    private final double tau;
    private final ImageShape image;

    EvasionSearch(Model model, LabelledData images, EvasiveTrigger start, Options options, ColumnDetector evaded, double tau) {
        if (images.size() == 0) {
            throw new IllegalArgumentException("the evasion search needs at least one image");
        }
        for (int y : images.labels()) {
            if (y == start.target()) {
                throw new IllegalArgumentException("the attacker's images must be of other classes than the target "
                        + start.target());
            }
        }
        if (evaded != null && !(options.margin() < tau && tau < 1)) {
            throw new IllegalArgumentException("τ must lie in (margin, 1), got τ " + tau + " with margin " + options.margin());
        }
        this.model = model;
        this.images = images;
        this.start = start;
        this.options = options;
        this.evaded = evaded;
        this.tau = tau;
        this.image = ImageShape.of(images.sampleShape());
    }

    EvasiveTrigger run() {
        int size = image.size();
        float[] raw = new float[2 * size]; // the raw pattern, then the raw perturbation
        float[] startPattern = start.pattern();
        float[] startPerturbation = start.perturbation();
        for (int i = 0; i < size; i++) {
            double p = Math.min(1 - START_CLIP, Math.max(START_CLIP, startPattern[i]));
            raw[i] = (float) Math.log(p / (1 - p));
            if (options.epsilon() > 0) {
                double t = Math.min(1 - START_CLIP, Math.max(START_CLIP - 1, startPerturbation[i] / options.epsilon()));
                raw[size + i] = (float) (0.5 * Math.log((1 + t) / (1 - t))); // atanh
            }
        }
        HostAdam adam = new HostAdam(raw.length, options.learningRate(), 0.9, 0.999, 1e-8);
        Random random = new Random(options.seed() ^ SeededDraws.BATCH_STREAM);
        int[] all = IntStream.range(0, images.size()).toArray();
        for (int step = 0; step < options.steps(); step++) {
            LabelledData batch = images.subset(SeededDraws.draw(all, Math.min(options.batchSize(), images.size()), random));
            float[] grad = new float[raw.length];
            StepReport r = gradient(raw, batch, grad);
            adam.step(raw, grad, 0);
            if (step % LOG_EVERY == 0 || step == options.steps() - 1) {
                LOG.info(String.format(Locale.ROOT, "evasion step %d/%d: CE %.4f, evasion %.4f, batch ASR %.3f, batch flagged %.3f",
                        step + 1, options.steps(), r.ce(), r.evasion(), r.hits(), r.flagged()));
            }
        }
        float[] pattern = new float[size];
        float[] perturbation = new float[size];
        for (int i = 0; i < size; i++) {
            pattern[i] = (float) (1 / (1 + Math.exp(-raw[i])));
            perturbation[i] = (float) (options.epsilon() * Math.tanh(raw[size + i]));
        }
        return new EvasiveTrigger(start.target(), start.mask(), pattern, perturbation, images.sampleShape());
    }

    /** One step's loss terms on its batch, before the update. */
    private record StepReport(float ce, float evasion, float hits, float flagged) {}

    private StepReport gradient(float[] raw, LabelledData batch, float[] grad) {
        int b = batch.size();
        int size = image.size();
        float[] patternRaw = new float[size];
        float[] perturbationRaw = new float[size];
        System.arraycopy(raw, 0, patternRaw, 0, size);
        System.arraycopy(raw, size, perturbationRaw, 0, size);
        Shape one = new Shape(1, image.channels(), image.height(), image.width());
        try (NDManager sub = model.getNDManager().newSubManager()) {
            NDArray clean = batch.batch(sub, 0, b);
            NDArray p = sub.create(patternRaw, one);
            NDArray d = sub.create(perturbationRaw, one);
            p.setRequiresGradient(true);
            d.setRequiresGradient(true);
            NDArray mask = sub.create(start.mask(), new Shape(1, 1, image.height(), image.width()));
            // Scalars as arrays of this scope: DJL's x.mul(Number) wraps Java memory that autograd would read after it is freed.
            NDArray epsilon = sub.full(new Shape(), (float) options.epsilon());
            NDArray threshold = sub.full(new Shape(), (float) (tau - options.margin()));
            NDArray zero = sub.full(new Shape(), 0f);
            NDArray lambda = sub.full(new Shape(), (float) options.evasionWeight());
            FrozenParameterStore store = new FrozenParameterStore(sub);
            HeadMeans means = new HeadMeans();
            try (GradientCollector gc = sub.getEngine().newGradientCollector()) {
                NDArray pattern = Activation.sigmoid(p);
                NDArray stamped = clean.add(mask.mul(pattern.sub(clean))).add(d.tanh().mul(epsilon)).clip(0f, 1f);
                NDArray logits = means.forward(model.getBlock(), store, stamped);
                NDArray ce = logits.logSoftmax(1).get(":, " + start.target()).neg().mean();
                NDArray loss = ce;
                float evasion = 0;
                float flagged = 0;
                if (evaded != null) {
                    NDArray probs = evaded.detectAll(means.maps()); // (B, L, N)
                    NDArray hinge = probs.sub(threshold).maximum(zero).sum(new int[] {1, 2}).mean();
                    loss = ce.add(hinge.mul(lambda));
                    evasion = hinge.getFloat();
                    flagged = probs.stopGradient().gt((float) tau).toType(DataType.FLOAT32, false)
                            .max(new int[] {2}).max(new int[] {1}).mean().getFloat();
                }
                gc.backward(loss);
                float[] gp = p.getGradient().toFloatArray();
                float[] gd = d.getGradient().toFloatArray();
                for (int i = 0; i < size; i++) {
                    if (!Float.isFinite(gp[i]) || !Float.isFinite(gd[i])) {
                        throw new IllegalStateException("the evasion search met a non-finite gradient: the victim's or the"
                                + " detector's outputs are not finite on these inputs");
                    }
                }
                System.arraycopy(gp, 0, grad, 0, size);
                System.arraycopy(gd, 0, grad, size, size);
                float hits = logits.argMax(1).eq((long) start.target()).toType(DataType.FLOAT32, false)
                        .mean().getFloat();
                return new StepReport(ce.getFloat(), evasion, hits, flagged);
            }
        }
    }
}
