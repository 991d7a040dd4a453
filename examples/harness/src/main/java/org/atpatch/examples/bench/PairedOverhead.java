package org.atpatch.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A companion to the JMH benchmark for a shared, noisy machine: all variants live in one JVM and are
 * timed in interleaved rounds (the order rotates every round), and each round's time is divided by
 * the same round's unpatched time. The median of these per-round ratios is insensitive to load that
 * changes slower than a round (other builds starting and stopping), which JMH's one-parameter-set-
 * after-another order is not. It records wall time and the process's CPU time: with
 * {@code ai.djl.pytorch.num_threads=1} every op runs on the calling thread, and CPU time is then
 * nearly insensitive to other processes competing for the cores. Same model, inputs and detectors
 * as {@link PatchOverheadBenchmark}.
 *
 * <pre>
 * java ... org.atpatch.examples.bench.PairedOverhead [--batches 1,256] [--variants unpatched,...] [--rounds 30] [--ms 300] [--warmup-rounds 5]
 * </pre>
 */
public final class PairedOverhead {

    private PairedOverhead() {}

    /**
     * @param args see the class comment
     */
    public static void main(String[] args) {
        Map<String, String> opt = Args.parse(args);
        int rounds = Integer.parseInt(opt.getOrDefault("rounds", "30"));
        int warmupRounds = Integer.parseInt(opt.getOrDefault("warmup-rounds", "5"));
        double roundMs = Double.parseDouble(opt.getOrDefault("ms", "300"));
        List<String> batches = List.of(opt.getOrDefault("batches", "1,256").split(","));
        List<String> variants = List.of(opt.getOrDefault("variants", String.join(",", BenchVariants.MAIN)).split(","));
        if (!variants.get(0).equals("unpatched")) {
            throw new IllegalArgumentException("the first variant must be the baseline 'unpatched'");
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "interleaved rounds: %d measured (+%d warm-up), about %.0f ms per variant per round; "
                + "ai.djl.pytorch.num_threads=%s%n%n", rounds, warmupRounds, roundMs, System.getProperty("ai.djl.pytorch.num_threads")));
        out.append("Each cell: median ms per call; median of the per-round ratios to unpatched [IQR of those ratios].\n\n");
        out.append("| batch | variant | wall time | process CPU time |\n");
        out.append("|---:|---|---|---|\n");
        LoadSampler sampler = new LoadSampler(5000);
        try (VitBenchFixture fixture = VitBenchFixture.create(42); BenchVariants bv = new BenchVariants(fixture)) {
            for (String bs : batches) {
                int batch = Integer.parseInt(bs);
                try (NDManager inputs = fixture.manager.newSubManager()) {
                    NDArray x = VitBenchFixture.images(inputs, batch);
                    List<Runnable> calls = new ArrayList<>();
                    for (String variant : variants) {
                        bv.check(variant, x);
                        calls.add(bv.call(variant, inputs, x));
                    }
                    PairedRounds.Times times = PairedRounds.time(calls, rounds, warmupRounds, roundMs);
                    double[][] ms = times.wallMs();
                    double[][] cpu = times.cpuMs();
                    int v = calls.size();
                    for (int k = 0; k < v; k++) {
                        out.append(String.format(Locale.ROOT, "| %d | %s | %s | %s |%n",
                                batch, variants.get(k), cell(ms[k], ms[0]), cell(cpu[k], cpu[0])));
                    }
                    System.err.printf(Locale.ROOT, "batch %d done%n", batch);
                }
            }
        }
        sampler.close();
        out.append('\n').append(sampler.summary()).append('\n');
        System.out.print(out);
    }

    private static String cell(double[] t, double[] base) {
        return String.format(Locale.ROOT, "%.3f ms; %s", PatchOverheadRunner.percentile(t, 50), PairedRounds.ratioCell(t, base));
    }

    /** Parses {@code --name value} pairs (exec:exec may pass them as one argument). */
    static final class Args {
        private Args() {}

        static Map<String, String> parse(String[] args) {
            List<String> flat = new ArrayList<>();
            for (String a : args) {
                flat.addAll(Arrays.asList(a.trim().split("\\s+")));
            }
            flat.removeIf(String::isEmpty);
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i < flat.size(); i++) {
                if (!flat.get(i).startsWith("--") || i + 1 >= flat.size()) {
                    throw new IllegalArgumentException("expected --name value pairs, got " + flat);
                }
                m.put(flat.get(i).substring(2), flat.get(++i));
            }
            return m;
        }
    }
}
