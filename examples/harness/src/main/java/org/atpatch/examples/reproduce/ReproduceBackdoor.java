package org.atpatch.examples.reproduce;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.atpatch.detector.DjlOffline;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.TauSelection;
import org.atpatch.djl.testing.CropFlipAugmentation;
import org.atpatch.examples.attack.CleanLabelHiddenTrigger;
import org.atpatch.examples.attack.HiddenTrigger;
import org.atpatch.examples.data.DataDirectory;
import org.atpatch.examples.data.ExecArgs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The backdoor reproduction harness (Table 2, the image rows of Table 4, RQ3's ablation, efficiency,
 * over-attention): runs any subset of the nine dataset × attack configurations end to end and writes
 * CSV, JSON, markdown and PNG under the output folder ({@link BackdoorReport}). Each configuration has
 * its own poisoned victim ({@link ImageVictim}, trained once and then loaded from the victim cache).
 * The results are rewritten after every configuration, so an interrupted run keeps what it finished.
 * A configuration that cannot run (Trojan on Swin) is reported with the reason.
 */
@Command(name = "reproduce-backdoor", mixinStandardHelpOptions = true,
        description = "Reproduce Table 2 (backdoors) on MNIST, Fashion-MNIST and CIFAR-10.")
public final class ReproduceBackdoor implements Callable<Integer> {

    @Mixin
    private ReproduceOptions common = new ReproduceOptions();

    @Option(names = "--configs", split = ",", description = "configurations, comma-separated: all, a dataset (mnist, "
            + "fashion-mnist, cifar10), an attack (badnets, trojan, hidden) or e.g. mnist-badnets; hidden-patch or e.g. "
            + "mnist-hidden-patch for the patch-shaped Hidden beside Table 2 (default ${DEFAULT-VALUE})")
    private List<String> configs = List.of("all");

    @Option(names = "--out", description = "results folder (default ${DEFAULT-VALUE})")
    private Path out = Path.of("docs", "results", "backdoor");

    @Option(names = "--train-limit", description = "most training images per victim, 0 for all (default ${DEFAULT-VALUE})")
    private int trainLimit = 0;

    @Option(names = "--eval-limit", description = "most evaluation images, 0 for all test images after the pool (default ${DEFAULT-VALUE})")
    private int evalLimit = 0;

    @Option(names = "--pool", description = "test images given to the defender for inversion and the debugging set (default ${DEFAULT-VALUE})")
    private int pool = 1000;

    @Option(names = "--victim-epochs", description = "victim training epochs (default ${DEFAULT-VALUE})")
    private int victimEpochs = 10;

    @Option(names = "--max-pairs", description = "most pairs per inverted trigger in a debugging set (default ${DEFAULT-VALUE})")
    private int maxPairs = 500;

    @Option(names = "--inversion-rounds", description = "most trigger-inversion rounds per class (default ${DEFAULT-VALUE})")
    private int inversionRounds = 100;

    @Option(names = "--regions", description = "blankest squares the region scan inverts in, 0 for the unrestricted "
            + "inversion alone (default ${DEFAULT-VALUE})")
    private int regions = 8;

    @Option(names = "--region-candidates", description = "smallest-norm classes of the unrestricted inversion the region "
            + "scan inverts, besides the MAD-flagged ones (default ${DEFAULT-VALUE})")
    private int regionCandidates = 5;

    @Option(names = "--over-attention-ratio", description = "label a pair's trigger columns only at the layers where they "
            + "get this many times their clean attention, in training and in Table 4; 0 for every layer (default "
            + "${DEFAULT-VALUE})")
    private double overAttentionRatio = 0;

    @Option(names = "--region-size", description = "side in pixels of the region scan's squares (default ${DEFAULT-VALUE})")
    private int regionSize = 4;

    @Option(names = "--region-min-share", description = "share of the region scan's squares a class's trigger must fire in "
            + "to be selected; 1/regions selects a trigger that works in one square only (default ${DEFAULT-VALUE})")
    private double regionMinShare = 0.25;

    @Option(names = "--augment", description = "train victims with random crops (zero padding of this many pixels) and "
            + "left-right flips, the usual CIFAR augmentation; 0 for none (default ${DEFAULT-VALUE})")
    private int augment = 0;

