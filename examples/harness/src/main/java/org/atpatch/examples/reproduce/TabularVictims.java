package org.atpatch.examples.reproduce;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.atpatch.djl.Predictions;
import org.atpatch.core.Metrics;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.debugset.FairnessFlips;
import org.atpatch.djl.debugset.FairnessPredictor;
import org.atpatch.examples.data.DataDirectory;
import org.atpatch.examples.data.ExecArgs;
import org.atpatch.examples.data.TabularDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * Trains (or loads from the {@link VictimCache}) a tabular victim ({@link TabularFamily}) on a benchmark whose
 * protected attributes are each one token, then prints its clean test accuracy and the unfairness
 * rate UF of each protected attribute on the test split. The last line is
 * {@code RESULT {...}} with the numbers.
 */
@Command(name = "tabular-victims", mixinStandardHelpOptions = true,
        description = "Train or load a tabular victim on Adult, COMPAS or Bank and print its accuracy and UF.")
public final class TabularVictims implements Callable<Integer> {

    @Option(names = "--dataset", description = "adult, compas or bank (default ${DEFAULT-VALUE})")
    private String dataset = "adult";

    @Option(names = "--data", description = "data directory (default: -Datpatch.data, $ATPATCH_DATA, ~/.atpatch/data)")
    private Path data;

    @Option(names = "--family", description = "tab, tabert or ft (default: the paper's family for the dataset)")
    private String family;

    @Option(names = "--depth", description = "encoder layers (default ${DEFAULT-VALUE})")
    private int depth = 3;

    @Option(names = "--width", description = "token width (default ${DEFAULT-VALUE})")
    private int width = 32;

    @Option(names = "--heads", description = "attention heads (default ${DEFAULT-VALUE})")
    private int heads = 4;

    @Option(names = "--epochs", description = "training epochs (default ${DEFAULT-VALUE})")
    private int epochs = 20;

    @Option(names = "--batch", description = "batch size (default ${DEFAULT-VALUE})")
    private int batch = 256;

    @Option(names = "--lr", description = "peak AdamW learning rate (default ${DEFAULT-VALUE})")
    private float lr = 1e-3f;

    @Option(names = "--seed", description = "training seed (default ${DEFAULT-VALUE})")
    private long seed = 42;

    @Option(names = "--skip-uf", description = "skip the unfairness rates (they cost several forwards of the test split)")
    private boolean skipUf;

    @Option(names = "--cache", description = "victim cache folder (default ~/.cache/atpatch/victims)")
    private Path cache = Path.of(System.getProperty("user.home"), ".cache", "atpatch", "victims");

    /**
     * @param args the command line (or one exec:exec property)
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new TabularVictims()).execute(ExecArgs.split(args)));
    }

    @Override
    public Integer call() throws IOException {
        DjlOffline.configure();
        long t0 = System.nanoTime();
        DataDirectory dir = data == null ? DataDirectory.fromEnvironment() : new DataDirectory(data);
        TabularDataset d;
        TabularFamily f;
        try {
            d = TabularVictim.load(dir, dataset);
            f = family == null ? TabularFamily.forDataset(dataset) : TabularFamily.byName(family);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
        }
        System.out.print(d.describe());
        try (TabularVictim v = TabularVictim.trainOrLoad(d, f,
                new TabularVictim.Settings(depth, width, heads, epochs, batch, lr, seed), cache)) {
            double acc = v.testAccuracy();
            double debugAcc = Metrics.accuracy(Predictions.classes(v.model(), d.debug(), 1024), d.debug().labels());
            StringBuilder uf = new StringBuilder();
            for (String name : skipUf ? List.<String>of() : d.spec().protectedAttributes()) {
                double rate = FairnessFlips.of(List.of(v.attribute(name)), d.test().sampleSize())
                        .unfairness(d.test(), FairnessPredictor.of(v.model(), 1024));
                System.out.printf(Locale.ROOT, "UF(%s) on test = %.4f%n", name, rate);
                uf.append(String.format(Locale.ROOT, ",\"uf_%s\":%.5f", name, rate));
            }
            System.out.printf(Locale.ROOT, "%s (%s): test accuracy %.4f, debugging accuracy %.4f (%s in %.1f s)%n",
                    dataset, f, acc, debugAcc, v.cached() ? "loaded from cache" : "trained", v.trainSeconds());
            System.out.printf(Locale.ROOT, "RESULT {\"dataset\":\"%s\",\"family\":\"%s\",\"test_acc\":%.5f,"
                    + "\"debug_acc\":%.5f%s,\"cached\":%b,\"train_seconds\":%.1f,\"total_seconds\":%.1f}%n",
                    dataset, f, acc, debugAcc, uf, v.cached(), v.trainSeconds(), (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }
}
