package org.atpatch.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.atpatch.djl.patch.BenignOnDevice;
import org.atpatch.djl.patch.DeviceHotPatch;

/**
 * Γ's own cost in a two-pass re-run, as a ratio to the forward pass of the bench ViT
 * ({@link VitBenchFixture}, the model {@link PairedOverhead} times) on the same batch: {@link
 * DeviceHotPatch#prepare} once with the fixture's Q, then {@link DeviceHotPatch.Prepared#applyInPlace}
 * at each of the four layers, on maps of the ViT's shape (random softmax maps; Γ's cost does not
 * depend on their values as long as no row is degenerate), every sample flagging one column. Each patched
 * map is a fresh copy of a kept map, and the copies alone are timed too and subtracted. The three
 * calls are timed in interleaved rounds and the medians of the per-round values are reported, as in
 * {@link PairedOverhead}. Inside a re-run the two-pass floor (pass 1 plus the re-run) comes on top:
 * {@code patched-all-identity} in {@link PairedOverhead}.
 *
 * <pre>java ... org.atpatch.examples.bench.GammaCost [--batches 1,256] [--rounds 15]</pre>
 */
public final class GammaCost {

    private GammaCost() {}

    /**
     * @param args see the class comment
     */
    public static void main(String[] args) {
        Map<String, String> opt = PairedOverhead.Args.parse(args);
        int rounds = Integer.parseInt(opt.getOrDefault("rounds", "15"));
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%d interleaved rounds, the bench ViT (depth %d, width %d, %d heads, "
                + "N %d), ai.djl.pytorch.num_threads=%s%n%n", rounds, VitBenchFixture.DEPTH, VitBenchFixture.WIDTH,
                VitBenchFixture.HEADS, VitBenchFixture.N, System.getProperty("ai.djl.pytorch.num_threads")));
        out.append("| batch | ViT forward (ms) | Γ, prepare + 4 layers (ms) | Γ / forward [IQR] |\n");
        out.append("|---:|---:|---:|---|\n");
        try (VitBenchFixture fixture = VitBenchFixture.create(42)) {
            for (String b : opt.getOrDefault("batches", "1,256").split(",")) {
                out.append(measure(fixture, Integer.parseInt(b), rounds));
            }
        }
        System.out.print(out);
    }

    private static String measure(VitBenchFixture fixture, int batch, int rounds) {
        int n = VitBenchFixture.N;
        int depth = VitBenchFixture.DEPTH;
        Block block = fixture.model.getBlock();
        try (NDManager m = fixture.manager.newSubManager();
                BenignOnDevice benign = new BenignOnDevice(fixture.stats, m, m.getDevice())) {
            NDArray x = VitBenchFixture.images(m, batch);
            List<NDArray> maps = new ArrayList<>();
            for (int l = 0; l < depth; l++) {
                maps.add(m.randomNormal(new Shape(batch, VitBenchFixture.HEADS, n, n)).softmax(-1));
            }
            boolean[] f = new boolean[batch * n];
            for (int i = 0; i < batch; i++) {
                f[i * n + 1 + i % (n - 1)] = true;
            }
            NDArray flagged = m.create(f, new Shape(batch, n));
            DeviceHotPatch gamma = new DeviceHotPatch();
            // The unpatched call of PairedOverhead.
            Runnable forward = () -> {
                try (NDManager s = m.newSubManager()) {
                    x.tempAttach(s);
                    block.forward(new ParameterStore(s, false), new NDList(x), false);
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
                    DeviceHotPatch.Prepared prepared = gamma.prepare(cols, benign.qStacked());
                    for (int l = 0; l < depth; l++) {
                        NDArray a = maps.get(l).duplicate();
                        a.attach(s);
                        prepared.applyInPlace(a, benign.q(l), l);
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

    /** @return milliseconds per run, over {@code reps} runs */
    private static double time(Runnable r, int reps) {
        long t = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            r.run();
        }
        return (System.nanoTime() - t) / 1e6 / reps;
    }
}
