package org.atpatch.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.patch.PatchRules;

/**
 * Soak: 10,000 patched predict calls on the MNIST-sized ViT of {@link VitBenchFixture}, reading
 * {@code VmRSS} from {@code /proc/self/status} every 500 calls. Batches vary in size (1, 3, 8, 16,
 * 5) and in what is flagged (nothing / about half the samples / every sample), and the calls
 * alternate between Γ and the token-state rule, so every path of the patched model runs: pass 1
 * only, gather-re-run-scatter of some samples, and a full re-run. Each call's input is created
 * natively in a per-call manager that is closed after the logits are read.
 *
 * <p>Prints a table and the largest deviation of RSS from the median of the samples taken after
 * warm-up (the first 1,000 calls); exits 1 if it exceeds ±5 %. Run it with a fixed, pre-touched
 * heap ({@code -Xms256m -Xmx256m -XX:+AlwaysPreTouch}) so that RSS moves only with native memory.
 *
 * <pre>
 * java ... org.atpatch.examples.bench.PatchSoak [--calls 10000] [--every 500] [--warmup 1000] [--tolerance 0.05]
 * </pre>
 */
public final class PatchSoak {

    private static final int[] BATCHES = {1, 3, 8, 16, 5};

    private enum Flags { NONE, SOME, ALL }

    private PatchSoak() {}

    /**
     * @param args see the class comment
     * @throws IOException if {@code /proc/self/status} cannot be read
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> opt = PairedOverhead.Args.parse(args);
        int calls = Integer.parseInt(opt.getOrDefault("calls", "10000"));
        int every = Integer.parseInt(opt.getOrDefault("every", "500"));
        int warmup = Integer.parseInt(opt.getOrDefault("warmup", "1000"));
        double tolerance = Double.parseDouble(opt.getOrDefault("tolerance", "0.05"));

        long[] rssAt = new long[calls / every + 1];
        long[] heapAt = new long[rssAt.length];
        double[] secondsAt = new double[rssAt.length];
        long[] samples = new long[1];
        int[] modeCalls = new int[Flags.values().length];
        double checksum = 0;
        try (VitBenchFixture fixture = VitBenchFixture.create(42)) {
            ColumnDetector[] detectors = {VitBenchFixture.flagsNothing(), fixture.flagsSomeSamples(), fixture.flagsEverySample()};
            Flags[] mode = {Flags.NONE};
            ColumnDetector switching = (maps, layer) -> detectors[mode[0].ordinal()].detect(maps, layer);
            try (PatchedModel gamma = fixture.patched(switching, PatchRules.gamma());
                    PatchedModel tokenState = fixture.patched(switching, PatchRules.tokenStateAtFirstLayer())) {
                rssAt[0] = rssKb();
                heapAt[0] = heapUsedKb();
                long start = System.nanoTime();
                for (int i = 1; i <= calls; i++) {
                    int batch = BATCHES[i % BATCHES.length];
                    mode[0] = switch (i % 4) {
                        case 0 -> Flags.NONE;
                        case 3 -> Flags.ALL;
                        default -> Flags.SOME;
                    };
                    modeCalls[mode[0].ordinal()]++;
                    PatchedModel pm = (i & 1) == 0 ? gamma : tokenState;
                    try (NDManager call = fixture.manager.newSubManager()) {
                        NDArray x = VitBenchFixture.images(call, batch);
                        NDArray logits = pm.predict(x);
                        checksum += logits.toFloatArray()[0];
                    }
                    samples[0] += batch;
                    if (i % every == 0) {
                        int k = i / every;
                        rssAt[k] = rssKb();
                        heapAt[k] = heapUsedKb();
                        secondsAt[k] = (System.nanoTime() - start) / 1e9;
                        System.err.printf(Locale.ROOT, "%d calls, %.0f s, VmRSS %.1f MiB%n", i, secondsAt[k], rssAt[k] / 1024.0);
                    }
                }
            }
        }

        List<Long> after = new ArrayList<>();
        for (int k = 1; k < rssAt.length; k++) {
            if ((long) k * every > warmup) {
                after.add(rssAt[k]);
            }
        }
        long[] sorted = after.stream().mapToLong(Long::longValue).sorted().toArray();
        double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0;
        double maxDev = 0;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%d calls, %d samples; calls flagging nothing / some / every sample: %d / %d / %d%n",
                calls, samples[0], modeCalls[0], modeCalls[1], modeCalls[2]));
        sb.append("| calls | seconds | VmRSS MiB | vs post-warm-up median | heap used MiB |\n");
        sb.append("|---:|---:|---:|---:|---:|\n");
        for (int k = 0; k < rssAt.length; k++) {
            int at = k * every;
            double dev = (rssAt[k] - median) / median;
            String mark = at > warmup ? String.format(Locale.ROOT, "%+.2f%%", dev * 100) : "(warm-up)";
            if (at > warmup) {
                maxDev = Math.max(maxDev, Math.abs(dev));
            }
            sb.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %s | %.1f |%n",
                    at, secondsAt[k], rssAt[k] / 1024.0, mark, heapAt[k] / 1024.0));
        }
        sb.append(String.format(Locale.ROOT,
                "post-warm-up (after call %d) median VmRSS %.1f MiB, min %.1f, max %.1f; max deviation %.2f%% (limit ±%.1f%%)%n",
                warmup, median / 1024, sorted[0] / 1024.0, sorted[sorted.length - 1] / 1024.0, maxDev * 100, tolerance * 100));
        sb.append("checksum ").append(checksum).append('\n');
        System.out.print(sb);
        if (maxDev > tolerance) {
            System.out.println("FAIL: RSS is not flat");
            System.exit(1);
        }
        System.out.println("OK: RSS is flat");
    }

    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS line in /proc/self/status");
    }

    private static long heapUsedKb() {
        Runtime r = Runtime.getRuntime();
        return (r.totalMemory() - r.freeMemory()) / 1024;
    }
}
