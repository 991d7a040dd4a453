package org.atpatch.examples.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.ListStatistics;

/**
 * Runs {@link PatchOverheadBenchmark} (forked JVMs) and prints, per batch size, each variant's time
 * per call (median and mean ± 99.9 % error over all measured iterations of all forks) and its ratio
 * to the unpatched forward (ratio of medians with a bootstrap 95 % interval, and ratio of means).
 *
 * <pre>
 * java -cp ... org.atpatch.examples.bench.PatchOverheadRunner \
 *     [--batches 1,256] [--variants unpatched,patched-none,...] [--forks 3] [--warmup 3]
 *     [--iterations 5] [--seconds 2] [--out target/patch-overhead]
 * </pre>
 *
 * Writes {@code <out>.json} (JMH's own results) and {@code <out>.md} (the table).
 */
public final class PatchOverheadRunner {

    private PatchOverheadRunner() {}

    /**
     * @param args see the class comment; unknown or empty arguments are rejected / ignored
     * @throws RunnerException if JMH fails
     * @throws IOException if the table cannot be written
     */
    public static void main(String[] args) throws RunnerException, IOException {
        Map<String, String> opt = PairedOverhead.Args.parse(args);
        List<String> batches = List.of(opt.getOrDefault("batches", "1,256").split(","));
        List<String> variants = List.of(opt.getOrDefault("variants", String.join(",", PatchOverheadBenchmark.VARIANTS)).split(","));
        if (!variants.get(0).equals("unpatched")) {
            throw new IllegalArgumentException("the first variant must be the baseline 'unpatched'");
        }
        int forks = Integer.parseInt(opt.getOrDefault("forks", "3"));
        int warmup = Integer.parseInt(opt.getOrDefault("warmup", "3"));
        int iterations = Integer.parseInt(opt.getOrDefault("iterations", "5"));
        int seconds = Integer.parseInt(opt.getOrDefault("seconds", "2"));
        Path out = Path.of(opt.getOrDefault("out", "target/patch-overhead"));
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }

        ChainedOptionsBuilder b = new OptionsBuilder()
                .include(Pattern.quote(PatchOverheadBenchmark.class.getName() + ".predict"))
                .param("batch", batches.toArray(String[]::new))
                .param("variant", variants.toArray(String[]::new))
                .forks(forks)
                .warmupIterations(warmup)
                .warmupTime(TimeValue.seconds(seconds))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(seconds))
                .result(out + ".json")
                .resultFormat(ResultFormatType.JSON);
        Collection<RunResult> results;
        String load;
        try (LoadSampler sampler = new LoadSampler(5000)) {
            results = new Runner(b.build()).run();
            load = sampler.summary();
        }

        Map<String, double[]> samples = new LinkedHashMap<>();
        for (RunResult r : results) {
            String key = r.getParams().getParam("batch") + "/" + r.getParams().getParam("variant");
            List<Double> s = new ArrayList<>();
            for (BenchmarkResult fork : r.getBenchmarkResults()) {
                for (IterationResult it : fork.getIterationResults()) {
                    s.add(it.getPrimaryResult().getScore());
                }
            }
            samples.put(key, s.stream().mapToDouble(Double::doubleValue).toArray());
        }
        String table = table(batches, variants, samples, forks, iterations, seconds) + "\n" + load + "\n";
        System.out.println();
        System.out.println(table);
        Files.writeString(out.resolveSibling(out.getFileName() + ".md"), table, StandardCharsets.UTF_8);
    }

    static String table(List<String> batches, List<String> variants, Map<String, double[]> samples,
            int forks, int iterations, int seconds) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%d forks × %d iterations × %d s per (batch, variant); times in ms per call%n%n",
                forks, iterations, seconds));
        sb.append("| batch | variant | n | median ms | IQR ms | mean ± 99.9% err ms | ratio of medians [95% bootstrap] | ratio of means ± err |\n");
        sb.append("|---:|---|---:|---:|---|---|---|---|\n");
        for (String batch : batches) {
            double[] base = samples.get(batch + "/" + variants.get(0));
            for (String v : variants) {
                double[] s = samples.get(batch + "/" + v);
                if (s == null || s.length == 0) {
                    sb.append("| ").append(batch).append(" | ").append(v).append(" | 0 | — | — | — | — | — |\n");
                    continue;
                }
                double med = percentile(s, 50);
                double mean = mean(s);
                double err = error999(s);
                String ratioMed = "—";
                String ratioMean = "—";
                if (base != null && base.length > 0) {
                    double bm = percentile(base, 50);
                    double[] ci = bootstrapRatio(s, base, 2000);
                    ratioMed = String.format(Locale.ROOT, "%.3f× [%.3f, %.3f]", med / bm, ci[0], ci[1]);
                    double bmean = mean(base);
                    double r = mean / bmean;
                    double re = r * Math.hypot(err / mean, error999(base) / bmean);
                    ratioMean = String.format(Locale.ROOT, "%.3f× ± %.3f", r, re);
                }
                sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %.4f | %.4f–%.4f | %.4f ± %.4f | %s | %s |%n",
                        batch, v, s.length, med, percentile(s, 25), percentile(s, 75), mean, err, ratioMed, ratioMean));
            }
        }
        return sb.toString();
    }

    static double mean(double[] s) {
        return Arrays.stream(s).average().orElse(Double.NaN);
    }

    /** Half-width of the 99.9 % confidence interval of the mean, computed as JMH does. */
    static double error999(double[] s) {
        return s.length < 2 ? Double.NaN : new ListStatistics(s).getMeanErrorAt(0.999);
    }

    public static double percentile(double[] s, double p) {
        double[] c = s.clone();
        Arrays.sort(c);
        double pos = p / 100.0 * (c.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return c[lo] + (c[hi] - c[lo]) * (pos - lo);
    }

    /** 95 % percentile-bootstrap interval of median(a) / median(b), seeded. */
    static double[] bootstrapRatio(double[] a, double[] b, int reps) {
        SplittableRandom rnd = new SplittableRandom(1);
        double[] r = new double[reps];
        double[] ra = new double[a.length];
        double[] rb = new double[b.length];
        for (int i = 0; i < reps; i++) {
            for (int j = 0; j < a.length; j++) {
                ra[j] = a[rnd.nextInt(a.length)];
            }
            for (int j = 0; j < b.length; j++) {
                rb[j] = b[rnd.nextInt(b.length)];
            }
            r[i] = percentile(ra, 50) / percentile(rb, 50);
        }
        return new double[] {percentile(r, 2.5), percentile(r, 97.5)};
    }
}
