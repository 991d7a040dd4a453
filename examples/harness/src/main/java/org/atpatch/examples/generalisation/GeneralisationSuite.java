package org.atpatch.examples.generalisation;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.atpatch.core.AtomicFiles;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.QualityGateException;
import org.atpatch.djl.QualityGates;
import org.atpatch.djl.debugset.BackdoorDebuggingSetBuilder;
import org.atpatch.djl.debugset.InvertedTrigger;
import org.atpatch.djl.debugset.NoFlagPolicy;
import org.atpatch.djl.debugset.TargetSearch;
import org.atpatch.examples.data.DataDirectory;
import org.atpatch.examples.data.ExecArgs;
import org.atpatch.examples.reproduce.DetectorOptions;
import org.atpatch.examples.reproduce.ImageSplits;
import org.atpatch.examples.reproduce.TargetSearchCache;
import org.atpatch.examples.scenario.BackdoorVictim;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The generalisation suite: seeded scenarios ({@link SuiteScenario}) each run end to end through the
 * public API exactly as a user would, never told the trigger or the target: {@link TargetSearch}
 * with its defaults, a debugging set from what it found, {@link AtPatch} with its defaults (quality
 * gates on) under each τ selection asked for, then clean accuracy, attack success and the share of
 * clean inputs re-run on held-out images. A clean model is also given the bundle a user would force
 * (the smallest inverted mask, gates off), to measure what forcing costs.
 *
 * <p>Victims are small ViTs (28 × 28, patch 4, depth 2, width 64) on the first {@code --train}
 * training images, cached by configuration; the defender's pool is the first 800 test images and
 * the evaluation set the next 1,200. Each scenario's result is one JSON file under
 * {@code OUT/scenarios}, written atomically; a rerun skips scenarios already measured with the same
 * settings, and the summary ({@link SuiteSummary}) is rewritten after each one.
 *
 * <pre>
 * mvn -pl examples/harness exec:exec@generalisation -Datpatch.data=DIR -Dsuite.args="--from 0 --to 40"
 * </pre>
 */
@Command(name = "generalisation", mixinStandardHelpOptions = true,
        description = "Seeded backdoored and clean scenarios through the public API; distribution of the results.")
