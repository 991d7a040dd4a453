package org.atpatch.djl.debugset;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import org.atpatch.djl.Predictions;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.testing.VictimTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Times trigger inversion on a quickstart-sized victim: MNIST 28×28, patch 4, 4 layers, width 64,
 * 10 classes, BadNets 4×4 white square at rows/cols 22–25 (straddling four patches), target 0,
 * trained on 30,000 images for 6 epochs. It prints the victim's clean accuracy and attack success,
 * the inversion's wall and CPU time, and ({@link #stepCost}) the cost per stamped input of one step,
 * which the default of {@code maxStackedInputs} rests on.
 * Not part of the normal build (it needs the MNIST files and several minutes of training): run with
 * {@code -Datpatch.timing=true -Dtest=InversionTiming}, optionally {@code -Datpatch.mnist=DIR} and
 * {@code -Datpatch.timing.cache=DIR} to reuse the trained victim.
 */
@EnabledIfSystemProperty(named = "atpatch.timing", matches = "true")
class InversionTiming {

    @Test
    void quickstartSizedInversion() throws Exception {
        DjlOffline.configure();
        Path dir = mnist();
        LabelledData train = idx(dir.resolve("train-images-idx3-ubyte.gz"), dir.resolve("train-labels-idx1-ubyte.gz"),
                Integer.getInteger("atpatch.timing.train", 30000));
        LabelledData test = idx(dir.resolve("t10k-images-idx3-ubyte.gz"), dir.resolve("t10k-labels-idx1-ubyte.gz"), 2000);
        Shape shape = train.sampleShape();
        Trigger trigger = Trigger.square(0, 22, 22, 4, 1f, shape);
        LabelledData poisoned = poison(train, trigger, 0.1, 1);
        Engine.getInstance().setRandomSeed(3);
        try (Model model = Model.newInstance("quickstart-victim")) {
            VisionTransformer vit = VisionTransformer.builder().setImageSize(28).setPatchSize(4).setDepth(4)
                    .setWidth(64).setHeads(4).setClasses(10).build();
            model.setBlock(vit);
            vit.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 28, 28));
            String cache = System.getProperty("atpatch.timing.cache");
            if (cache != null && Files.exists(Path.of(cache, "qs-0000.params"))) {
                model.load(Path.of(cache), "qs");
            } else {
                VictimTrainer.builder().optEpochs(Integer.getInteger("atpatch.timing.epochs", 6)).optSeed(3)
                        .optProgress(false).build().fit(model, poisoned);
                if (cache != null) {
                    model.save(Path.of(cache), "qs");
                }
            }
            int[] p = Predictions.classes(model, test, 256);
            double acc = IntStream.range(0, p.length).filter(i -> p[i] == test.labels()[i]).count() / (double) p.length;
            LabelledData others = test.subset(IntStream.range(0, test.size()).filter(i -> test.labels()[i] != 0).toArray());
            int[] pt = Predictions.classes(model, trigger.apply(others), 256);
            double asr = IntStream.of(pt).filter(v -> v == 0).count() / (double) pt.length;
            System.out.printf(Locale.ROOT, "TIMING victim clean accuracy %.4f, attack success %.4f%n", acc, asr);
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            InversionReport report = TriggerInversion.builder().build().invert(model, test);
            System.out.printf(Locale.ROOT, "TIMING inversion wall %.1f s, process CPU %.1f s%n", (System.nanoTime() - t0) / 1e9,
                    (os.getProcessCpuTime() - cpu0) / 1e9);
            System.out.println("TIMING " + report);
            report.writeTo(Path.of("target/inversion-timing"));
            boolean[] cols = TriggerLabelling.columns(report.trigger(0).mask(), vit.tokenLayout(), OverlapRule.defaultRule());
            float[] m0 = report.trigger(0).mask();
            StringBuilder sb = new StringBuilder("TIMING class-0 mask pixels > 0.05:");
            for (int i = 0; i < m0.length; i++) {
                if (m0[i] > 0.05f) {
                    sb.append(String.format(Locale.ROOT, " (%d,%d)=%.2f", i / 28, i % 28, m0[i]));
                }
            }
            System.out.println(sb);
            System.out.println("TIMING class-0 labelled columns " + java.util.Arrays.toString(
                    IntStream.range(0, cols.length).filter(j -> cols[j]).toArray()));
        }
    }

    @Test
    void stepCost() throws Exception {
        DjlOffline.configure();
        Path dir = mnist();
        LabelledData test = idx(dir.resolve("t10k-images-idx3-ubyte.gz"), dir.resolve("t10k-labels-idx1-ubyte.gz"), 2000);
        Engine.getInstance().setRandomSeed(3);
        try (Model model = Model.newInstance("quickstart-victim")) {
            VisionTransformer vit = VisionTransformer.builder().setImageSize(28).setPatchSize(4).setDepth(4)
                    .setWidth(64).setHeads(4).setClasses(10).build();
            model.setBlock(vit);
            vit.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 28, 28));
            java.lang.management.ThreadMXBean tb = java.lang.management.ManagementFactory.getThreadMXBean();
            int[][] configs = {{10, 8}, {10, 16}, {10, 24}, {10, 32}, {5, 32}, {1, 32}};
            double[] best = new double[configs.length];
            java.util.Arrays.fill(best, Double.MAX_VALUE);
            TriggerInversion cfg = TriggerInversion.builder().build();
            TriggerOptimiser opt = new TriggerOptimiser(model, test, IntStream.range(0, 2000).toArray(), 10, cfg, new java.util.Random(1));
            for (int round = 0; round < 6; round++) {
                for (int k = 0; k < configs.length; k++) {
                    java.util.List<ClassSearch> s = new java.util.ArrayList<>();
                    for (int c = 0; c < configs[k][0]; c++) {
                        s.add(new ClassSearch(c, test.sampleShape(), cfg, c));
                    }
                    LabelledData x = test.range(0, configs[k][1]);
                    opt.gradients(s, x);
                    long c0 = tb.getCurrentThreadCpuTime();
                    for (int r = 0; r < 3; r++) {
                        opt.gradients(s, x);
                    }
                    best[k] = Math.min(best[k], (tb.getCurrentThreadCpuTime() - c0) / 1e6 / 3);
                }
            }
            for (int k = 0; k < configs.length; k++) {
                System.out.printf(Locale.ROOT, "TIMING step classes %d batch %d: best thread CPU %.1f ms (%.2f ms per image)%n",
                        configs[k][0], configs[k][1], best[k], best[k] / (configs[k][0] * configs[k][1]));
            }
        }
    }

    private static Path mnist() {
        Path dir = Path.of(System.getProperty("atpatch.mnist", "../../shared/datasets/mnist"));
        return Files.exists(dir.resolve("train-images-idx3-ubyte.gz")) ? dir : Path.of("../shared/datasets/mnist");
    }

    static LabelledData idx(Path images, Path labels, int limit) throws IOException {
        try (DataInputStream img = new DataInputStream(open(images)); DataInputStream lab = new DataInputStream(open(labels))) {
            img.readInt();
            int n = Math.min(limit, img.readInt());
            int rows = img.readInt();
            int cols = img.readInt();
            lab.readInt();
            lab.readInt();
            byte[] px = new byte[n * rows * cols];
            img.readFully(px);
            byte[] lb = new byte[n];
            lab.readFully(lb);
            float[] x = new float[px.length];
            for (int i = 0; i < px.length; i++) {
                x[i] = (px[i] & 0xff) / 255f;
            }
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                y[i] = lb[i];
            }
            return new LabelledData(x, y, new Shape(1, rows, cols));
        }
    }

    private static InputStream open(Path p) throws IOException {
        return new GZIPInputStream(Files.newInputStream(p), 1 << 16);
    }

    static LabelledData poison(LabelledData data, Trigger t, double rate, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] x = data.inputs().clone();
        int[] y = data.labels().clone();
        int per = data.sampleSize();
        for (int i = 0; i < data.size(); i++) {
            if (r.nextDouble() < rate) {
                System.arraycopy(t.apply(data.sample(i)), 0, x, i * per, per);
                y[i] = t.target();
            }
        }
        return new LabelledData(x, y, data.sampleShape());
    }
}
