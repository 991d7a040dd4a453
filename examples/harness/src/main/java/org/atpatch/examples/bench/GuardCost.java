package org.atpatch.examples.bench;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.atpatch.core.AttentionTrace;
import org.atpatch.core.BenignStatistics;
import org.atpatch.core.ColumnLabels;
import org.atpatch.detector.AttentionDetector;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.detector.DetectorEnsemble;
import org.atpatch.detector.DetectorArchitecture;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.DetectorTrainer;
import org.atpatch.detector.DetectorTrainingData;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.examples.attack.HeadMeans;

/**
 * The guard's price on the whole online path: {@link PatchedModel#predict} with a trained detector
 * of the shipped architecture, as a ratio to the unpatched forward of the same model and batch.
 *
 * <p>Models (random weights; their cost does not depend on what they learned):
 *
 * <ul>
 *   <li>{@code mnist}: 28 × 28 × 1, patch 4 (N = 50), depth 4, width 64, 4 heads;
 *   <li>{@code vit-ti}: ViT-Ti/16 at 224 × 224 × 3 (N = 197), depth 12, width 192, 3 heads;
 *   <li>{@code vit-s}: ViT-S/16 at 224 × 224 × 3 (N = 197), depth 12, width 384, 6 heads.
 * </ul>
 *
 * The detector is trained for one epoch on the model's own maps. Rows: {@code clean} (nothing
 * flagged: pass 1 alone), {@code 10% flagged} and {@code all flagged} (pass 1 plus the re-run of
 * those samples with one column patched by Γ), and two diagnostics, {@code detector alone} (every
 * layer's head means scored, maps precomputed), {@code head means, then detector} (the forward with
 * each layer's head mean taken, then the detector on those fresh maps, outside the patched model), {@code head means alone} (the forward with each
 * layer's head mean taken, no detector) and {@code clean, stub detector} (pass 1 with a detector that
 * returns zeros without reading the maps). Which samples are flagged is scripted after the real
 * detector has run, so every row pays the real detector's cost. All rows of a model and batch are
 * timed in interleaved rounds (the order rotates), each round divided by the same round's
 * unpatched time; the table gives the median ratio and its interquartile range.
 *
 * <pre>java ... org.atpatch.examples.bench.GuardCost [--models mnist,vit-ti,vit-s] [--batches 1,32,256]
 *     [--rounds 11] [--ms 400] [--architecture column-statistics|paper-cnn] [--hidden-size 16]
 *     [--ensemble paper-cnn]</pre>
 *
 * With {@code --ensemble KIND} every row reads the maps with a {@link DetectorEnsemble} of the detector
 * and a second one of architecture {@code KIND}, trained the same way.
 *
 * Without options the detector is the library's default ({@code DetectorConfig.defaults()}); the two
 * options change its architecture and MLP width and keep its other settings.
 *
 * Batch 256 runs on {@code mnist} only.
 */
public final class GuardCost {

    private GuardCost() {}

    /** A benchmarked model: its name, image side, channels, patch, depth, width and heads. */
    private record Size(String name, int image, int channels, int patch, int depth, int width, int heads) {
        int tokens() {
            return (image / patch) * (image / patch) + 1;
        }
    }

    private static final Map<String, Size> SIZES = Map.of(
            "mnist", new Size("mnist", 28, 1, 4, 4, 64, 4),
            "vit-ti", new Size("vit-ti", 224, 3, 16, 12, 192, 3),
            "vit-s", new Size("vit-s", 224, 3, 16, 12, 384, 6));

