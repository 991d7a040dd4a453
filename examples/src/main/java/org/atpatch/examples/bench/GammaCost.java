package org.atpatch.examples.bench;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.DeviceHotPatch;
import org.atpatch.djl.VisionTransformer;

/**
 * Γ's own cost in a two-pass re-run, as a ratio to the forward pass of the bench ViT on the same
 * batch: {@link DeviceHotPatch#prepare} once, then {@link DeviceHotPatch.Prepared#applyInPlace} at
 * each of the four layers, on maps of the ViT's shape (random softmax maps; Γ's cost does not depend
 * on their values as long as no row is degenerate), every sample flagging one column. Each patched
 * map is a fresh copy of a kept map, and the copies alone are timed too and subtracted. The three
 * calls are timed in interleaved rounds and the medians of the per-round values are reported, as in
 * {@link PairedOverhead}. Inside a re-run the two-pass floor (pass 1 plus the re-run) comes on top:
 * {@code patched-all-identity} in {@link PairedOverhead}. The forward here runs slower at batch 256
 * than in {@link PairedOverhead} (this program keeps four map-sized arrays and copies four more per
 * call; measured 127–171 ms against 60–74 ms, docs/performance.md §16), so compare the Γ column
 * between builds, and take ratios against the targets from {@link PairedOverhead}.
 *
 * <pre>java ... org.atpatch.examples.bench.GammaCost [--batches 1,256] [--rounds 15]</pre>
 */
public final class GammaCost {

    private static final int IMAGE = 28;
    private static final int PATCH = 4;
    private static final int DEPTH = 4;
    private static final int WIDTH = 64;
    private static final int HEADS = 4;

    private GammaCost() {}

    /**
     * @param args see the class comment
     */
    public static void main(String[] args) {
        DjlOffline.configure();
        Map<String, String> opt = PairedOverhead.Args.parse(args);
        int rounds = Integer.parseInt(opt.getOrDefault("rounds", "15"));
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%d interleaved rounds, ViT depth %d width %d heads %d N %d, "
                + "ai.djl.pytorch.num_threads=%s%n%n", rounds, DEPTH, WIDTH, HEADS, (IMAGE / PATCH) * (IMAGE / PATCH) + 1,
                System.getProperty("ai.djl.pytorch.num_threads")));
        out.append("| batch | ViT forward (ms) | Γ, prepare + 4 layers (ms) | Γ / forward [IQR] |\n");
        out.append("|---:|---:|---:|---|\n");
        for (String b : opt.getOrDefault("batches", "1,256").split(",")) {
            out.append(measure(Integer.parseInt(b), rounds));
        }
        System.out.print(out);
    }

    private static String measure(int batch, int rounds) {
        Engine.getInstance().setRandomSeed(42);
        VisionTransformer vit = VisionTransformer.builder().setImageSize(IMAGE).setPatchSize(PATCH).setDepth(DEPTH)
                .setWidth(WIDTH).setHeads(HEADS).setClasses(10).build();
        int n = vit.tokenLayout().size();
        try (Model model = Model.newInstance("gamma-cost")) {
            model.setBlock(vit);
            vit.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, IMAGE, IMAGE));
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDArray x = m.randomUniform(0, 1, new Shape(batch, 1, IMAGE, IMAGE));
                List<NDArray> maps = new ArrayList<>();
                NDList q = new NDList();
                for (int l = 0; l < DEPTH; l++) {
                    maps.add(m.randomNormal(new Shape(batch, HEADS, n, n)).softmax(-1));
                    q.add(m.randomNormal(new Shape(HEADS, n, n)).softmax(-1));
                }
                NDArray qStacked = NDArrays.stack(q);
                boolean[] f = new boolean[batch * n];
                for (int i = 0; i < batch; i++) {
                    f[i * n + 1 + i % (n - 1)] = true;
                }
                NDArray flagged = m.create(f, new Shape(batch, n));
                DeviceHotPatch gamma = new DeviceHotPatch();
                ParameterStore ps = new ParameterStore(m, false);
                Runnable forward = () -> {
                    try (NDManager s = m.newSubManager()) {
                        NDArray in = x.duplicate();
                        in.attach(s);
                        vit.forward(ps, new NDList(in), false);
                    }
                };
                Runnable copies = () -> {
                    try (NDManager s = m.newSubManager()) {
                        for (NDArray a : maps) {
                            a.duplicate().attach(s);
                        }
                    }
                };
                Runnable patch = () -> {
                    try (NDManager s = m.newSubManager()) {
                        NDArray cols = flagged.duplicate();
                        cols.attach(s);
                        DeviceHotPatch.Prepared prepared = gamma.prepare(cols, qStacked);
                        for (int l = 0; l < DEPTH; l++) {
                            NDArray a = maps.get(l).duplicate();
                            a.attach(s);
                            prepared.applyInPlace(a, q.get(l), l);
                        }
                    }
                };
                int reps = Math.max(1, 2048 / batch);
                for (int w = 0; w < 3; w++) {
                    time(forward, reps);
                    time(copies, reps);
                    time(patch, reps);
                }
                double[] fw = new double[rounds];
                double[] g = new double[rounds];
                double[] ratio = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    double p;
                    double c;
                    if (r % 2 == 0) {
                        fw[r] = time(forward, reps);
                        c = time(copies, reps);
                        p = time(patch, reps);
                    } else {
                        p = time(patch, reps);
                        c = time(copies, reps);
                        fw[r] = time(forward, reps);
                    }
                    g[r] = p - c;
                    ratio[r] = g[r] / fw[r];
                }
                System.err.printf(Locale.ROOT, "batch %d done%n", batch);
                return String.format(Locale.ROOT, "| %d | %.3f | %.3f | %.3f× [%.3f, %.3f] |%n", batch,
                        PatchOverheadRunner.percentile(fw, 50), PatchOverheadRunner.percentile(g, 50),
                        PatchOverheadRunner.percentile(ratio, 50), PatchOverheadRunner.percentile(ratio, 25),
                        PatchOverheadRunner.percentile(ratio, 75));
            }
        }
    }

    /** @return milliseconds per run, over {@code reps} runs */
    private static double time(Runnable r, int reps) {
        long t = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            r.run();
        }
        return (System.nanoTime() - t) / 1e6 / reps;
    }
}
