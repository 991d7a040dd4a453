package org.atpatch.examples.reproduce;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.djl.patch.PatchRule;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.examples.data.DataDirectory;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options both reproduction harnesses take (a picocli mixin): data directory, victim cache, seed,
 * detector epochs, evaluation pairs and extra patch rules, and the command line that records them.
 */
public final class ReproduceOptions {

    @Option(names = "--data", description = "data directory (default: -Datpatch.data, $ATPATCH_DATA, ~/.atpatch/data)")
    private Path data;

    @Option(names = "--cache", description = "victim cache folder (default ~/.cache/atpatch/victims); the backdoor harness "
            + "caches its region scans in region-scans beside it")
    private Path cache = Path.of(System.getProperty("user.home"), ".cache", "atpatch", "victims");

    @Option(names = "--seed", description = "seed of victims, attacks, debugging sets and detectors (default ${DEFAULT-VALUE})")
    private long seed = 42;

    @Option(names = "--detector-seed", description = "seed of the detector's initialisation and batches alone, to measure how much"
            + " detection varies on one victim and debugging set (default: --seed)")
    private Long detectorSeed;

    @Option(names = "--detector-epochs", description = "detector training epochs (default ${DEFAULT-VALUE})")
    private int detectorEpochs = 50;

    @Mixin
    private DetectorOptions detector = new DetectorOptions();

    @Option(names = "--eval-pairs", description = "most pairs in the balanced detector evaluation set (default ${DEFAULT-VALUE})")
    private int evalPairs = 1000;

    @Option(names = "--rules", split = ",", description = "extra patch rules to measure besides gamma and the product default, "
            + "comma-separated (PatchRules names, e.g. token-state,token-state-every-layer)")
    private List<String> rules = List.of();

    @Option(names = "--baselines", split = ",", description = "baseline repairs measured beside AtPatch, comma-separated: "
            + "fine-pruning, care, idnn (backdoors and fairness), adf (fairness only); none by default")
    private List<String> baselines = List.of();

    @Option(names = "--baseline-samples", description = "most clean samples each baseline reads (default ${DEFAULT-VALUE}, "
            + "CARE's)")
    private int baselineSamples = 1000;

    @Option(names = "--adf-search", split = ",", description = "ADF's seeds and local steps per global IDI (default "
            + "1000,1000, its paper's)")
    private List<Integer> adfSearch = List.of(1000, 1000);

    /**
     * @param fairness whether the harness repairs unfairness (CARE's fairness settings; ADF allowed)
     * @return the baseline repairs named by {@code --baselines}, with this run's seed
     * @throws IllegalArgumentException naming an unknown baseline
     */
    public List<org.atpatch.examples.baseline.Repair> baselines(boolean fairness) {
        if (adfSearch.size() != 2) {
            throw new IllegalArgumentException("--adf-search takes two numbers, seeds and local steps, got " + adfSearch);
        }
        return org.atpatch.examples.baseline.Baselines.select(baselines, fairness, seed,
                new org.atpatch.examples.baseline.Baselines.Budget(baselineSamples, adfSearch.get(0), adfSearch.get(1)));
    }

    /** @return the data directory given, or the one from the environment */
    public DataDirectory dataDirectory() {
        return data == null ? DataDirectory.fromEnvironment() : new DataDirectory(data);
    }

    /** @return the victim cache folder */
    public Path cache() {
        return cache;
    }

    /** @return the seed */
    public long seed() {
        return seed;
    }

    /**
     * @return the library's default detector configuration with this run's architecture, epochs and seed
     * @throws IllegalArgumentException naming an unknown architecture
     */
    public DetectorConfig detectorConfig() {
        return detector.applyTo(DetectorConfig.builder()).optEpochs(detectorEpochs)
                .optSeed(detectorSeed == null ? seed : detectorSeed).build();
    }

    /** @return the most pairs in the balanced evaluation set */
    public int evalPairs() {
        return evalPairs;
    }

    /**
     * @return the extra rules
     * @throws IllegalArgumentException naming an unknown rule and the known ones
     */
    public List<PatchRule> patchRules() {
        return rules.stream().map(PatchRules::byName).toList();
    }

    /**
     * The Maven command that repeats a run, recorded in its results.
     *
     * @param execution the harness module's exec execution id, e.g. {@code reproduce-fairness}
     * @param specific the harness's own options, as name/value pairs
     * @return the command line
     */
    public String command(String execution, List<String> specific) {
        List<String> a = new ArrayList<>(specific);
        a.addAll(List.of("--seed", Long.toString(seed), "--detector-epochs", Integer.toString(detectorEpochs)));
        a.addAll(detector.args());
        a.addAll(List.of("--eval-pairs", Integer.toString(evalPairs)));
        if (detectorSeed != null) {
            a.addAll(List.of("--detector-seed", Long.toString(detectorSeed)));
        }
        if (!rules.isEmpty()) {
            a.addAll(List.of("--rules", String.join(",", rules)));
        }
        if (!baselines.isEmpty()) {
            a.addAll(List.of("--baselines", String.join(",", baselines), "--baseline-samples", Integer.toString(baselineSamples),
                    "--adf-search", adfSearch.get(0) + "," + adfSearch.get(1)));
        }
        // The data folder is the reader's own, so the recorded command names none.
        return "mvn -B -pl examples/harness exec:exec@" + execution + " -Datpatch.data=<data folder>"
                + " -Dreproduce.args=\"" + String.join(" ", a) + "\"";
    }
}
