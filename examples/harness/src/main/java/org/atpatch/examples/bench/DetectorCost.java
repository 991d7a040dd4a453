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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.atpatch.detector.AttentionDetector;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.model.VisionTransformer;

/**
 * The detector-cost measurement: the time the paper's CNN detector takes to score every
 * layer's head-averaged maps of a batch ({@link AttentionDetector#detectAll}, as the patched model
 * calls it online), as a ratio to the forward pass of the ViT it guards, on the same batch. Two ViTs
 * on 28×28 images, depth 4, width 64, 4 heads: patch 4 (N = 50) and patch 2 (N = 197). The two
 * calls are timed in interleaved rounds and the median of the per-round ratios is reported, as in
 * {@link PairedOverhead}. The detector is trained for one epoch on the ViT's own maps so that it has
 * the paper's architecture and real parameters; its cost does not depend on what it learned. The
 * default detector's cost, on the whole path, is {@link GuardCost}'s.
 *
 * <pre>java ... org.atpatch.examples.bench.DetectorCost [--batch 256] [--rounds 15] [--patches 4,2]</pre>
 */
public final class DetectorCost {

    private static final int IMAGE = 28;
    private static final int DEPTH = 4;
    private static final int WIDTH = 64;
    private static final int HEADS = 4;

    private DetectorCost() {}

    /**
     * @param args see the class comment
     */
    public static void main(String[] args) {
        DjlOffline.configure();
        Map<String, String> opt = PairedOverhead.Args.parse(args);
        int batch = Integer.parseInt(opt.getOrDefault("batch", "256"));
        int rounds = Integer.parseInt(opt.getOrDefault("rounds", "15"));
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "batch %d, %d interleaved rounds, ViT depth %d width %d heads %d, "
                + "ai.djl.pytorch.num_threads=%s%n%n", batch, rounds, DEPTH, WIDTH, HEADS,
                System.getProperty("ai.djl.pytorch.num_threads")));
        out.append("| N | ViT forward (ms) | detector, all layers (ms) | detector / forward [IQR] | per map (µs) |\n");
        out.append("|---:|---:|---:|---|---:|\n");
        for (String p : opt.getOrDefault("patches", "4,2").split(",")) {
            out.append(measure(Integer.parseInt(p), batch, rounds));
        }
        System.out.print(out);
    }

    private static String measure(int patch, int batch, int rounds) {
        Engine.getInstance().setRandomSeed(42);
        VisionTransformer vit = VisionTransformer.builder().setImageSize(IMAGE).setPatchSize(patch).setDepth(DEPTH)
                .setWidth(WIDTH).setHeads(HEADS).setClasses(10).build();
        int n = vit.tokenLayout().size();
        try (Model model = Model.newInstance("detector-cost-" + n)) {
            model.setBlock(vit);
            vit.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, IMAGE, IMAGE));
            try (AttentionDetector detector = detectorFor(model, n);
                    NDManager m = model.getNDManager().newSubManager()) {
                NDArray x = m.randomUniform(0, 1, new Shape(batch, 1, IMAGE, IMAGE));
                List<NDArray> maps = new ArrayList<>();
                for (int l = 0; l < DEPTH; l++) {
                    maps.add(m.randomNormal(new Shape(batch, n, n)).softmax(-1));
                }
                ParameterStore ps = new ParameterStore(m, false);
                Runnable forward = () -> {
                    try (NDManager s = m.newSubManager()) {
                        NDArray in = x.duplicate();
                        in.attach(s);
                        vit.forward(ps, new NDList(in), false).singletonOrThrow().toType(DataType.FLOAT32, false);
                    }
                };
                Runnable detect = () -> {
                    try (NDManager s = m.newSubManager()) {
                        NDArray probs = detector.detectAll(maps);
                        probs.attach(s);
                    }
                };
                for (int w = 0; w < 3; w++) {
                    forward.run();
                    detect.run();
                }
                double[] f = new double[rounds];
                double[] d = new double[rounds];
                double[] ratio = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    boolean detectFirst = r % 2 == 1;
                    d[r] = detectFirst ? time(detect) : 0;
                    f[r] = time(forward);
                    d[r] = detectFirst ? d[r] : time(detect);
                    ratio[r] = d[r] / f[r];
                }
                double dMed = PatchOverheadRunner.percentile(d, 50);
                System.err.printf(Locale.ROOT, "N = %d done%n", n);
                return String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.3f× [%.3f, %.3f] | %.1f |%n", n,
                        PatchOverheadRunner.percentile(f, 50), dMed, PatchOverheadRunner.percentile(ratio, 50),
                        PatchOverheadRunner.percentile(ratio, 25), PatchOverheadRunner.percentile(ratio, 75),
                        dMed * 1000 / (batch * (double) DEPTH));
            }
        }
    }

    private static double time(Runnable r) {
        long t = System.nanoTime();
        r.run();
        return (System.nanoTime() - t) / 1e6;
    }

    /** The paper's CNN detector, trained for one epoch on the ViT's own maps. */
    private static AttentionDetector detectorFor(Model model, int n) {
        try (NDManager m = model.getNDManager().newSubManager()) {
            return GuardCost.oneEpochDetector(model, m, new Shape(1, IMAGE, IMAGE), n, DEPTH, DetectorConfig.paper());
        }
    }
}
