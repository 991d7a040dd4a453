package org.atpatch.examples.reproduce;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.atpatch.detector.DjlOffline;
import org.atpatch.examples.data.DataDirectory;
import org.atpatch.examples.data.ExecArgs;
import org.atpatch.examples.data.TabularDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The fairness reproduction harness (Table 3, the tabular rows of Table 4, RQ3's ablation, efficiency,
 * over-attention): runs any subset of the seven configurations end to end and writes CSV, JSON,
 * markdown and PNG under the output folder ({@link FairnessReport}). Victims are trained once per
 * dataset (or loaded from the victim cache). The results are rewritten after every configuration,
 * so an interrupted run keeps what it finished.
 */
@Command(name = "reproduce-fairness", mixinStandardHelpOptions = true,
        description = "Reproduce Table 3 (fairness) on Adult, COMPAS and Bank.")
public final class ReproduceFairness implements Callable<Integer> {

    @Mixin
    private ReproduceOptions common = new ReproduceOptions();

    @Option(names = "--configs", split = ",", description = "configurations, comma-separated, or all (default ${DEFAULT-VALUE}): "
            + "census-race, census-gender, census-age, compas-gender, compas-race, bank-age, bank-edu")
    private List<String> configs = List.of("all");

    @Option(names = "--out", description = "results folder (default ${DEFAULT-VALUE})")
    private Path out = Path.of("docs", "results", "fairness");

    @Option(names = "--victim-epochs", description = "victim training epochs (default ${DEFAULT-VALUE})")
    private int victimEpochs = 20;

    @Option(names = "--max-pairs", description = "most pairs in a debugging set (default ${DEFAULT-VALUE})")
    private int maxPairs = 2000;

    @Option(names = "--tau", description = "τ for every patched model: a number in (0, 1), or max-f1 to choose it per "
            + "detector on its validation split (default ${DEFAULT-VALUE}, the paper's τ)")
    private String tau = "0.1";

    /**
     * @param args the command line (or one exec:exec property)
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ReproduceFairness()).execute(ExecArgs.split(args)));
    }

    @Override
    public Integer call() throws IOException {
        DjlOffline.configure();
        long t0 = System.nanoTime();
        List<FairnessConfig> selected;
        FairnessExperiment.Settings settings;
        try {
            selected = FairnessConfig.select(configs);
            settings = new FairnessExperiment.Settings(common.seed(), common.detectorConfig(), maxPairs,
                    common.evalPairs(), 1024, common.patchRules(), parseTau(), common.baselines(true));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
        }
        DataDirectory dir = common.dataDirectory();
        FairnessReport report = new FairnessReport(out, common.command("reproduce-fairness", List.of("--configs",
                String.join(",", configs), "--victim-epochs", Integer.toString(victimEpochs), "--max-pairs",
                Integer.toString(maxPairs), "--tau", tau)));
        List<FairnessExperiment.Result> results = new ArrayList<>();
        String loaded = null;
        TabularVictim victim = null;
        try {
            for (FairnessConfig c : selected) {
                if (!c.dataset().equals(loaded)) {
                    if (victim != null) {
                        victim.close();
                    }
                    TabularDataset d = TabularVictim.load(dir, c.dataset());
                    victim = TabularVictim.trainOrLoad(d, TabularFamily.forDataset(c.dataset()),
                            new TabularVictim.Settings(3, 32, 4, victimEpochs, 256, 1e-3f, common.seed()),
                            common.cache());
                    report.victim(c.dataset(), victim);
                    loaded = c.dataset();
                }
                System.out.printf(Locale.ROOT, "== %s (%s, %s) ==%n", c.name(), c.dataset(), victim.family());
                long c0 = System.nanoTime();
                results.add(FairnessExperiment.run(victim, c, settings));
                System.out.printf(Locale.ROOT, "%s done in %.1f s%n", c.name(), (System.nanoTime() - c0) / 1e9);
                report.write(results);
            }
        } finally {
            if (victim != null) {
                victim.close();
            }
        }
        System.out.print(report.table3(results).markdown());
        System.out.printf(Locale.ROOT, "results in %s (%.1f s)%n", out.toAbsolutePath(), (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private double parseTau() {
        if (tau.equals("max-f1")) {
            return Double.NaN;
        }
        try {
            double t = Double.parseDouble(tau);
            if (t > 0 && t < 1) {
                return t;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new CommandLine.ParameterException(new CommandLine(this), "--tau must be a number in (0, 1) or max-f1, got '"
                + tau + "'");
    }
}
