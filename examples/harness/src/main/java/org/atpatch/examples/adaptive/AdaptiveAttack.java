package org.atpatch.examples.adaptive;

import static org.atpatch.examples.reproduce.ResultTable.percentWithSign;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.atpatch.core.AtomicFiles;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.detector.DetectorArchitecture;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.DetectorEnsemble;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.QualityGateException;
import org.atpatch.djl.debugset.BackdoorDebuggingSetBuilder;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.examples.attack.Attack;
import org.atpatch.examples.attack.EvasionSearch;
import org.atpatch.examples.attack.EvasiveTrigger;
import org.atpatch.examples.attack.RealTrigger;
import org.atpatch.examples.data.DataDirectory;
import org.atpatch.examples.data.ExecArgs;
import org.atpatch.examples.data.PatchTrigger;
import org.atpatch.examples.reproduce.ImageSplits;
import org.atpatch.examples.reproduce.ResultTable;
import org.atpatch.examples.scenario.BackdoorVictim;
import org.atpatch.examples.scenario.SmallVitOptions;
import org.atpatch.examples.scenario.TargetIdentification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The paper's adaptive attacker (§5.4) and the ensemble it proposes, measured. The victim is the
 * out-of-domain experiment's MNIST (or, with {@code --dataset fashion-mnist}, Fashion-MNIST) ViT (28 × 28,
 * patch 4, depth 2, width 64, BadNets 4 × 4
 * checkerboard at (24, 24), cached under the same key). The defender, not told the trigger, builds a
 * debugging set ({@link TargetIdentification}) and trains two bundles on it: the library's default
 * detector (with {@code --detector-*}) and one of a second architecture ({@code --second-architecture});
 * a third defence reads both as a {@link DetectorEnsemble} with the first bundle's Q and patch rule.
 *
 * <p>The attacker knows the victim, its backdoor's mask and each deployed detector with its τ, and
 * has clean training images of other classes. It fits an {@link EvasiveTrigger} (the backdoor's mask
 * with a new pattern, plus a whole-image perturbation bounded by ε) four times: for the target alone,
 * and against each single detector and the ensemble. Every trigger is scored through every defence on
 * the evaluation images: attack success rate and the share of triggered images re-run; clean accuracy
 * and the share of clean images re-run per defence.
 *
 * <p>With {@code --retrain true} (the default) a second round follows, where the attacker trains the
 * backdoor with its evasive trigger: a victim of the same settings is trained (from scratch) with the trigger
 * fitted against the first defence as its poison (cached like any victim), defended afresh (the
 * defender sees only the new victim) and attacked again, starting from that trigger.
 *
 * <pre>
 * mvn -pl examples/harness exec:exec@adaptive-attack -Datpatch.data=DIR [-Dadaptive.args="--epsilon 0.1"]
 * </pre>
 */
@Command(name = "adaptive-attack", mixinStandardHelpOptions = true,
        description = "A white-box attacker re-optimises the trigger to evade AtPatch's detector (paper §5.4).")
