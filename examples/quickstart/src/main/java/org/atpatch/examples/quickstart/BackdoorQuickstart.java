package org.atpatch.examples.quickstart;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.atpatch.detector.DetectorTrainingData;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchedModel;
import org.atpatch.examples.data.ExecArgs;
import org.atpatch.examples.data.PatchTrigger;
import org.atpatch.examples.scenario.BackdoorScenario;
import org.atpatch.examples.scenario.PatchRuleComparison;
import org.atpatch.examples.scenario.ScenarioOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The quickstart: on the Fashion-MNIST subset embedded in this module, trains a small ViT with a
 * BadNets trigger, builds the debugging set by trigger inversion (the attack's own trigger is never
 * shown to the defence), trains AtPatch, and reports clean accuracy and attack success rate before
 * and after patching. Its last output line is {@code RESULT {...}}.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = "Backdoor a small ViT, invert the trigger, hot-fix it with AtPatch, and report Acc/ASR.")
public final class BackdoorQuickstart implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(BackdoorQuickstart.class);

    @Mixin
    ScenarioOptions options = new ScenarioOptions();

    @Option(names = "--out", description = "Where the inversion report and PNGs go (default ${DEFAULT-VALUE}).")
    Path out = Path.of("target", "quickstart");

    @Option(names = "--all-rules", description = "Also evaluate every shipped patch rule on the same detector and Q.")
    boolean allRules;

    @Option(names = "--over-attention-ratio", description = "Keep a pair's column label only where the column gets this many times"
            + " the clean map's attention (default ${DEFAULT-VALUE}: keep every label).")
    double overAttentionRatio = DetectorTrainingData.DEFAULT_OVER_ATTENTION_RATIO;

    @Option(names = "--regions", description = "Also invert the suspected classes inside this many blank squares"
            + " (RegionInversion) and build the debugging set from the classes that fire from most of them"
            + " (default ${DEFAULT-VALUE}: the unrestricted inversion alone).")
    int regions;

    /**
     * Runs the quickstart.
     *
     * @param args command-line options; {@code --help} lists them
     */
    public static void main(String[] args) {
        DjlOffline.configure();
        System.exit(new CommandLine(new BackdoorQuickstart()).execute(ExecArgs.split(args)));
    }

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        ScenarioOptions.Data data = options.data();
        int target = options.target();
        PatchTrigger trigger = new PatchTrigger(24, 24, 4, 1f, true, target);
        LOG.info("data: {} training, {} debugging pool, {} evaluation images; BadNets 4x4 checkerboard at (24, 24) -> class {}",
                data.train().size(), data.pool().size(), data.eval().size(), target);

        try (BackdoorScenario scenario = new BackdoorScenario("quickstart", data.train(), data.pool(), data.eval(), trigger,
                        options.epochs(), options.seed(), options.cache(), out, regions);
                PatchedModel patched = PatchedModel.fromBundle(trainAndCompare(scenario), scenario.model())) {
            BackdoorScenario.Evaluation after = scenario.evaluate(patched);
            double seconds = (System.nanoTime() - start) / 1e9;
            // On stdout with the RESULT line: a log line on stderr can overtake it when a tool merges the streams.
            System.out.println(String.format(Locale.ROOT, "AtPatch (%s): clean accuracy %s -> %s, attack success rate %s -> %s;"
                    + " %s of clean inputs and %s of triggered inputs patched", patched.patchRule().name(),
                    pct(scenario.accBefore()), pct(after.acc()), pct(scenario.asrBefore()), pct(after.asr()),
                    pct(after.cleanFlagged()), pct(after.triggeredFlagged())));
            System.out.println(String.format(Locale.ROOT, "Without any trigger the victim already classifies %s of the clean"
                    + " non-target images as the target: the attack success rate left if the patch restored every"
                    + " triggered image's clean prediction exactly.",
                    pct(scenario.asrFloor())));
            System.err.flush();
            System.out.println(String.format(Locale.ROOT,
                    "RESULT {\"acc_before\":%.4f,\"asr_before\":%.4f,\"acc_after\":%.4f,\"asr_after\":%.4f,\"seconds\":%.1f}",
                    scenario.accBefore(), scenario.asrBefore(), after.acc(), after.asr(), seconds));
        }
        return 0;
    }



    /** Trains the bundle; with {@code --all-rules}, first evaluates every patch rule on it. */
    private PatchBundle trainAndCompare(BackdoorScenario scenario) {
        PatchBundle bundle = scenario.trainBundle(options.seed(), overAttentionRatio);
        if (allRules) {
            PatchRuleComparison.evaluateEveryRule(scenario, bundle);
        }
        return bundle;
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }
}
