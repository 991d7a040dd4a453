package org.atpatch.examples.quickstart;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.atpatch.core.Metrics;
import org.atpatch.core.TokenLayout;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.AttentionAudit;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchReport;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.debugset.FairnessDebuggingSetBuilder;
import org.atpatch.djl.debugset.FairnessFlips;
import org.atpatch.djl.debugset.FairnessPredictor;
import org.atpatch.djl.debugset.ProtectedAttribute;
import org.atpatch.djl.render.AttentionPicture;
import org.atpatch.examples.data.DataDirectory;
import org.atpatch.examples.data.ExecArgs;
import org.atpatch.examples.data.TabularDataset;
import org.atpatch.examples.reproduce.TabularFamily;
import org.atpatch.examples.reproduce.TabularVictim;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The fairness quickstart. A TabTransformer is trained on UCI Adult (Census) to predict income; the
 * defender builds a debugging set by flipping a protected attribute (Eq. 4: pairs whose prediction
 * changes with the attribute alone), trains AtPatch with its defaults, and measures clean accuracy
 * and the unfairness rate UF (the share of test rows whose prediction changes when only the
 * attribute is flipped) before and after. Into {@code --out} goes a picture of the attention of a
 * patched row, the same row flipped and an unpatched row, before and after the patch. The last
 * output line is {@code RESULT {...}}.
 *
 * <p>Reads Adult from the data directory ({@code -Datpatch.data=DIR}, else {@code ATPATCH_DATA},
 * else {@code ~/.atpatch/data}; docs/reproduce.md lists the files).
 */
@Command(name = "fairness-quickstart", mixinStandardHelpOptions = true,
        description = "Train a TabTransformer on Census, hot-fix its dependence on a protected attribute, report Acc/UF.")
public final class FairnessQuickstart implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(FairnessQuickstart.class);

    @Option(names = "--attribute", description = "The protected attribute: sex, race or age (default ${DEFAULT-VALUE}).")
    String attribute = "sex";

    @Option(names = "--seed", description = "Seed for victim training, the debugging set and the detector (default ${DEFAULT-VALUE}).")
    long seed = 7;

    @Option(names = "--out", description = "Where the attention picture goes (default ${DEFAULT-VALUE}).")
    Path out = Path.of("target", "fairness-quickstart");

    @Option(names = "--cache", description = "Cache of trained victims, keyed by configuration hash (default ${DEFAULT-VALUE}).")
    Path cache = Path.of(System.getProperty("user.home"), ".cache", "atpatch", "victims");

    /**
     * Runs the quickstart.
     *
     * @param args command-line options; {@code --help} lists them
     */
    public static void main(String[] args) {
        DjlOffline.configure();
        System.exit(new CommandLine(new FairnessQuickstart()).execute(ExecArgs.split(args)));
    }

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        // The model owner's side: a TabTransformer trained on Census (trained once, then cached).
        TabularDataset census = TabularVictim.load(DataDirectory.fromEnvironment(), "adult");
        try (TabularVictim trained = TabularVictim.trainOrLoad(census, TabularFamily.TAB_TRANSFORMER,
                TabularVictim.Settings.defaults(seed), cache)) {
            Model victim = trained.model();
            ProtectedAttribute protectedAttribute = trained.attribute(attribute);
            LabelledData test = census.test();
            FairnessFlips flips = FairnessFlips.of(List.of(protectedAttribute), test.sampleSize());
            double accBefore = Metrics.accuracy(Predictions.classes(victim, test, 1024), test.labels());
            double ufBefore = flips.unfairness(test, FairnessPredictor.of(victim, 1024));
            LOG.info("victim: accuracy {}, UF({}) {}", pct(accBefore), attribute, pct(ufBefore));

            // Offline, once: the debugging set from attribute flips on the defender's rows, then AtPatch.
            DebuggingSet debugSet = FairnessDebuggingSetBuilder.of(victim, census.debug())
                    .setAttributes(List.of(protectedAttribute))
                    .optSeed(seed)
                    .build();
            LOG.info("{}", debugSet);
            try (PatchedModel patched = AtPatch.builder()
                    .setModel(victim)
                    .optDetectorConfig(DetectorConfig.builder().optSeed(seed).build())
                    .build()
                    .train(debugSet)) {
                // Online: every prediction goes through patched.predict(batch); here, over the test split.
                double accAfter = Metrics.accuracy(Predictions.classes(patched, test, 1024), test.labels());
                double ufAfter = flips.unfairness(test, FairnessPredictor.of(patched, 1024));
                System.out.println(String.format(Locale.ROOT, "AtPatch (%s): accuracy %s -> %s, UF(%s) %s -> %s",
                        patched.patchRule().name(), pct(accBefore), pct(accAfter), attribute, pct(ufBefore), pct(ufAfter)));
                Path picture = out.resolve("attention-before-after.png");
                drawAttention(patched, trained.block().tokenLayout(), test, protectedAttribute, picture);
                LOG.info("picture: {}", picture.toAbsolutePath());
                System.err.flush();
                System.out.println(String.format(Locale.ROOT,
                        "RESULT {\"acc_before\":%.4f,\"uf_before\":%.4f,\"acc_after\":%.4f,\"uf_after\":%.4f,\"seconds\":%.1f}",
                        accBefore, ufBefore, accAfter, ufAfter, (System.nanoTime() - start) / 1e9));
            }
        }
        return 0;
    }

    /**
     * Draws what the patched model attends to for the first test row it patches, that row with the
     * attribute flipped to its next value, and the first row it leaves alone; writes nothing (and
     * says so) when the first 256 rows are all patched or none is.
     *
     * @return whether the picture was written
     */
    static boolean drawAttention(PatchedModel patched, TokenLayout layout, LabelledData test, ProtectedAttribute a,
            Path file) throws IOException {
        int rows = Math.min(256, test.size());
        int flagged = -1;
        int clean = -1;
        try (NDManager m = NDManager.newBaseManager()) {
            List<PatchReport> reports = patched.predictWithReport(test.batch(m, 0, rows)).reports();
            for (int i = 0; i < rows; i++) {
                flagged = flagged < 0 && reports.get(i).patched() ? i : flagged;
                clean = clean < 0 && !reports.get(i).patched() ? i : clean;
            }
            if (flagged < 0 || clean < 0) {
                LOG.warn("no attention picture: among the first {} test rows {} patched", rows,
                        flagged < 0 ? "none is" : "all are");
                return false;
            }
            float[] row = test.sample(flagged);
            float[] flipped = row.clone();
            int k = a.indexOfValue(row[a.index()]);
            flipped[a.index()] = a.value((k + 1) % a.valueCount());
            LabelledData three = LabelledData.unlabelled(List.of(row, flipped, test.sample(clean)), test.sampleShape());
            AttentionAudit audit = patched.audit(three.batch(m, 0, 3));
            AttentionPicture.builder().setAudit(audit).setLayout(layout)
                    .addSample(0, "Test row " + flagged)
                    .addSample(1, "Test row " + flagged + " with " + a.name() + " flipped")
                    .addSample(2, "Test row " + clean)
                    .build().write(file);
            return true;
        }
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }
}