public final class AdaptiveAttack implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(AdaptiveAttack.class);
    private static final int POOL = 1000;
    private static final int EVAL = 2000;

    @Option(names = "--dataset", description = "mnist or fashion-mnist (default ${DEFAULT-VALUE}).")
    String dataset = "mnist";

    @Option(names = "--second-architecture", description = "the ensemble's second detector: column-statistics or"
            + " paper-cnn (default ${DEFAULT-VALUE}).")
    String secondArchitecture = "paper-cnn";

    @Option(names = "--attacker-images", description = "Clean non-target training images the attacker optimises on"
            + " (default ${DEFAULT-VALUE}).")
    int attackerImages = 2000;

    @Option(names = "--steps", description = "Adam steps per trigger (default ${DEFAULT-VALUE}).")
    int steps = 300;

    @Option(names = "--batch", description = "Images per step (default ${DEFAULT-VALUE}).")
    int batch = 64;

    @Option(names = "--learning-rate", description = "Adam's step size (default ${DEFAULT-VALUE}).")
    double learningRate = 0.05;

    @Option(names = "--evasion-weight", description = "λ of the evasion term (default ${DEFAULT-VALUE}).")
    double evasionWeight = 10;

    @Option(names = "--margin", description = "How far under τ the probabilities are pushed (default ${DEFAULT-VALUE}).")
    double margin = 0.05;

    @Option(names = "--epsilon", description = "Bound of the whole-image perturbation per pixel (default ${DEFAULT-VALUE}).")
    double epsilon = 0.1;

    @Option(names = "--retrain", arity = "1", description = "Also train a victim with the trigger fitted against the"
            + " first defence as its poison, defend it afresh and attack it again (default ${DEFAULT-VALUE}).")
    boolean retrain = true;

    @Mixin
    SmallVitOptions victims = new SmallVitOptions();

    @Option(names = "--out", description = "Results folder (default ${DEFAULT-VALUE}).")
    Path out = Path.of("docs", "results", "adaptive-attack");

    /**
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        DjlOffline.configure();
        System.exit(new CommandLine(new AdaptiveAttack()).execute(ExecArgs.split(args)));
    }

    /** A deployed defence: a patched model and what it reads the maps with. */
    private record Defence(String name, PatchedModel patched, ColumnDetector detector, double tau) {}

    /** One round's tables, and the trigger fitted against its first defence; null tables where no target was found. */
    private record Round(String section, ResultTable clean, ResultTable attacks, EvasiveTrigger againstFirst) {}

    @Override
    public Integer call() throws IOException {
        try {
            victims.identification();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
        }
        if (!List.of("mnist", "fashion-mnist").contains(dataset)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--dataset: mnist or fashion-mnist, got " + dataset);
        }
        long started = System.nanoTime();
        ImageSplits data = ImageSplits.load(DataDirectory.fromEnvironment(), dataset, victims.train(), POOL, EVAL);
        PatchTrigger backdoor = victims.backdoor();
        List<Round> rounds = new ArrayList<>();
        // The out-of-domain experiment's victim: the same name and settings hit the same cache entry.
        try (BackdoorVictim victim = new BackdoorVictim("ood-" + dataset, data.train(), data.eval(), backdoor, victims.poisonRate(),
                victims.epochs(), victims.seed(), victims.cache())) {
            rounds.add(round("The backdoored victim", victim, data,
                    EvasiveTrigger.of(RealTrigger.of(backdoor, data.train().sampleShape()))));
        }
        if (retrain && rounds.get(0).againstFirst() == null) {
            LOG.info("no trigger was fitted against a defence in the first round, so there is no victim to retrain");
        } else if (retrain) {
            EvasiveTrigger evasive = rounds.get(0).againstFirst();
            try (BackdoorVictim victim = new BackdoorVictim("adaptive-" + dataset, data.train(), data.eval(), evasive,
                    victims.poisonRate(), victims.epochs(), victims.seed(), victims.cache())) {
                rounds.add(round("A victim trained with the evasive trigger", victim, data, evasive));
            }
        }
        write(rounds, (System.nanoTime() - started) / 1e9);
        return 0;
    }

    /** Defends a victim (identification, debugging set, two bundles, the ensemble) and attacks every defence. */
    private Round round(String title, BackdoorVictim victim, ImageSplits data, EvasiveTrigger start) {
        DetectorArchitecture.Kind second = DetectorArchitecture.Kind.byName(secondArchitecture);
        BackdoorDebuggingSetBuilder builder = BackdoorDebuggingSetBuilder.of(victim.model(), data.pool()).optSeed(victims.seed());
        Optional<String> identified = TargetIdentification.addTriggers(victim.model(), data.pool(), victims.identification(),
                victims.seed(), builder);
        if (identified.isEmpty()) {
            // What a user of the library gets: no target, no debugging set, the model left alone.
            return unpatched(title, victim, "Neither the target search nor the MAD test found a target, so no debugging"
                    + " set or bundle is made");
        }
        String found = identified.get();
        DebuggingSet debugSet = builder.build();
        DetectorConfig firstConfig = victims.detectorConfig().build();
        DetectorConfig secondConfig = victims.detectorConfig().optArchitecture(second).build();
        try (PatchBundle first = AtPatch.builder().setModel(victim.model()).optDetectorConfig(firstConfig).build()
                        .trainBundle(debugSet);
                PatchBundle other = AtPatch.builder().setModel(victim.model()).optDetectorConfig(secondConfig).build()
                        .trainBundle(debugSet)) {
            DetectorEnsemble ensemble = DetectorEnsemble.of(first.detector(), other.detector());
            List<Defence> defences = List.of(
                    defence(firstConfig.architectureKind().label(), victim, first, first.detector(), first.tau()),
                    defence(second.label(), victim, other, other.detector(), other.tau()),
                    defence("ensemble", victim, first, ensemble, DetectorEnsemble.TAU));
            try {
                return attack(title, victim, data, found, start, defences);
            } finally {
                defences.forEach(d -> d.patched().close());
            }
        } catch (QualityGateException e) {
            return unpatched(title, victim, "Target identified: " + found + "; the quality gates refused a bundle ("
                    + e.getMessage() + ")");
        }
    }

    /** A round where the defender ends with no bundle, so the model is served unpatched. */
    private static Round unpatched(String title, BackdoorVictim victim, String why) {
        LOG.info("{}: {}; the model is served unpatched", title, why);
        String section = "## " + title + "\n\nClean accuracy " + percentWithSign(victim.accBefore()) + ", ASR "
                + percentWithSign(victim.asrBefore()) + " (" + victim.trigger().name() + " trigger). " + why
                + ", and the model is served unpatched: ASR " + percentWithSign(victim.asrBefore()) + ".\n";
        return new Round(section, null, null, null);
    }

    private static Defence defence(String name, BackdoorVictim victim, PatchBundle bundle, ColumnDetector detector,
            double tau) {
        PatchedModel patched = PatchedModel.builder().setModel(victim.model()).setDetector(detector)
                .setBenignStatistics(bundle.benign()).optTau(tau).optPatchRule(PatchRules.byName(bundle.patchRule()))
                .optMode(bundle.mode()).optFlagDilation(bundle.flagDilation()).build();
        return new Defence(name, patched, detector, tau);
    }

    private Round attack(String title, BackdoorVictim victim, ImageSplits data, String found, EvasiveTrigger start,
            List<Defence> defences) {
        LabelledData images = victim.trigger().nonTarget(data.train());
        images = images.range(0, Math.min(attackerImages, images.size()));
        EvasionSearch.Options options = new EvasionSearch.Options(steps, batch, learningRate, evasionWeight, margin, epsilon,
                victims.seed());
        Map<String, Attack> attacks = new LinkedHashMap<>();
        attacks.put("the backdoor's trigger", victim.trigger());
        attacks.put("re-optimised for the target only", EvasiveTrigger.optimise(victim.model(), images, start, options, null, 0.5));
        EvasiveTrigger againstFirst = null;
        for (Defence d : defences) {
            LOG.info("optimising a trigger against {}", d.name());
            EvasiveTrigger t = EvasiveTrigger.optimise(victim.model(), images, start, options, d.detector(), d.tau());
            againstFirst = againstFirst == null ? t : againstFirst;
            attacks.put("adaptive against " + d.name(), t);
        }
        ResultTable clean = new ResultTable("defence", "τ", "clean accuracy", "clean inputs re-run");
        clean.add("none", "", percentWithSign(victim.accBefore()), "");
        List<String> header = new ArrayList<>(List.of("trigger", "perturbation bound", "ASR, no defence"));
        for (Defence d : defences) {
            BackdoorVictim.Evaluation e = victim.evaluate(d.patched());
            clean.add(d.name(), String.format(Locale.ROOT, "%.4f", d.tau()), percentWithSign(e.acc()),
                    percentWithSign(e.cleanFlagged()));
            header.add("ASR through " + d.name());
            header.add("re-run by " + d.name());
        }
        ResultTable table = new ResultTable(header.toArray(String[]::new));
        for (Map.Entry<String, Attack> a : attacks.entrySet()) {
            List<Object> row = new ArrayList<>();
            row.add(a.getKey());
            row.add(a.getValue() instanceof EvasiveTrigger t ? String.format(Locale.ROOT, "%.3f", t.perturbationBound()) : "0");
            row.add(percentWithSign(victim.asrBefore(a.getValue())));
            for (Defence d : defences) {
                BackdoorVictim.Triggered t = victim.triggered(d.patched(), a.getValue());
                LOG.info("{} through {}: {}", a.getKey(), d.name(), t);
                row.add(percentWithSign(t.asr()));
                row.add(percentWithSign(t.patchedShare()));
            }
            table.add(row.toArray());
        }
        String section = "## " + title + "\n\nClean accuracy " + percentWithSign(victim.accBefore()) + ", ASR "
                + percentWithSign(victim.asrBefore()) + " (" + victim.trigger().name() + " trigger); target identified: "
                + found + ".\n\n### Clean images\n\n" + clean.markdown() + "\n### Triggered images (ASR and the share re-run,"
                + " per defence)\n\n" + table.markdown();
        return new Round(section, clean, table, againstFirst);
    }

    private void write(List<Round> rounds, double seconds) throws IOException {
        Files.createDirectories(out);
        for (int r = 0; r < rounds.size(); r++) {
            if (rounds.get(r).attacks() == null) {
                continue;
            }
            String suffix = r == 0 ? "" : "-retrained";
            rounds.get(r).attacks().writeCsv(out.resolve("adaptive-attack" + suffix + ".csv"));
            rounds.get(r).clean().writeCsv(out.resolve("clean" + suffix + ".csv"));
        }
        String args = victims.args() + String.format(Locale.ROOT, " --dataset %s --second-architecture %s --attacker-images %d --steps %d"
                + " --batch %d --learning-rate %s --evasion-weight %s --margin %s --epsilon %s --retrain %s", dataset, secondArchitecture,
                attackerImages, steps, batch, learningRate, evasionWeight, margin, epsilon, retrain);
        StringBuilder md = new StringBuilder("# Adaptive attacker (paper §5.4)\n\nMade by:\n\n```bash\n"
                + "mvn -B -ntp -q install -DskipTests\n"
                + "mvn -pl examples/harness exec:exec@adaptive-attack -Datpatch.data=DIR -Dadaptive.args=\"" + args
                + "\"\n```\n\n"
                + "Victims: small ViTs (28 × 28, patch 4, depth 2, width 64) on the first " + victims.train() + " " + dataset + " training"
                + " images, " + victims.epochs() + " epochs, poison rate " + victims.poisonRate() + ", target class "
                + victims.target() + "; the first is the"
                + " out-of-domain experiment's (BadNets 4 × 4 checkerboard at (24, 24)). Defender's pool: the first " + POOL
                + " test images; evaluation: the next " + EVAL + ". The attacker optimises on " + attackerImages
                + " clean non-target training images, " + steps + " Adam steps of " + batch + " images each, λ "
                + evasionWeight + ", margin " + margin + "; the perturbation is bounded by " + epsilon + " per pixel. "
                + String.format(Locale.ROOT, "%.0f s", seconds) + " in all, on one core.\n\n");
        for (Round r : rounds) {
            md.append(r.section()).append('\n');
        }
        byte[] text = md.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(out.resolve("README.md"), w -> w.write(text));
    }
}
