package org.atpatch.examples.bench;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.IntStream;
import org.atpatch.core.Metrics;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.debugset.InversionReport;
import org.atpatch.djl.debugset.NoFlagPolicy;
import org.atpatch.djl.debugset.OverlapRule;
import org.atpatch.djl.debugset.TriggerInversion;
import org.atpatch.djl.debugset.TriggerLabelling;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.testing.VictimTrainer;
import org.atpatch.examples.data.DataDirectory;
import org.atpatch.examples.data.IdxDatasets;
import org.atpatch.examples.data.ImageSplit;
import org.atpatch.examples.data.PatchTrigger;

/**
 * Times trigger inversion with its default settings on a quickstart-sized victim: MNIST 28 × 28,
 * patch 4, 4 layers, width 64, 10 classes, a BadNets 4 × 4 white square at rows/cols 22–25
 * (straddling four patches) to class 0, poisoning 10 % of the non-target training images. Prints the victim's
 * accuracy and ASR, the inversion's wall and process CPU time, its report, and the columns labelled
 * for class 0. A program, not a test (minutes of victim training):
 *
 * <pre>java -cp ... org.atpatch.examples.bench.InversionTiming [trainImages] [epochs] [cacheDir]</pre>
 *
 * with the data directory from {@code -Datpatch.data} (docs/reproduce.md). The victim is saved to
 * {@code cacheDir} (default {@code target/inversion-timing}) and reused by the next run.
 */
public final class InversionTiming {

    private InversionTiming() {}

    /**
     * @param args optional: training images (default 30000), victim epochs (default 6), victim folder
     * @throws IOException when MNIST is missing or the victim cannot be saved
     * @throws MalformedModelException when the saved victim cannot be read
     */
    public static void main(String[] args) throws IOException, MalformedModelException {
        DjlOffline.configure();
        int trainImages = args.length > 0 ? Integer.parseInt(args[0]) : 30000;
        int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        Path cache = Path.of(args.length > 2 ? args[2] : "target/inversion-timing");
        DataDirectory dir = DataDirectory.fromEnvironment();
        LabelledData train = IdxDatasets.mnist(dir, ImageSplit.TRAIN);
        train = train.range(0, Math.min(trainImages, train.size()));
        LabelledData test = IdxDatasets.mnist(dir, ImageSplit.TEST);
        test = test.range(0, 2000);
        PatchTrigger trigger = new PatchTrigger(22, 22, 4, 1f, false, 0);
        Engine.getInstance().setRandomSeed(3);
        try (Model model = Model.newInstance("inversion-timing")) {
            VisionTransformer vit = VisionTransformer.builder().setImageSize(28).setPatchSize(4).setDepth(4)
                    .setWidth(64).setHeads(4).setClasses(10).build();
            model.setBlock(vit);
            vit.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 28, 28));
            if (Files.exists(cache.resolve("victim-0000.params"))) {
                model.load(cache, "victim");
            } else {
                VictimTrainer.builder().optEpochs(epochs).optSeed(3).optProgress(false).build()
                        .fit(model, trigger.poison(train, 0.1, 1));
                Files.createDirectories(cache);
                model.save(cache, "victim");
            }
            LabelledData eval = test;
            LabelledData others = eval.subset(IntStream.range(0, eval.size()).filter(i -> eval.labels()[i] != 0).toArray());
            LabelledData triggered = trigger.apply(others);
            System.out.printf(Locale.ROOT, "victim clean accuracy %.4f, attack success %.4f%n",
                    Metrics.accuracy(Predictions.classes(model, eval, 256), eval.labels()),
                    Metrics.attackSuccessRate(Predictions.classes(model, triggered, 256), triggered.labels(), 0));
            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            InversionReport report = TriggerInversion.builder().optNoFlagPolicy(NoFlagPolicy.USE_SMALLEST_NORM).build()
                    .invert(model, eval);
            System.out.printf(Locale.ROOT, "inversion wall %.1f s, process CPU %.1f s%n", (System.nanoTime() - t0) / 1e9,
                    (os.getProcessCpuTime() - cpu0) / 1e9);
            System.out.println(report);
            report.writeTo(cache.resolve("report"));
            boolean[] cols = TriggerLabelling.columns(report.trigger(0).mask(), vit.tokenLayout(), OverlapRule.defaultRule());
            System.out.println("class-0 labelled columns "
                    + Arrays.toString(IntStream.range(0, cols.length).filter(j -> cols[j]).toArray()));
        }
    }
}
