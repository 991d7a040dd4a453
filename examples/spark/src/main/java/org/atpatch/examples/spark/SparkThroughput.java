package org.atpatch.examples.spark;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.PatchedModel;
import org.atpatch.spark.ModelWeights;
import org.atpatch.spark.PatchedScorer;

/**
 * Rows per second of patched scoring on Spark against the same patched model called in a plain
 * loop, and the same with the unpatched model: the Spark overhead and its scaling from {@code
 * local[1]} to {@code local[2]}, measured side by side.
 *
 * <p>The victim and bundle are {@link PlantedVictim}'s; the rows are its scored images (half of
 * them triggered) repeated to {@code --rows}. A plain loop scores them in batches of {@code --batch}
 * in this JVM on a thread of its own ({@code PatchedModel.predictWithReport}, or the victim's
 * forward, logits read to the host; the victim loaded from its weights file as the scoring JVMs
 * load it); Spark scores the same rows, cached in memory in {@code --partitions} partitions, with
 * {@link PatchedScorer} and the same batch size, into Spark's no-op sink. Every round runs the plain
 * loop, {@code local[1]} and {@code local[2]} in an order that rotates from round to round, each
 * Spark setting in a fresh Spark application (its start is not timed; the JVM's model cache and
 * compiled code carry over); one unmeasured round first. Reported: the median over rounds of rows
 * per second, and the median of the per-round ratios.
 *
 * <p>Options: {@code --rows} (default 8192), {@code --batch} (64), {@code --partitions} (4), {@code
 * --rounds} (5), {@code --dir} (target/spark-bench). Run it with one intra-op thread
 * ({@code -Dai.djl.pytorch.num_threads=1}) so that {@code local[N]} uses N cores and the plain loop one.
 */
public final class SparkThroughput {

    private static final String[] SETTINGS = {"plain loop", "Spark local[1]", "Spark local[2]"};

    private SparkThroughput() {}

