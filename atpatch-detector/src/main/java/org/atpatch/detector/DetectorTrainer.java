package org.atpatch.detector;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.util.ProgressBar;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import org.atpatch.core.DetectionMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains the detector offline on the debugging set's attention maps (§3.3.2): AdamW on the loss of
 * Eq. 7 ({@link DetectorLoss}), then τ chosen as configured, and returns an {@link
 * AttentionDetector} carrying its provenance.
 *
 * <p>Per epoch: the clean/anomalous pairs (of one layer each) are shuffled with the seed and packed
 * into batches without splitting a pair; each batch takes one gradient step. After the epoch the
 * validation pairs are scored; the epoch with the highest strict map-level validation F1 at the
 * current τ (ties: lowest validation loss) is kept ({@link DetectorConfig.KeptEpoch#BEST_VALIDATION};
 * {@link DetectorConfig.KeptEpoch#LAST} keeps the last epoch run), and training stops after {@link
 * DetectorConfig#patience()} epochs without improvement. Each epoch logs one INFO line (training
 * loss and its two terms, validation loss, F1 and FPR); a DJL progress bar shows the batches.
 *
 * <p><b>Positive weight and calibration.</b> Anomalous columns are rare (a few of N per anomalous
 * map), so the BCE weighs them by {@code w}; unless configured, {@code w = sqrt(#normal /
 * #anomalous)}, enough for the rare class to be learnt early without the full ratio's noisy
 * gradients. Weighting shifts every logit by {@code log w} at the optimum (the odds of a column are
 * multiplied by {@code w}), which at a low τ such as the paper's 0.1 turns borderline normal columns
 * into false alarms. The trainer therefore subtracts {@code log w} from the output bias when training
 * ends (and scores validation the same way), so that the detector's probabilities are those of the
 * unweighted data and τ means what it says.
 *
 * <p><b>Determinism.</b> On CPU, the same data, configuration and seed give the same parameters: the
 * engine's generator is seeded for initialisation, and a {@link Random} from the same seed shuffles
 * and samples. Trainings in one JVM run one at a time (DJL allows one gradient collector); nothing
 * else that collects gradients may run meanwhile.
 */
public final class DetectorTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(DetectorTrainer.class);

    /** DJL allows one gradient collector per JVM: trainings in one JVM take turns. */
    private static final Object TRAINING_LOCK = new Object();

    /** Most anchor columns per batch in the contrastive term (cost O(anchors × columns)). */
    static final int ANCHORS = 128;

    private final DetectorConfig config;

    /** @param config how to train */
    public DetectorTrainer(DetectorConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** @return the configuration */
    public DetectorConfig config() {
        return config;
    }

    /**
     * Trains with {@link DetectorConfig#defaults()}.
     *
     * @param data the debugging set's maps
     * @return the detector
     */
    public static AttentionDetector trainDefault(DetectorTrainingData data) {
        return new DetectorTrainer(DetectorConfig.defaults()).train(data);
    }

    /**
     * Trains a detector: splits off validation pairs, trains, keeps the best epoch, chooses τ.
     *
     * @param data the debugging set's maps with column labels and pairs
     * @return the trained detector; the caller closes it
     * @throws IllegalArgumentException if the data have no anomalous column or no normal column
     */
    public AttentionDetector train(DetectorTrainingData data) {
        DetectorTrainingData.Split split = data.split(config.validationFraction(), config.seed());
        return train(split.train(), split.validation());
    }

    /**
     * Trains on given training and validation sides.
     *
     * @param train maps for gradient steps
     * @param validation held-out maps for early stopping and τ, or {@code null}
     * @return the trained detector; the caller closes it
     */
    public AttentionDetector train(DetectorTrainingData train, DetectorTrainingData validation) {
        Objects.requireNonNull(train, "train");
        synchronized (TRAINING_LOCK) {
            return trainLocked(train, validation);
        }
    }

    private AttentionDetector trainLocked(DetectorTrainingData train, DetectorTrainingData validation) {
        DjlOffline.configure();
        long positives = train.positiveColumns();
        long negatives = (long) train.size() * train.tokens() - positives;
        if (positives == 0) {
            throw new IllegalArgumentException("training data hold no anomalous column: nothing to learn");
        }
        if (negatives == 0) {
            throw new IllegalArgumentException("training data hold no normal column: nothing to learn");
        }
        if (validation != null && validation.tokens() != train.tokens()) {
            throw new IllegalArgumentException("validation N = " + validation.tokens() + ", training N = "
                    + train.tokens());
        }
        int layers = Math.max(train.layers(), validation == null ? 0 : validation.layers());
        DetectorArchitecture arch = config.architecture(train.tokens(), layers);
        double posWeight = Double.isNaN(config.positiveWeight())
                ? Math.max(1.0, Math.sqrt((double) negatives / positives)) : config.positiveWeight();
        DetectorLoss loss = new DetectorLoss(posWeight, config.lambda(),
                ContrastiveLoss.builder().optTemperature(config.temperature()).build());

        long t0 = System.nanoTime();
        Engine.getInstance().setRandomSeed((int) config.seed());
        Random rng = new Random(config.seed());
        Device device = config.device() == null ? Engine.getInstance().defaultDevice() : config.device();
        LOG.info("training the AtPatch detector on {} ({} validation maps), {}, positive weight {}, on {}", train,
                validation == null ? 0 : validation.size(), arch, fmt(posWeight), device);

        try (Model model = Model.newInstance("atpatch-detector-training", device)) {
            DetectorNetwork net = new DetectorNetwork(arch);
            model.setBlock(net);
            int steps = config.epochs() * batches(train.pairUnits()).size();
            Tracker lr = config.cosineDecay()
                    ? CosineTracker.builder().setBaseValue((float) config.learningRate()).optFinalValue(0f)
                            .setMaxUpdates(steps).build()
                    : Tracker.fixed((float) config.learningRate());
            DefaultTrainingConfig tc = new DefaultTrainingConfig(loss)
                    .optDevices(new Device[] {device})
                    .optOptimizer(Optimizer.adamW()
                            .optLearningRateTracker(lr)
                            .optWeightDecays((float) config.weightDecay())
                            .build());
            try (Trainer trainer = model.newTrainer(tc)) {
                trainer.initialize(new Shape(1, train.tokens(), train.tokens()),
                        new Shape(1, layers));
                Outcome o = loop(trainer, net, loss, train, validation, layers, rng);
                o.best.restore(net);
                net.shiftOutputBias((float) -Math.log(posWeight));
                double seconds = (System.nanoTime() - t0) / 1e9;
                return finish(net, arch, train, validation, layers, posWeight, o, seconds, trainer);
            }
        }
    }

    /** What the epoch loop found. */
    private record Outcome(Snapshot best, int epochsRun, int bestEpoch, double lastTrainLoss, double bestValLoss,
            boolean stoppedEarly) {}

    private Outcome loop(Trainer trainer, DetectorNetwork net, DetectorLoss loss, DetectorTrainingData train,
            DetectorTrainingData validation, int layers, Random rng) {
        List<int[]> units = train.pairUnits();
        int epochs = config.epochs();
        int batchesPerEpoch = batches(units).size();
        ProgressBar bar = config.progressBar() ? new ProgressBar("Detector", (long) epochs * batchesPerEpoch) : null;
        Snapshot best = Snapshot.of(net);
        double bestF1 = -1;
        double bestValLoss = Double.POSITIVE_INFINITY;
        int bestEpoch = 0;
        int sinceBest = 0;
        double lastTrainLoss = Double.NaN;
        double lastMonitorLoss = Double.NaN;
        int epoch = 0;
        boolean stoppedEarly = false;
        while (epoch < epochs) {
            epoch++;
            long epochStart = System.nanoTime();
            Collections.shuffle(units, rng);
            double sumLoss = 0;
            double sumBce = 0;
            double sumCon = 0;
            int steps = 0;
            for (List<int[]> batch : batches(units)) {
                float[] terms = step(trainer, loss, train, batch, layers, rng);
                sumBce += terms[0];
                sumCon += terms[1];
                sumLoss += terms[0] + config.lambda() * terms[1];
                steps++;
                if (bar != null) {
                    bar.increment(1);
                }
            }
            lastTrainLoss = sumLoss / steps;
            double trainSeconds = (System.nanoTime() - epochStart) / 1e9;
            double valLoss = Double.NaN;
            String valText = "no validation data";
            double f1;
            if (validation != null) {
                float[][] p = new float[validation.size()][];
                valLoss = validate(trainer, loss, validation, layers, p);
                TauSelection.Choice c = config.tauSelection().select(p, validation);
                DetectionMetrics m = c.metrics();
                f1 = m.f1();
                valText = String.format(Locale.ROOT, "validation loss %.4f, F1 %.4f, FPR %.4f at τ %s", valLoss, f1,
                        m.fpr(), fmt(c.tau()));
            } else {
                f1 = 0;
            }
            LOG.info(String.format(Locale.ROOT, "epoch %d/%d: loss %.4f (BCE %.4f, contrastive %.4f), %s [%.1f s + %.1f s]",
                    epoch, epochs, lastTrainLoss, sumBce / steps, sumCon / steps, valText, trainSeconds,
                    (System.nanoTime() - epochStart) / 1e9 - trainSeconds));
            double monitorLoss = validation != null ? valLoss : lastTrainLoss;
            lastMonitorLoss = monitorLoss;
            boolean better = f1 > bestF1 + 1e-12 || (Math.abs(f1 - bestF1) <= 1e-12 && monitorLoss < bestValLoss);
            if (better) {
                bestF1 = f1;
                bestValLoss = monitorLoss;
                bestEpoch = epoch;
                best = Snapshot.of(net);
                sinceBest = 0;
            } else if (config.patience() > 0 && ++sinceBest >= config.patience()) {
                LOG.info("stopping early after epoch {}: no improvement for {} epochs; keeping epoch {}", epoch,
                        config.patience(), bestEpoch);
                stoppedEarly = epoch < epochs;
                break;
            }
        }
        if (bar != null) {
            bar.end();
        }
        if (config.keptEpoch() == DetectorConfig.KeptEpoch.LAST) {
            best = Snapshot.of(net);
            bestEpoch = epoch;
            bestValLoss = lastMonitorLoss;
        }
        return new Outcome(best, epoch, bestEpoch, lastTrainLoss, validation != null ? bestValLoss : Double.NaN,
                stoppedEarly);
    }

    private static ai.djl.training.ParameterStore trainerStore(Trainer trainer) {
        // Inference with the trainer's parameters: a store without copies on the training device.
        return new ai.djl.training.ParameterStore(trainer.getManager(), false);
    }

    /** Packs pair units into batches of at most batchSize maps, never splitting a unit. */
    private List<List<int[]>> batches(List<int[]> units) {
        List<List<int[]>> out = new ArrayList<>();
        List<int[]> cur = new ArrayList<>();
        int size = 0;
        for (int[] u : units) {
            if (size > 0 && size + u.length > config.batchSize()) {
                out.add(cur);
                cur = new ArrayList<>();
                size = 0;
            }
            cur.add(u);
            size += u.length;
        }
        if (!cur.isEmpty()) {
            out.add(cur);
        }
        return out;
    }

    /** One gradient step; returns {bce, contrastive}. */
    private float[] step(Trainer trainer, DetectorLoss loss, DetectorTrainingData d, List<int[]> batch, int layers,
            Random rng) {
        int count = batch.stream().mapToInt(u -> u.length).sum();
        int[] idx = new int[count];
        int k = 0;
        for (int[] u : batch) {
            for (int i : u) {
                idx[k++] = i;
            }
        }
        try (NDManager m = trainer.getManager().newSubManager()) {
            NDList in = MapBatch.inputs(m, d, idx, layers);
            NDList labels = new NDList(MapBatch.labels(m, d, idx));
            if (config.lambda() > 0) {
                addSample(m, labels, contrastiveSample(d, batch, rng));
            }
            float[] terms;
            try (GradientCollector gc = trainer.newGradientCollector()) {
                NDList out = trainer.forward(in);
                NDList t = loss.terms(labels, out);
                NDArray total = config.lambda() == 0 ? t.get(0) : t.get(0).add(t.get(1).mul(Scalars.of(t.get(1), config.lambda())));
                gc.backward(total);
                terms = new float[] {t.get(0).getFloat(), t.get(1).getFloat()};
            }
            trainer.step();
            if (!Float.isFinite(terms[0]) || !Float.isFinite(terms[1])) {
                throw new IllegalStateException("training diverged: loss is " + terms[0] + " + λ·" + terms[1]
                        + "; lower the learning rate");
            }
            return terms;
        }
    }

    /**
     * Which columns of a batch the contrastive term sees, and which of them are anchors: every
     * anomalous column and the same column of its paired map first (the debugging set's delta),
     * then normal columns drawn at random, up to {@link DetectorConfig#contrastiveColumns()} columns
     * and {@value #ANCHORS} anchors.
     *
     * @return {columns (flat map-in-batch × N + column) or null for all, anchors (into columns) or
     *     null for all}
     */
    private long[][] contrastiveSample(DetectorTrainingData d, List<int[]> batch, Random rng) {
        int n = d.tokens();
        int maps = batch.stream().mapToInt(u -> u.length).sum();
        int total = maps * n;
        int cap = Math.min(config.contrastiveColumns(), total);
        boolean[] chosen = new boolean[total];
        List<Long> picked = new ArrayList<>();
        int offset = 0;
        for (int[] u : batch) {
            for (int a = 0; a < u.length; a++) {
                for (int j = 0; j < n; j++) {
                    if (d.label(u[a], j)) {
                        for (int b = 0; b < u.length; b++) {
                            int flat = (offset + b) * n + j;
                            if (!chosen[flat] && picked.size() < cap) {
                                chosen[flat] = true;
                                picked.add((long) flat);
                            }
                        }
                    }
                }
            }
            offset += u.length;
        }
        int priority = picked.size();
        List<Integer> rest = new ArrayList<>();
        for (int f = 0; f < total; f++) {
            if (!chosen[f]) {
                rest.add(f);
            }
        }
        Collections.shuffle(rest, rng);
        for (int i = 0; i < rest.size() && picked.size() < cap; i++) {
            picked.add((long) rest.get(i));
        }
        // Anchors: the first `priority` picks (anomalous columns and their counterparts), then the
        // random normal ones, up to ANCHORS; positions refer to `picked`.
        int anchors = Math.min(picked.size(), Math.max(ANCHORS, Math.min(priority, picked.size())));
        long[] anchorIdx = null;
        if (anchors < picked.size()) {
            anchorIdx = new long[anchors];
            for (int i = 0; i < anchors; i++) {
                anchorIdx[i] = i;
            }
        }
        long[] columns = null;
        if (picked.size() < total) {
            columns = picked.stream().mapToLong(Long::longValue).toArray();
        } else if (anchorIdx != null) {
            // All columns are used, in flat order: map the anchor positions to flat indices.
            for (int i = 0; i < anchorIdx.length; i++) {
                anchorIdx[i] = picked.get(i);
            }
        }
        return new long[][] {columns, anchorIdx};
    }

    private static void addSample(NDManager m, NDList labels, long[][] sample) {
        if (sample[0] != null || sample[1] != null) {
            labels.add(sample[0] == null ? null : m.create(sample[0]));
        }
        if (sample[1] != null) {
            labels.add(m.create(sample[1]));
        }
    }

    /** Validation loss (mean per map) and, into {@code probabilities}, every map's column probabilities. */
    private double validate(Trainer trainer, DetectorLoss loss, DetectorTrainingData v, int layers,
            float[][] probabilities) {
        int n = v.tokens();
        double sum = 0;
        int count = 0;
        Random fixed = new Random(config.seed() ^ 0x5DEECE66DL);
        for (List<int[]> batch : batches(v.pairUnits())) {
            int[] idx = batch.stream().flatMapToInt(java.util.Arrays::stream).toArray();
            try (NDManager m = trainer.getManager().newSubManager()) {
                NDList in = MapBatch.inputs(m, v, idx, layers);
                NDList labels = new NDList(MapBatch.labels(m, v, idx));
                if (config.lambda() > 0) {
                    addSample(m, labels, contrastiveSample(v, batch, fixed));
                }
                NDList out = trainer.evaluate(in);
                sum += loss.evaluate(labels, out).getFloat() * idx.length;
                count += idx.length;
                // Probabilities as the finished detector will give them: prior-corrected (see class comment).
                float[] p = ai.djl.nn.Activation.sigmoid(out.get(0).sub((float) Math.log(loss.positiveWeight())))
                        .toFloatArray();
                for (int k = 0; k < idx.length; k++) {
                    probabilities[idx[k]] = java.util.Arrays.copyOfRange(p, k * n, (k + 1) * n);
                }
            }
        }
        return sum / count;
    }

    private AttentionDetector finish(DetectorNetwork net, DetectorArchitecture arch, DetectorTrainingData train,
            DetectorTrainingData validation, int layers, double posWeight, Outcome o, double seconds, Trainer trainer) {
        DetectorTrainingData tauData = validation != null ? validation : train;
        String chosenOn = validation != null ? "validation" : "training";
        TauSelection sel = config.tauSelection();
        if (validation == null && sel.needsData()) {
            LOG.warn("no validation data: choosing τ by {} on the training data, which overstates its quality",
                    sel.describe());
        }
        float[][] p = MapBatch.predict(net, trainerStore(trainer), trainer.getManager(), tauData, layers, 256);
        boolean[][] truth = tauData.labelMatrix();
        TauSelection.Choice choice = sel.select(p, tauData);
        DetectionMetrics m = DetectionMetrics.strict(p, truth, choice.tau());
        DetectorProvenance.ValidationMetrics vm =
                DetectorProvenance.ValidationMetrics.of(m, DetectorEvaluation.rocAuc(p, truth));
        DetectorProvenance prov = new DetectorProvenance(
                Instant.now().toString(),
                "atpatch-detector (DJL " + Engine.getDjlVersion() + ", " + AttentionDetector.engineDescription() + ")",
                config.toMap(),
                config.seed(),
                new DetectorProvenance.DataSizes(train.tokens(), layers, train.size(), train.anomalousMaps(),
                        train.positiveColumns(), validation == null ? 0 : validation.size(),
                        validation == null ? 0 : validation.anomalousMaps(),
                        validation == null ? 0 : validation.positiveColumns()),
                new DetectorProvenance.TrainingSummary(o.epochsRun(), o.bestEpoch(), posWeight, o.lastTrainLoss(),
                        o.bestValLoss(), seconds, o.stoppedEarly()),
                choice.tau(),
                choice.method(),
                sel.needsData() ? chosenOn : "none",
                vm);
        LOG.info("detector trained in {} s ({} epochs, kept epoch {}): τ = {} ({}), on {} data {} AUC {}",
                fmt(seconds), o.epochsRun(), o.bestEpoch(), fmt(choice.tau()), choice.method(), chosenOn, m,
                fmt(vm.rocAuc()));
        byte[] params;
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                net.saveParameters(out);
            }
            params = bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // A fresh inference copy: no gradients attached, nothing shared with the trainer.
        return AttentionDetector.fromParameters(arch, params, prov, config.device(), null);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    /** Host copies of every parameter, to restore the best epoch. */
    private record Snapshot(List<float[]> values) {
        static Snapshot of(DetectorNetwork net) {
            List<float[]> v = new ArrayList<>();
            for (Parameter p : net.getParameters().values()) {
                v.add(p.getArray().toFloatArray());
            }
            return new Snapshot(v);
        }

        void restore(DetectorNetwork net) {
            int i = 0;
            for (Parameter p : net.getParameters().values()) {
                p.getArray().set(values.get(i++));
            }
        }
    }
}
