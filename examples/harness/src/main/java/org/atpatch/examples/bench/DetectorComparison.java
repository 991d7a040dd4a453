package org.atpatch.examples.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.atpatch.detector.DetectorArchitecture;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.DetectorProvenance;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchedModel;
import org.atpatch.examples.data.ExecArgs;
import org.atpatch.examples.data.PatchTrigger;
import org.atpatch.examples.scenario.BackdoorScenario;
import org.atpatch.examples.scenario.BackdoorVictim;
import org.atpatch.examples.scenario.ScenarioOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Detection quality of the detector architectures on one backdoor scenario, side by side: the
 * quickstart's victim and debugging set (or a trigger placed elsewhere), one detector per
 * architecture trained with the library's defaults otherwise, then each bundle's validation F1 and
 * FPR, clean accuracy, ASR, and the share of clean and triggered inputs re-run. Detector training
 * time is printed beside them; online cost is {@link GuardCost}'s.
 *
 * <pre>java ... org.atpatch.examples.bench.DetectorComparison [--seed 7] [--row 24 --col 24 --size 4]</pre>
 */
@Command(name = "detector-comparison", mixinStandardHelpOptions = true,
        description = "Train each detector architecture on one debugging set and compare detection and defence.")
public final class DetectorComparison implements Callable<Integer> {

    @Mixin
    ScenarioOptions options = new ScenarioOptions();

    @Option(names = "--row", description = "Trigger's top row (default ${DEFAULT-VALUE}).")
    int row = 24;

    @Option(names = "--col", description = "Trigger's left column (default ${DEFAULT-VALUE}).")
    int col = 24;

    @Option(names = "--size", description = "Trigger's side (default ${DEFAULT-VALUE}).")
    int size = 4;

    @Option(names = "--out", description = "Where the inversion report goes (default ${DEFAULT-VALUE}).")
    Path out = Path.of("target", "detector-comparison");

    /**
     * @param args options; {@code --help} lists them
     */
    public static void main(String[] args) {
        DjlOffline.configure();
        System.exit(new CommandLine(new DetectorComparison()).execute(ExecArgs.split(args)));
    }

    @Override
    public Integer call() throws IOException {
        long seed = options.seed();
        ScenarioOptions.Data data = options.data();
        PatchTrigger trigger = new PatchTrigger(row, col, size, 1f, true, options.target());
        String name = row == 24 && col == 24 && size == 4 ? "quickstart" : "comparison-" + row + "-" + col + "-" + size;
        StringBuilder table = new StringBuilder("| architecture | validation F1 | validation FPR | acc | ASR |"
                + " clean re-run | triggered re-run | training s |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        try (BackdoorScenario scenario = new BackdoorScenario(name, data.train(), data.pool(), data.eval(), trigger,
                options.epochs(), seed, options.cache(), out)) {
            BackdoorVictim v = scenario.victim();
            DebuggingSet debugSet = scenario.debugSet();
            table.insert(0, String.format(Locale.ROOT, "victim: acc %s, ASR %s (floor %s); flagged classes %s%n%n",
                    BackdoorVictim.pct(v.accBefore()), BackdoorVictim.pct(v.asrBefore()), BackdoorVictim.pct(v.asrFloor()),
                    java.util.Arrays.toString(scenario.inversion().flaggedClasses())));
            for (DetectorArchitecture.Kind kind : DetectorArchitecture.Kind.values()) {
                long t0 = System.nanoTime();
                PatchBundle bundle = AtPatch.builder().setModel(v.model())
                        .optDetectorConfig(DetectorConfig.builder().optArchitecture(kind).optSeed(seed).optProgressBar(false)
                                .build())
                        .build().trainBundle(debugSet);
                double seconds = (System.nanoTime() - t0) / 1e9;
                DetectorProvenance.ValidationMetrics val = bundle.detector().provenance().validation();
                try (PatchedModel patched = PatchedModel.fromBundle(bundle, v.model())) {
                    BackdoorVictim.Evaluation e = v.evaluate(patched);
                    table.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %s | %s | %s | %s | %.0f |%n", kind.label(),
                            val.f1(), val.fpr(), BackdoorVictim.pct(e.acc()), BackdoorVictim.pct(e.asr()),
                            BackdoorVictim.pct(e.cleanFlagged()), BackdoorVictim.pct(e.triggeredFlagged()), seconds));
                }
                System.err.println(table);
            }
        }
        System.out.print(table);
        return 0;
    }
}