public final class GeneralisationSuite implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(GeneralisationSuite.class);
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();
    private static final int POOL = 800;
    private static final Path DEFAULT_OUT = Path.of("docs", "results", "generalisation");
    private static final int EVAL = 1200;
    /** Triggered evaluation images the over-attention of the real trigger is measured on. */
    private static final int OVER_ATTENTION_INPUTS = 256;

    @Option(names = "--from", description = "First scenario number (default ${DEFAULT-VALUE}).")
    int from = 0;

    @Option(names = "--to", description = "Scenario number to stop before (default ${DEFAULT-VALUE}).")
    int to = 40;

    @Option(names = "--half", description = "tune, report or all (default ${DEFAULT-VALUE}).")
    String half = "all";

    @Option(names = "--train", description = "Training images per victim (default ${DEFAULT-VALUE}).")
    int train = 8000;

    @Option(names = "--epochs", description = "Victim training epochs (default ${DEFAULT-VALUE}).")
    int epochs = 8;

    @Option(names = "--tau", split = ",", description = "τ selections, each 'max-f1' or 'clean-R' (at most R of the"
            + " validation clean inputs flagged) (default ${DEFAULT-VALUE}).")
    List<String> taus = List.of("max-f1", "clean-0.05");

    @Mixin
    DetectorOptions detector = new DetectorOptions();

    @Option(names = "--flag-dilation", description = "patch the flagged columns' grid neighbours within this radius too"
            + " (AtPatch.Builder.optFlagDilation; default ${DEFAULT-VALUE}, off).")
    int flagDilation = 0;

    @Option(names = "--out", description = "Results folder (default ${DEFAULT-VALUE}).")
    Path out = DEFAULT_OUT;

    @Option(names = "--summary-only", description = "Rewrite the summary from the scenario files and stop.")
    boolean summaryOnly;

    @Option(names = "--cache", description = "Victim cache (default ${DEFAULT-VALUE}).")
    Path cache = Path.of(System.getProperty("user.home"), ".cache", "atpatch", "victims");

    @Option(names = "--search-cache", description = "Target-search cache, keyed by the victim's weights, the pool and the"
            + " search settings (default ${DEFAULT-VALUE}).")
    Path searchCache = Path.of(System.getProperty("user.home"), ".cache", "atpatch", "target-searches");

    /**
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        DjlOffline.configure();
        System.exit(new CommandLine(new GeneralisationSuite()).execute(ExecArgs.split(args)));
    }

    @Override
    public Integer call() throws IOException {
        DataDirectory dir = DataDirectory.fromEnvironment();
        Map<String, ImageSplits> data = new HashMap<>();
        Path scenarios = out.resolve("scenarios");
        Files.createDirectories(scenarios);
        List<String> detectorArgs = detector.args();
        // The kept epoch joins the detector's settings only where it is not the best validation epoch, which files
        // made before the option existed used.
        String kept = detector.keptEpoch().equals(DetectorConfig.KeptEpoch.BEST_VALIDATION.label()) ? ""
                : "/" + detector.keptEpoch();
        String settings = String.format(Locale.ROOT, "train=%d,pool=%d,eval=%d,epochs=%d,tau=%s,%s,detector=%s/%s/%s%s", train,
                POOL, EVAL, epochs, taus, "search=defaults(confined+unrestricted),atpatch=defaults", detectorArgs.get(1),
                detectorArgs.get(3), detectorArgs.get(5), kept) + (flagDilation > 0 ? ",dilation=" + flagDilation : "");
        for (int i = summaryOnly ? to : from; i < to; i++) {
            SuiteScenario s = SuiteScenario.draw(i);
            if (!half.equals("all") && !s.half().name().equalsIgnoreCase(half)) {
                continue;
            }
            Path file = scenarios.resolve(s.name() + ".json");
            if (Files.exists(file) && read(file).settings().equals(settings)) {
                LOG.info("{}: measured already", s.name());
                continue;
            }
            ImageSplits split = data.computeIfAbsent(s.dataset(), d -> load(dir, d));
            long t0 = System.nanoTime();
            ScenarioOutcome o = run(s, split, settings);
            String json = GSON.toJson(o);
            AtomicFiles.write(file, w -> w.write(json.getBytes(StandardCharsets.UTF_8)));
            LOG.info("{} done in {} s: {}", s.name(), String.format(Locale.ROOT, "%.0f", (System.nanoTime() - t0) / 1e9),
                    o.defences());
            SuiteSummary.write(out, settings, commandArgs(detectorArgs));
        }
        SuiteSummary.write(out, settings, commandArgs(detectorArgs));
        return 0;
    }

    private String commandArgs(List<String> detectorArgs) {
        return String.join(" ", detectorArgs) + (flagDilation > 0 ? " --flag-dilation " + flagDilation : "")
                + (out.equals(DEFAULT_OUT) ? "" : " --out " + out.toString().replace('\\', '/'));
    }

    private ImageSplits load(DataDirectory dir, String dataset) {
        try {
            return ImageSplits.load(dir, dataset, train, POOL, EVAL);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static ScenarioOutcome read(Path file) throws IOException {
        return GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), ScenarioOutcome.class);
    }

    private ScenarioOutcome run(SuiteScenario s, ImageSplits data, String settings) throws IOException {
        try (BackdoorVictim v = new BackdoorVictim("suite-" + s.name(), data.train(), data.eval(),
                s.attack(data.train().sampleShape()), s.poisonRate(), epochs, s.index(), cache)) {
            // The library's default search at the scenario's seed; loaded when this victim and pool were searched before.
            TargetSearch.Result search = new TargetSearchCache(searchCache).searchOrLoad(v.model(), data.pool(),
                    "seed=" + s.index() + "|noFlagPolicy=EMPTY|defaults",
                    () -> TargetSearch.builder().optSeed(s.index()).optNoFlagPolicy(NoFlagPolicy.EMPTY).build()
                            .search(v.model(), data.pool())).getKey();
            Map<Integer, Double> shares = new LinkedHashMap<>();
            for (int c : search.scan().candidates()) {
                shares.put(c, search.firingShare(c));
            }
            double[] l1 = search.inversion().triggers().stream().mapToDouble(InvertedTrigger::maskL1).toArray();
            List<ScenarioOutcome.Defence> defences = new ArrayList<>();
            for (String tau : taus) {
                defences.add(search.backdoorFound()
                        ? defend(v, data, search.selected(), tau, QualityGates.defaults(), s.index())
                        : leftAlone(v, tau, "no-backdoor", search.toString()));
            }
            ScenarioOutcome.Defence forced = null;
            if (!s.backdoored()) {
                InvertedTrigger smallest = search.inversion().triggers().stream()
                        .min(java.util.Comparator.comparingDouble(InvertedTrigger::maskL1)).orElseThrow();
                forced = defend(v, data, List.of(smallest), taus.get(0), QualityGates.disabled(), s.index());
            }
            double over = v.overAttention(OVER_ATTENTION_INPUTS).maxRatioCls();
            return new ScenarioOutcome(s, s.half().name(), settings, v.accBefore(), v.asrBefore(), v.asrFloor(), over,
                    search.inversion().flaggedClasses(), l1, shares, search.targets(), search.seconds(), defences, forced);
        }
    }

    private static ScenarioOutcome.Defence leftAlone(BackdoorVictim v, String variant, String outcome, String detail) {
        return new ScenarioOutcome.Defence(variant, outcome, detail, Double.NaN, Double.NaN, v.accBefore(), v.asrBefore(),
                0, 0, 0);
    }

    private ScenarioOutcome.Defence defend(BackdoorVictim v, ImageSplits data, List<InvertedTrigger> triggers,
            String tau, QualityGates gates, long seed) {
        long t0 = System.nanoTime();
        DebuggingSet debugSet = BackdoorDebuggingSetBuilder.of(v.model(), data.pool()).optSeed(seed)
                .addTriggers(triggers).build();
        if (debugSet.isEmpty()) {
            return leftAlone(v, tau, "refused", "no inverted trigger fired on the pool");
        }
        DetectorConfig config = detector.applyTo(DetectorConfig.builder()).optSeed(seed).optTauSelection(DetectorOptions.tauSelection(tau)).build();
        PatchBundle bundle;
        try {
            bundle = AtPatch.builder().setModel(v.model()).optDetectorConfig(config).optQualityGates(gates)
                    .optFlagDilation(flagDilation).build().trainBundle(debugSet);
        } catch (QualityGateException e) {
            LOG.info("bundle refused: {}", e.getMessage());
            return leftAlone(v, tau, "refused", e.gate() + ": " + e.getMessage());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double f1 = bundle.detector().provenance().validation() == null ? Double.NaN
                : bundle.detector().provenance().validation().f1();
        double bundleTau = bundle.tau();
        String detail = bundle.patchRule() + "; " + bundle.provenance().getOrDefault("patchRule.selection", "");
        try (PatchedModel patched = PatchedModel.fromBundle(bundle, v.model())) {
            BackdoorVictim.Evaluation e = v.evaluate(patched);
            return new ScenarioOutcome.Defence(tau, "bundle", detail, f1, bundleTau, e.acc(), e.asr(), e.cleanFlagged(),
                    e.triggeredFlagged(), seconds);
        }
    }
}
