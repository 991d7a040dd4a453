package org.atpatch.examples.reproduce;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.atpatch.detector.DjlOffline;
import org.atpatch.examples.data.DataDirectory;
import org.atpatch.examples.data.ExecArgs;
import org.atpatch.examples.data.LabelBias;
import org.atpatch.examples.data.TabularDataset;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Fairness with one or several protected attributes in one bundle ({@link FairnessGroupExperiment}):
 * UF per attribute and under joint flips, accuracy, patched share and McNemar's z for the per-input,
 * flip-invariant and oracle decisions and for orbit averaging, and what the detector can see. Results under {@code --out}
 * ({@link FairnessGroupReport}), rewritten after every configuration.
 */
@Command(name = "reproduce-fairness-groups", mixinStandardHelpOptions = true,
        description = "Fairness with several protected attributes per bundle and flip-invariant patch decisions.")
public final class ReproduceFairnessGroups implements java.util.concurrent.Callable<Integer> {

    @Mixin
    private ReproduceOptions common = new ReproduceOptions();

    @Option(names = "--configs", split = ",", description = "configurations <dataset>-<attribute>[+<attribute>...], "
            + "comma-separated, or all (default ${DEFAULT-VALUE})")
    private List<String> configs = List.of("census-sex", "census-sex+race", "compas-sex+race");

    @Option(names = "--out", description = "results folder (default ${DEFAULT-VALUE})")
    private Path out = Path.of("docs", "results", "fairness", "flip-invariant");

    @Option(names = "--victim-epochs", description = "victim training epochs (default ${DEFAULT-VALUE})")
    private int victimEpochs = 20;

    @Option(names = "--max-pairs", description = "most pairs in a debugging set (default ${DEFAULT-VALUE})")
    private int maxPairs = 2000;

    @Option(names = "--max-pairs-per-attribute", description = "most pairs per attribute, 0 for no bound "
            + "(default: --max-pairs divided by the number of attributes)")
    private Integer maxPairsPerAttribute;

    @Option(names = "--tau", description = "τ for every patched model: a number in (0, 1), or max-f1 to choose it per "
            + "detector on its validation split (default ${DEFAULT-VALUE})")
    private String tau = "max-f1";

    @Option(names = "--label-bias", description = "train the victims on a biased train split: attribute=value:share "
            + "relabels that share of the train rows with the value and label 1 to 0 (e.g. sex=Female:0.5; LabelBias, "
            + "seeded by --seed; default none)")
    private String labelBias;

    /**
     * @param args the command line (or one exec:exec property)
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ReproduceFairnessGroups()).execute(ExecArgs.split(args)));
    }

    @Override
    public Integer call() throws IOException {
        DjlOffline.configure();
        long t0 = System.nanoTime();
        List<FairnessGroupConfig> selected;
        double t;
        LabelBias bias;
        try {
            selected = FairnessGroupConfig.select(configs);
            bias = labelBias == null ? null : LabelBias.parse(labelBias, common.seed());
            t = tau.equals("max-f1") ? Double.NaN : Double.parseDouble(tau);
            if (!Double.isNaN(t) && !(t > 0 && t < 1)) {
                throw new IllegalArgumentException("--tau must be a number in (0, 1) or max-f1, got '" + tau + "'");
            }
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--tau must be a number in (0, 1) or max-f1, got '"
                    + tau + "'");
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
        }
        DataDirectory dir = common.dataDirectory();
        List<String> args = new ArrayList<>(List.of("--configs", String.join(",", configs), "--victim-epochs",
                Integer.toString(victimEpochs), "--max-pairs", Integer.toString(maxPairs), "--tau", tau));
        if (maxPairsPerAttribute != null) {
            args.addAll(List.of("--max-pairs-per-attribute", maxPairsPerAttribute.toString()));
        }
        if (labelBias != null) {
            args.addAll(List.of("--label-bias", labelBias));
        }
        FairnessGroupReport report = new FairnessGroupReport(out, common.command("reproduce-fairness-groups", args));
        List<FairnessGroupExperiment.Result> results = new ArrayList<>();
        String loaded = null;
        TabularVictim victim = null;
        try {
            for (FairnessGroupConfig c : selected) {
                if (!c.dataset().equals(loaded)) {
                    if (victim != null) {
                        victim.close();
                    }
                    TabularDataset d = TabularVictim.load(dir, c.dataset());
                    victim = TabularVictim.trainOrLoad(d, TabularFamily.forDataset(c.dataset()),
                            new TabularVictim.Settings(3, 32, 4, victimEpochs, 256, 1e-3f, common.seed()), common.cache(), bias);
                    loaded = c.dataset();
                }
                int perAttribute = maxPairsPerAttribute != null ? maxPairsPerAttribute : maxPairs / c.attributes().size();
                FairnessGroupExperiment.Settings settings = new FairnessGroupExperiment.Settings(common.seed(),
                        common.detectorConfig(), maxPairs, perAttribute, common.evalPairs(), t);
                System.out.printf(Locale.ROOT, "== %s (%s, %s, attributes %s) ==%n", c.name(), c.dataset(), victim.family(),
                        c.attributes());
                FairnessGroupExperiment.Result r = FairnessGroupExperiment.run(victim, c, settings);
                results.add(r);
                System.out.printf(Locale.ROOT, "%s done in %.1f s%n", c.name(), r.seconds());
                report.write(results);
            }
        } finally {
            if (victim != null) {
                victim.close();
            }
        }
        System.out.print(report.decisions(results).markdown());
        System.out.printf(Locale.ROOT, "results in %s (%.1f s)%n", out.toAbsolutePath(), (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