    /**
     * @param args the options above
     * @throws IOException when the files cannot be written
     * @throws InterruptedException when interrupted
     * @throws ExecutionException when the plain loop fails
     */
    public static void main(String[] args) throws IOException, InterruptedException, ExecutionException {
        DjlOffline.configure();
        int n = 8192;
        int batch = 64;
        int partitions = 4;
        int rounds = 5;
        Path dir = Path.of("target", "spark-bench");
        for (int i = 0; i + 1 < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--rows" -> n = Integer.parseInt(v);
                case "--batch" -> batch = Integer.parseInt(v);
                case "--partitions" -> partitions = Integer.parseInt(v);
                case "--rounds" -> rounds = Integer.parseInt(v);
                case "--dir" -> dir = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--rows, --batch, --partitions, --rounds, --dir)");
            }
        }
        PlantedVictim.VictimFiles files = PlantedVictim.write(dir);
        List<Row> base = PlantedVictim.rows();
        List<Row> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Row r = base.get(i % base.size());
            rows.add(RowFactory.create(i, r.get(1), r.get(2), r.get(3)));
        }
        String weights = files.weights().toAbsolutePath().toString();
        String bundle = files.bundle().toAbsolutePath().toString();
        PatchedScorer patchedScorer = PatchedScorer.builder().setModelFactory(PlantedVictim::newModel).setWeights(weights)
                .setBundle(bundle).setInputColumn("features").optBatchSize(batch).build();
        PatchedScorer unpatchedScorer = PatchedScorer.builder().setModelFactory(PlantedVictim::newModel).setWeights(weights)
                .setUnpatched().setInputColumn("features").optBatchSize(batch).build();
        // The plain loop's victim is loaded from the weights file as each scoring JVM loads it (the trained
        // model itself still carries its training's gradients, which would make every forward record them).
        Model victim = PlantedVictim.newModel();
        ModelWeights.load(victim, files.weights());
        System.out.printf(Locale.ROOT, "%d rows, batch %d, %d partitions, %d rounds, pytorch threads %s, load average %.2f%n",
                n, batch, partitions, rounds, System.getProperty("ai.djl.pytorch.num_threads", "(default)"), load());
        // [setting][patched ? 1 : 0][round] rows per second
        double[][][] perSecond = new double[SETTINGS.length][2][rounds];
        long[] patchedRows = new long[SETTINGS.length];
        // The plain loop runs on a thread of its own, as a Spark task does: on the thread that trained the
        // victim and its detector, the same forwards measured about ten times slower (cause not isolated).
        ExecutorService plainThread = Executors.newSingleThreadExecutor();
        try (PatchedModel patched = PatchedModel.load(files.bundle(), victim)) {
            PlainLoop plain = new PlainLoop(victim, patched, rows, batch);
            for (int r = -1; r < rounds; r++) {
                for (int k = 0; k < SETTINGS.length; k++) {
                    int s = Math.floorMod(k + r, SETTINGS.length);
                    int round = r;
                    double[] rate = s == 0 ? plainThread.submit(() -> plain.time(round)).get()
                            : spark(s, rows, partitions, patchedScorer, unpatchedScorer, r);
                    if (r >= 0) {
                        perSecond[s][0][r] = rate[0];
                        perSecond[s][1][r] = rate[1];
                    }
                    patchedRows[s] = (long) rate[2];
                }
                System.out.printf(Locale.ROOT, "round %d done, load average %.2f%n", r, load());
            }
        } finally {
            plainThread.shutdown();
            PatchedScorer.closeCachedModels();
            victim.close();
        }
        report(perSecond, patchedRows, n);
    }

    /** @return {unpatched rows/s, patched rows/s, rows patched} */
    private static double[] spark(int setting, List<Row> rows, int partitions, PatchedScorer patched, PatchedScorer unpatched,
            int round) {
        SparkSession spark = SparkSession.builder().master(setting == 1 ? "local[1]" : "local[2]").appName("atpatch-spark-bench")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            Dataset<Row> input = spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext())
                    .parallelize(rows, partitions), PlantedVictim.SCHEMA).persist(StorageLevel.MEMORY_ONLY());
            input.count();
            double[] rate = new double[3];
            for (int j = 0; j < 2; j++) {
                boolean p = (j + round) % 2 == 0;
                Dataset<Row> scored = (p ? patched : unpatched).score(input);
                long t0 = System.nanoTime();
                scored.write().format("noop").mode("overwrite").save();
                rate[p ? 1 : 0] = rows.size() / ((System.nanoTime() - t0) / 1e9);
                if (p) {
                    rate[2] = scored.filter("patched").count();
                }
            }
            input.unpersist();
            return rate;
        } finally {
            spark.stop();
        }
    }

    /** The patched model and the victim's forward called batch by batch in this thread. */
    private static final class PlainLoop {
        private final Model victim;
        private final PatchedModel patched;
        private final List<float[]> samples = new ArrayList<>();
        private final int batch;
        private final Shape sample = new Shape(1, 16, 16);

        PlainLoop(Model victim, PatchedModel patched, List<Row> rows, int batch) {
            this.victim = victim;
            this.patched = patched;
            this.batch = batch;
            for (Row r : rows) {
                samples.add((float[]) r.get(3)); // as PlantedVictim.rows() made them
            }
        }

        double[] time(int round) {
            double[] rate = new double[3];
            for (int j = 0; j < 2; j++) {
                boolean p = (j + round) % 2 == 0;
                long t0 = System.nanoTime();
                long flagged = run(p);
                rate[p ? 1 : 0] = samples.size() / ((System.nanoTime() - t0) / 1e9);
                if (p) {
                    rate[2] = flagged;
                }
            }
            return rate;
        }

        /** @return how many rows were patched */
        private long run(boolean withPatch) {
            int size = (int) sample.size();
            long flagged = 0;
            for (int from = 0; from < samples.size(); from += batch) {
                int b = Math.min(batch, samples.size() - from);
                float[] flat = new float[b * size];
                for (int i = 0; i < b; i++) {
                    System.arraycopy(samples.get(from + i), 0, flat, i * size, size);
                }
                try (NDManager m = victim.getNDManager().newSubManager()) {
                    var x = m.create(flat, new Shape(b).addAll(sample));
                    if (withPatch) {
                        var result = patched.predictWithReport(x);
                        result.logits().toFloatArray();
                        flagged += result.reports().stream().filter(r -> r.patched()).count();
                    } else {
                        victim.getBlock().forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow()
                                .toFloatArray();
                    }
                }
            }
            return flagged;
        }
    }

    private static void report(double[][][] perSecond, long[] patchedRows, int n) {
        System.out.println();
        System.out.println("| setting | unpatched rows/s | patched rows/s | patched / unpatched | rows patched |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (int s = 0; s < SETTINGS.length; s++) {
            System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f | %.2f× | %d of %d |%n", SETTINGS[s], median(perSecond[s][0]),
                    median(perSecond[s][1]), medianRatio(perSecond[s][1], perSecond[s][0]), patchedRows[s], n);
        }
        System.out.println();
        System.out.println("| ratio of rows/s (median of per-round ratios) | unpatched | patched |");
        System.out.println("|---|---:|---:|");
        ratioRow("Spark local[1] / plain loop", perSecond[1], perSecond[0]);
        ratioRow("Spark local[2] / plain loop", perSecond[2], perSecond[0]);
        ratioRow("Spark local[2] / local[1]", perSecond[2], perSecond[1]);
    }

    private static void ratioRow(String name, double[][] a, double[][] b) {
        System.out.printf(Locale.ROOT, "| %s | %.2f× | %.2f× |%n", name, medianRatio(a[0], b[0]), medianRatio(a[1], b[1]));
    }

    private static double medianRatio(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] / b[i];
        }
        return median(r);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