    @Option(names = "--detector-layer-embedding", arity = "1", description = "condition the detector on each map's layer "
            + "(DetectorConfig.optLayerEmbedding); false scores every layer's map with the same network "
            + "(default ${DEFAULT-VALUE})")
    private boolean detectorLayerEmbedding = true;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--hidden-alpha", description = "blending ratio of the Hidden triggers, whole-image and patch-shaped, "
            + "in (0, 1] (default ${DEFAULT-VALUE})")
    private double hiddenAlpha = HiddenTrigger.DEFAULT_ALPHA;

    @Option(names = "--poison-rate", description = "share of the non-target training images the attacks poison, in "
            + "(0, 1) (default ${DEFAULT-VALUE})")
    private double poisonRate = ImageVictim.POISON_RATE;

    @Option(names = "--clean-label-fine-tuning", description = "what the clean-label Hidden fine-tunes after crafting its "
            + "poisons: whole-model or head (default whole-model)")
    private String cleanLabelFineTuning = CleanLabelHiddenTrigger.FineTuning.WHOLE_MODEL.label();

    @Option(names = "--trojan-epochs", description = "epochs of the Trojan attack's fine-tuning of the clean model, at a "
            + "quarter of the learning rate (default ${DEFAULT-VALUE})")
    private int trojanEpochs = ImageVictim.Settings.FINE_TUNE_EPOCHS;

    @Option(names = "--tau-fpr", description = "choose the detector's tau as the best F1 among those whose map-level "
            + "false positive rate on the debugging set's validation split is at most this, in [0, 1) (default: the "
            + "library's tau selection)")
    private Double tauFpr;

    @Option(names = "--tau-clean-inputs", description = "choose the detector's tau as the best F1 among those at which "
            + "at most this share of the clean inputs of the debugging set's validation split has a column above tau, "
            + "in [0, 1); not with --tau-fpr (default: the library's tau selection)")
    private Double tauCleanInputs;

    @Option(names = "--tau-max-f1", description = "choose the detector's tau as the best F1 at any false positive rate;"
            + " not with --tau-fpr or --tau-clean-inputs (default: the library's tau selection)")
    private boolean tauMaxF1;

    @Option(names = "--clean-model", arity = "1", description = "also train (or load) each dataset's clean model, the "
            + "Trojan victim's starting point, and report whether each attack meets the bar: ASR >= 95 %% with clean "
            + "accuracy at most 2 points below the clean model's (default ${DEFAULT-VALUE})")
    private boolean cleanModel = true;

    @Option(names = "--no-backdoor", arity = "1", description = "also run the pipeline a user runs on each dataset's clean "
            + "model: target search, the README's MAD path, and the bundle a user would force, with its accuracy change "
            + "and share of inputs re-run (the 'no backdoor' rows; default ${DEFAULT-VALUE})")
    private boolean noBackdoor = false;

    /** @return τ's selection from {@code --tau-fpr}, {@code --tau-clean-inputs} or {@code --tau-max-f1}; the library's without any */
    private static CleanLabelHiddenTrigger.FineTuning fineTuning(String label) {
        for (CleanLabelHiddenTrigger.FineTuning f : CleanLabelHiddenTrigger.FineTuning.values()) {
            if (f.label().equals(label)) {
                return f;
            }
        }
        throw new IllegalArgumentException("--clean-label-fine-tuning must be whole-model or head, got '" + label + "'");
    }

    private TauSelection tauSelection() {
        int given = (tauFpr != null ? 1 : 0) + (tauCleanInputs != null ? 1 : 0) + (tauMaxF1 ? 1 : 0);
        if (given > 1) {
            throw new IllegalArgumentException("--tau-fpr, --tau-clean-inputs and --tau-max-f1 each choose tau: give one of"
                    + " them");
        }
        if (tauMaxF1) {
            return TauSelection.maxF1();
        }
        if (tauFpr == null && tauCleanInputs == null) {
            return DetectorConfig.defaults().tauSelection();
        }
        try {
            return tauFpr != null ? TauSelection.targetFpr(tauFpr) : TauSelection.targetCleanInputRate(tauCleanInputs);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((tauFpr != null ? "--tau-fpr: " : "--tau-clean-inputs: ") + e.getMessage(), e);
        }
    }

    private ImageVictim.CleanModel cleanModelOf(BackdoorConfig c, ImageSplits splits, ImageVictim.Settings schedule) {
        try {
            return ImageVictim.cleanModel(c, splits, schedule, common.cache());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * @param args the command line (or one exec:exec property)
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ReproduceBackdoor()).execute(ExecArgs.split(args)));
    }

    @Override
    public Integer call() throws IOException {
        DjlOffline.configure();
        long t0 = System.nanoTime();
        List<BackdoorConfig> selected;
        BackdoorExperiment.Settings settings;
        CropFlipAugmentation augmentation;
        ImageVictim.AttackSettings strength;
        try {
            augmentation = augment == 0 ? null : CropFlipAugmentation.of(augment, true);
            if (!(hiddenAlpha > 0 && hiddenAlpha <= 1)) {
                throw new IllegalArgumentException("--hidden-alpha must lie in (0, 1], got " + hiddenAlpha);
            }
            if (!(poisonRate > 0 && poisonRate < 1)) {
                throw new IllegalArgumentException("--poison-rate must lie in (0, 1), got " + poisonRate);
            }
            if (trojanEpochs <= 0) {
                throw new IllegalArgumentException("--trojan-epochs must be positive, got " + trojanEpochs);
            }
            strength = new ImageVictim.AttackSettings(poisonRate, hiddenAlpha, fineTuning(cleanLabelFineTuning));
            TauSelection tau = tauSelection();
            selected = BackdoorConfig.select(configs);
            settings = new BackdoorExperiment.Settings(common.seed(), common.detectorConfig(), maxPairs,
                    common.evalPairs(), 1024, common.patchRules(), out.resolve("inversion"), inversionRounds, regionSize, regions,
                    regionCandidates, regionMinShare, overAttentionRatio, common.cache().resolveSibling("region-scans"),
                    detectorLayerEmbedding, tau, common.baselines(false));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        DataDirectory dir = common.dataDirectory();
        List<String> args = new ArrayList<>(List.of("--configs",
                String.join(",", configs), "--train-limit", Integer.toString(trainLimit), "--eval-limit",
                Integer.toString(evalLimit), "--pool", Integer.toString(pool), "--victim-epochs",
                Integer.toString(victimEpochs), "--max-pairs", Integer.toString(maxPairs), "--inversion-rounds",
                Integer.toString(inversionRounds), "--regions", Integer.toString(regions), "--region-size",
                Integer.toString(regionSize), "--region-candidates", Integer.toString(regionCandidates), "--region-min-share",
                Double.toString(regionMinShare), "--over-attention-ratio",
                Double.toString(overAttentionRatio), "--augment", Integer.toString(augment), "--detector-layer-embedding",
                Boolean.toString(detectorLayerEmbedding), "--hidden-alpha", Double.toString(hiddenAlpha), "--poison-rate",
                Double.toString(poisonRate), "--trojan-epochs", Integer.toString(trojanEpochs), "--clean-model",
                Boolean.toString(cleanModel), "--no-backdoor", Boolean.toString(noBackdoor)));
        if (!cleanLabelFineTuning.equals(CleanLabelHiddenTrigger.FineTuning.WHOLE_MODEL.label())) {
            args.addAll(List.of("--clean-label-fine-tuning", cleanLabelFineTuning));
        }
        if (tauFpr != null) {
            args.addAll(List.of("--tau-fpr", Double.toString(tauFpr)));
        }
        if (tauCleanInputs != null) {
            args.addAll(List.of("--tau-clean-inputs", Double.toString(tauCleanInputs)));
        }
        if (tauMaxF1) {
            args.add("--tau-max-f1");
        }
        BackdoorReport report = new BackdoorReport(out, common.command("reproduce-backdoor", args));
        List<BackdoorExperiment.Result> results = new ArrayList<>();
        java.util.Map<String, ImageVictim.CleanModel> cleanModels = new java.util.HashMap<>();
        java.util.Set<String> checkedClean = new java.util.HashSet<>();
        ImageSplits splits = null;
        for (BackdoorConfig c : selected) {
            System.out.printf(Locale.ROOT, "== %s (%s) ==%n", c.name(), ImageFamily.forDataset(c.dataset()));
            long c0 = System.nanoTime();
            String reason = ImageVictim.unsupportedReason(c);
            if (reason != null) {
                System.out.println(c.name() + " not run: " + reason);
                results.add(BackdoorExperiment.Result.unsupported(c, common.seed(), reason));
            } else {
                if (splits == null || !splits.dataset().equals(c.dataset())) {
                    splits = ImageSplits.load(dir, c.dataset(), trainLimit, pool, evalLimit);
                }
                ImageVictim.Settings schedule = ImageVictim.Settings.of(victimEpochs, common.seed())
                        .withAugmentation(augmentation).withFineTuneEpochs(trojanEpochs);
                try (ImageVictim victim = ImageVictim.trainOrLoad(c, splits, schedule, strength, common.cache())) {
                    BackdoorExperiment.Result r = BackdoorExperiment.run(victim, c, splits, settings);
                    ImageVictim.CleanModel clean = null;
                    if (cleanModel) {
                        // One clean model per dataset: its configurations share data and schedule.
                        ImageSplits d = splits;
                        clean = cleanModels.computeIfAbsent(c.dataset(), k -> cleanModelOf(c, d, schedule));
                    }
                    report.victim(c, victim, r.outcomes().get(0), splits.train().size(), clean);
                    results.add(r);
                }
                if (noBackdoor && checkedClean.add(c.dataset())) {
                    try (ImageVictim.Opened m = ImageVictim.openCleanModel(c, splits, schedule, common.cache())) {
                        report.noBackdoor(NoBackdoorCheck.run(c.dataset(), m.model(), splits, settings));
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%s done in %.1f s%n", c.name(), (System.nanoTime() - c0) / 1e9);
            report.write(results);
        }
        System.out.print(BackdoorReport.table2(results).markdown());
        System.out.printf(Locale.ROOT, "results in %s (%.1f s)%n", out.toAbsolutePath(), (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