    /**
     * @param args see the class comment
     */
    public static void main(String[] args) {
        DjlOffline.configure();
        Map<String, String> opt = PairedOverhead.Args.parse(args);
        int rounds = Integer.parseInt(opt.getOrDefault("rounds", "11"));
        double roundMs = Double.parseDouble(opt.getOrDefault("ms", "400"));
        DetectorConfig.Builder settings = DetectorConfig.builder();
        if (opt.containsKey("architecture")) {
            settings.optArchitecture(DetectorArchitecture.Kind.byName(opt.get("architecture")));
        }
        if (opt.containsKey("hidden-size")) {
            settings.optHiddenSize(Integer.parseInt(opt.get("hidden-size")));
        }
        DetectorConfig config = settings.build();
        DetectorConfig second = opt.containsKey("ensemble")
                ? config.toBuilder().optArchitecture(DetectorArchitecture.Kind.byName(opt.get("ensemble"))).build() : null;
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "detector %s%s, hidden size %d; %d interleaved rounds of"
                + " about %.0f ms per row; ai.djl.pytorch.num_threads=%s%n%n", config.architectureKind().label(),
                second == null ? "" : " in an ensemble with " + second.architectureKind().label(), config.hiddenSize(), rounds,
                roundMs, System.getProperty("ai.djl.pytorch.num_threads")));
        out.append("| model | batch | unpatched (ms) | clean | 10% flagged | all flagged | clean, stub detector | detector alone"
                + " | head means, then detector | head means alone |\n");
        out.append("|---|---:|---:|---|---|---|---|---|---|---|\n");
        for (String name : opt.getOrDefault("models", "mnist,vit-ti,vit-s").split(",")) {
            Size size = SIZES.get(name);
            if (size == null) {
                throw new IllegalArgumentException("unknown model '" + name + "': " + SIZES.keySet());
            }
            for (String b : opt.getOrDefault("batches", "1,32,256").split(",")) {
                int batch = Integer.parseInt(b);
                if (batch > 32 && !name.equals("mnist")) {
                    continue;
                }
                out.append(measure(size, batch, config, second, rounds, roundMs));
                System.err.printf(Locale.ROOT, "%s batch %d done%n", name, batch);
            }
        }
        System.out.print(out);
    }

    private static String measure(Size size, int batch, DetectorConfig config, DetectorConfig second, int rounds,
            double roundMs) {
        Engine.getInstance().setRandomSeed(42);
        VisionTransformer vit = VisionTransformer.builder().setImageSize(size.image()).optChannels(size.channels())
                .setPatchSize(size.patch()).setDepth(size.depth()).setWidth(size.width()).setHeads(size.heads())
                .setClasses(10).build();
        int n = size.tokens();
        Shape sample = new Shape(size.channels(), size.image(), size.image());
        try (Model model = Model.newInstance("guard-cost-" + size.name())) {
            model.setBlock(vit);
            vit.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1).addAll(sample));
            try (NDManager m = model.getNDManager().newSubManager();
                    AttentionDetector trained = oneEpochDetector(model, m, sample, n, size.depth(), config);
                    AttentionDetector other = second == null ? null : oneEpochDetector(model, m, sample, n, size.depth(), second)) {
                ColumnDetector detector = other == null ? trained : DetectorEnsemble.of(trained, other);
                BenignStatistics q = BenignStatistics.empty(size.depth(), size.heads(), n, 0);
                AttentionRecorder.record(model, m.randomUniform(0, 1, new Shape(8).addAll(sample)), false).accumulateInto(q);
                NDArray x = m.randomUniform(0, 1, new Shape(batch).addAll(sample));
                List<NDArray> headMeans = headMeans(model, x);
                Map<String, Runnable> rows = new LinkedHashMap<>();
                rows.put("unpatched", scoped(m, x, xs -> vit.forward(new ParameterStore(xs.getManager(), false), new NDList(xs), false)
                        .singletonOrThrow()));
                List<PatchedModel> patched = new ArrayList<>();
                Map<String, Integer> flaggedRows = new LinkedHashMap<>();
                flaggedRows.put("clean", 0);
                if (batch >= 10) {
                    flaggedRows.put("10% flagged", batch / 10);
                }
                flaggedRows.put("all flagged", batch);
                for (Map.Entry<String, Integer> f : flaggedRows.entrySet()) {
                    NDArray script = script(m, batch, size.depth(), n, f.getValue(), n / 2);
                    PatchedModel p = PatchedModel.builder().setModel(model).setDetector(new Scripted(detector, script))
                            .setBenignStatistics(q).optTau(0.5).optPatchRule(PatchRules.gamma()).build();
                    patched.add(p);
                    rows.put(f.getKey(), scoped(m, x, p::predict));
                }
                PatchedModel stub = PatchedModel.builder().setModel(model).setDetector(VitBenchFixture.flagsNothing()).setBenignStatistics(q)
                        .optTau(0.5).optPatchRule(PatchRules.gamma()).build();
                patched.add(stub);
                rows.put("stub detector", scoped(m, x, stub::predict));
                rows.put("detector alone", scoped(m, x, xs -> detector.detectAll(headMeans)));
                rows.put("head means, then detector", scoped(m, x, xs -> detector.detectAll(headMeans(model, xs))));
                rows.put("head means alone", scoped(m, x, xs -> {
                    headMeans(model, xs);
                    return null;
                }));
                try {
                    double[][] r = PairedRounds.run(new ArrayList<>(rows.values()), rounds, roundMs);
                    Map<String, String> cells = new LinkedHashMap<>();
                    int k = 0;
                    for (String row : rows.keySet()) {
                        cells.put(row, k == 0 ? String.format(Locale.ROOT, "%.2f", PatchOverheadRunner.percentile(r[0], 50))
                                : PairedRounds.ratioCell(r[k], r[0]));
                        k++;
                    }
                    return String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |%n", size.name(),
                            batch, cells.get("unpatched"), cells.get("clean"), cells.getOrDefault("10% flagged", "—"),
                            cells.get("all flagged"), cells.get("stub detector"), cells.get("detector alone"),
                            cells.get("head means, then detector"), cells.get("head means alone"));
                } finally {
                    patched.forEach(PatchedModel::close);
                }
            }
        }
    }

    /**
     * A call on a copy of {@code x} in a sub-manager of {@code m}, so that everything the call
     * creates from its input (and its result) is freed when it returns; every row pays the same copy.
     */
    private static Runnable scoped(NDManager m, NDArray x, java.util.function.Function<NDArray, NDArray> call) {
        return () -> {
            try (NDManager s = m.newSubManager()) {
                NDArray xs = x.duplicate();
                xs.attach(s);
                NDArray r = call.apply(xs);
                if (r != null) {
                    r.attach(s);
                }
            }
        };
    }

    /** The forward with each layer's head mean taken: what pass 1 reads before the detector. */
    private static List<NDArray> headMeans(Model model, NDArray x) {
        HeadMeans means = new HeadMeans();
        means.forward(model.getBlock(), new ParameterStore(x.getManager(), false), x);
        return means.maps();
    }

    /**
     * A detector of the given configuration trained for one epoch on the model's own maps of random
     * inputs, the middle column labelled: the architecture with real parameters, for timing (its cost
     * does not depend on what it learned).
     *
     * @param model the model
     * @param m where the recorded inputs live
     * @param sample one input's shape
     * @param tokens N of the model's maps
     * @param depth the model's attention layers
     * @param config the detector configuration
     * @return the detector
     */
    static AttentionDetector oneEpochDetector(Model model, NDManager m, Shape sample, int tokens, int depth,
            DetectorConfig config) {
        int pairs = 16;
        AttentionTrace clean = AttentionRecorder.record(model, m.randomUniform(0, 1, new Shape(pairs).addAll(sample)), false);
        AttentionTrace other = AttentionRecorder.record(model, m.randomUniform(0, 1, new Shape(pairs).addAll(sample)), false);
        boolean[][] columns = new boolean[pairs][tokens];
        for (boolean[] c : columns) {
            c[tokens / 2] = true;
        }
        DetectorTrainingData data = DetectorTrainingData.builder().optLayers(depth)
                .addPairs(clean, other, ColumnLabels.sameForAllLayers(columns, depth)).build();
        return new DetectorTrainer(config.toBuilder().optEpochs(1).optProgressBar(false).optValidationFraction(0.25).build())
                .train(data);
    }

    /** {@code (B, L, N)}: column {@code column} at 1 for the first {@code flagged} samples, 0 elsewhere. */
    private static NDArray script(NDManager m, int batch, int layers, int n, int flagged, int column) {
        float[] v = new float[batch * layers * n];
        for (int i = 0; i < flagged; i++) {
            for (int l = 0; l < layers; l++) {
                v[(i * layers + l) * n + column] = 1f;
            }
        }
        return m.create(v, new Shape(batch, layers, n));
    }

    /**
     * The real detector's probabilities computed, then replaced by a script of the same shape: two
     * extra ops per call, so every row pays the real detector's cost.
     */
    private record Scripted(ColumnDetector real, NDArray script) implements ColumnDetector {

        @Override
        public NDArray detect(NDArray maps, int layer) {
            throw new UnsupportedOperationException("the benchmarked models have one map per sample");
        }

        @Override
        public NDArray detectAll(List<NDArray> headAveragedPerLayer) {
            return real.detectAll(headAveragedPerLayer).mul(0).add(script);
        }
    }
}
