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
import org.atpatch.djl.PatchDecision;
import org.atpatch.djl.PatchReport;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.debugset.FairnessDebuggingSetBuilder;
import org.atpatch.djl.debugset.FairnessFlips;
import org.atpatch.djl.debugset.FairnessPredictor;
import org.atpatch.djl.debugset.FlipInvariantDecision;
import org.atpatch.djl.debugset.OrbitAveraging;
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
 * attribute is flipped) before and after. Several attributes ({@code --attribute sex,race}) share one
 * debugging set and one bundle; UF is then reported per attribute and under joint flips (any change
 * of the protected values). {@code --flip-invariant} decides what to patch with a {@link
 * FlipInvariantDecision}, the same for an input and all of its flips. {@code --orbit-averaging}
 * repairs with {@link OrbitAveraging} instead of AtPatch (no debugging set, no detector: every
 * input runs on every combination of its protected values, each weighted by its share of the
 * defender's debugging split, or equally with {@code --uniform-orbit}). The last output line is
 * {@code RESULT {...}}; its UF is the joint one. Into {@code --out} goes a picture of the attention of a
 * patched row, the same row with its first attribute flipped and an unpatched row, before and after the
 * patch (per-input decisions only).
 *
 * <p>Reads Adult from the data directory ({@code -Datpatch.data=DIR}, else {@code ATPATCH_DATA},
 * else {@code ~/.atpatch/data}; docs/reproduce.md lists the files).
 */
@Command(name = "fairness-quickstart", mixinStandardHelpOptions = true,
        description = "Train a TabTransformer on Census, hot-fix its dependence on a protected attribute, report Acc/UF.")
public final class FairnessQuickstart implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(FairnessQuickstart.class);

    @Option(names = "--attribute", split = ",", description = "The protected attributes, comma-separated: sex, race, age "
            + "(default ${DEFAULT-VALUE}).")
    List<String> attributes = List.of("sex");

    @Option(names = "--flip-invariant", description = "Decide the patch on the canonical view and patch the whole protected "
            + "group (FlipInvariantDecision).")
    boolean flipInvariant;

    @Option(names = "--orbit-averaging", description = "Repair with OrbitAveraging instead of AtPatch: no debugging set and no "
            + "detector; a row whose prediction some protected value changes gets the mean over all of them.")
    boolean orbitAveraging;

    @Option(names = "--uniform-orbit", description = "With --orbit-averaging: weight every combination of protected values "
            + "equally instead of by its share of the defender's debugging split.")
    boolean uniformOrbit;

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
            List<ProtectedAttribute> protectedAttributes = attributes.stream().map(trained::attribute).toList();
            LabelledData test = census.test();
            FairnessFlips flips = FairnessFlips.joint(protectedAttributes, test.sampleSize());
            double accBefore = Metrics.accuracy(Predictions.classes(victim, test, 1024), test.labels());
            FairnessPredictor unpatched = FairnessPredictor.of(victim, 1024);
            double ufBefore = flips.unfairness(test, unpatched);
            LOG.info("victim: accuracy {}, UF {}", pct(accBefore), perAttribute(protectedAttributes, test, unpatched));
            if (orbitAveraging) {
                // Online, no offline phase: every prediction runs on the row's whole flip orbit.
                OrbitAveraging uniform = OrbitAveraging.of(protectedAttributes, test.sampleSize());
                OrbitAveraging repair = uniformOrbit ? uniform : uniform.weightedBy(census.debug());
                FairnessPredictor averaged = FairnessPredictor.of(victim, repair, 256);
                double accAfter = Metrics.accuracy(averaged.predict(test), test.labels());
                double ufAfter = flips.unfairness(test, averaged);
                System.out.println(String.format(Locale.ROOT, "%s: accuracy %s -> %s, UF %s, joint %s -> %s", repair,
                        pct(accBefore), pct(accAfter), perAttribute(protectedAttributes, test, averaged), pct(ufBefore),
                        pct(ufAfter)));
                printResult(accBefore, ufBefore, accAfter, ufAfter, start);
                return 0;
            }

            // Offline, once: the debugging set from attribute flips on the defender's rows, then AtPatch.
            DebuggingSet debugSet = FairnessDebuggingSetBuilder.of(victim, census.debug())
                    .setAttributes(protectedAttributes)
                    .optMaxPairsPerAttribute(2000 / protectedAttributes.size())
                    .optJointFlips(flipInvariant) // the invariant detector learns orbits divergent under any change
                    .optSeed(seed)
                    .build();
            FlipInvariantDecision decision = FlipInvariantDecision.of(protectedAttributes, test.sampleSize(),
                    trained.block().tokenLayout().size());
            if (flipInvariant) {
                debugSet = decision.canonicalise(debugSet); // the detector learns from what it will see online
            }
            LOG.info("{}", debugSet);
            try (PatchedModel patched = AtPatch.builder()
                    .setModel(victim)
                    .optDetectorConfig(DetectorConfig.builder().optSeed(seed).build())
                    .build()
                    .train(debugSet)) {
                // Online: every prediction goes through patched.predict(batch); here, over the test split.
                PatchDecision how = flipInvariant ? decision : null;
                double accAfter = Metrics.accuracy(Predictions.classes(patched, how, test, 1024), test.labels());
                FairnessPredictor fixed = flipInvariant ? FairnessPredictor.of(patched, decision, 1024)
                        : FairnessPredictor.of(patched, 1024);
                double ufAfter = flips.unfairness(test, fixed);
                System.out.println(String.format(Locale.ROOT, "AtPatch (%s%s): accuracy %s -> %s, UF %s, joint %s -> %s",
                        patched.patchRule().name(), flipInvariant ? ", flip-invariant" : "", pct(accBefore), pct(accAfter),
                        perAttribute(protectedAttributes, test, fixed), pct(ufBefore), pct(ufAfter)));
                if (!flipInvariant) {
                    Path picture = out.resolve("attention-before-after.png");
                    drawAttention(patched, trained.block().tokenLayout(), test, protectedAttributes.get(0), picture);
                    LOG.info("picture: {}", picture.toAbsolutePath());
                }
                printResult(accBefore, ufBefore, accAfter, ufAfter, start);
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

    /** UF of each attribute alone, e.g. {@code sex 5.08%, race 20.30%}. */
    private static String perAttribute(List<ProtectedAttribute> attributes, LabelledData test, FairnessPredictor f) {
        return attributes.stream().map(a -> a.name() + " " + pct(FairnessFlips.of(List.of(a), test.sampleSize())
                .unfairness(test, f))).collect(java.util.stream.Collectors.joining(", "));
    }

    private static void printResult(double accBefore, double ufBefore, double accAfter, double ufAfter, long start) {
        System.err.flush();
        System.out.println(String.format(Locale.ROOT,
                "RESULT {\"acc_before\":%.4f,\"uf_before\":%.4f,\"acc_after\":%.4f,\"uf_after\":%.4f,\"seconds\":%.1f}",
                accBefore, ufBefore, accAfter, ufAfter, (System.nanoTime() - start) / 1e9));
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }
}
