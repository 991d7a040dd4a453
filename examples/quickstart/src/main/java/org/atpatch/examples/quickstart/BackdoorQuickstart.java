package org.atpatch.examples.quickstart;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.DetectorTrainingData;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.AttentionAudit;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.debugset.BackdoorDebuggingSetBuilder;
import org.atpatch.djl.debugset.InversionReport;
import org.atpatch.djl.debugset.RegionInversion;
import org.atpatch.djl.debugset.TriggerInversion;
import org.atpatch.djl.render.AttentionPicture;
import org.atpatch.examples.data.EmbeddedFashionMnist;
import org.atpatch.examples.data.ExecArgs;
import org.atpatch.examples.data.PatchTrigger;
import org.atpatch.examples.reproduce.InversionFiles;
import org.atpatch.examples.scenario.BackdoorVictim;
import org.atpatch.examples.scenario.ScenarioOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The backdoor quickstart. On the Fashion-MNIST subset embedded in the harness, an attacker trains
 * a small ViT with a BadNets trigger (a 4 × 4 checkerboard in the bottom-right corner, target class
 * drawn from the seed). The defender, never shown the trigger, then does what a user of the library
 * does: inverts the trigger on a clean pool, builds the debugging set, trains AtPatch with its
 * defaults and serves the patched model. Into {@code --out} go the inversion report with its overview
 * picture and a picture of one image's attention, triggered and clean, before and after the patch.
 * The last output line is {@code RESULT {...}} with clean
 * accuracy and attack success rate before and after.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = "Backdoor a small ViT, invert the trigger, hot-fix it with AtPatch, and report Acc/ASR.")
public final class BackdoorQuickstart implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(BackdoorQuickstart.class);

    @Mixin
    ScenarioOptions options = new ScenarioOptions();

    /** The before/after attention picture's file name in {@link #out}. */
    static final String ATTENTION = "attention-before-after.png";

    @Option(names = "--out", description = "Where the inversion report and the pictures go (default ${DEFAULT-VALUE}).")
    Path out = Path.of("target", "quickstart");

    @Option(names = "--regions", description = "Also invert the suspected classes inside this many blank squares"
            + " (RegionInversion) and keep the classes whose trigger fires from most of them (default ${DEFAULT-VALUE}:"
            + " the unrestricted inversion alone).")
    int regions;

    @Option(names = "--over-attention-ratio", description = "Keep a pair's column label only at layers where the column"
            + " gets this many times its clean attention (default ${DEFAULT-VALUE}: keep every label).")
    double overAttentionRatio = DetectorTrainingData.DEFAULT_OVER_ATTENTION_RATIO;

    @Option(names = "--detector-epochs", description = "Detector training epochs (default ${DEFAULT-VALUE}, the library's).")
    int detectorEpochs = DetectorConfig.defaults().epochs();

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
        long seed = options.seed();
        ScenarioOptions.Data data = options.data();
        PatchTrigger trigger = new PatchTrigger(24, 24, 4, 1f, true, options.target());
        LOG.info("data: {} training, {} debugging pool, {} evaluation images; BadNets 4x4 checkerboard at (24, 24) -> class {}",
                data.train().size(), data.pool().size(), data.eval().size(), trigger.target());

        // The attacker's side: a backdoored victim (trained once, then cached).
        try (BackdoorVictim attacked = new BackdoorVictim("quickstart", data.train(), data.eval(), trigger, options.epochs(),
                seed, options.cache())) {
            Model victim = attacked.model();

            // Offline, once: invert the trigger on the defender's clean pool and build the debugging set.
            InversionReport inversion = TriggerInversion.builder().optSeed(seed).build().invert(victim, data.pool());
            InversionFiles.write(inversion, data.pool(), out, EmbeddedFashionMnist.CLASS_NAMES);
            LOG.info("trigger inversion flagged classes {}; report in {}", Arrays.toString(inversion.flaggedClasses()),
                    out.toAbsolutePath());
            BackdoorDebuggingSetBuilder debug = BackdoorDebuggingSetBuilder.of(victim, data.pool())
                    .optLayout(attacked.vit().tokenLayout()).optSeed(seed);
            if (regions > 0) {
                RegionInversion.Result scan = RegionInversion.builder().optRegionCount(regions)
                        .optInversion(() -> TriggerInversion.builder().optSeed(seed)).build()
                        .invert(victim, data.pool(), inversion);
                debug.addTriggers(scan, inversion);
            } else {
                debug.addTriggers(inversion);
            }
            DebuggingSet debugSet = debug.build();
            LOG.info("{}", debugSet);

            // Train AtPatch with the library's defaults (only the seed is set, for a reproducible run, and the
            // detector's epochs where --detector-epochs asks).
            try (PatchedModel patched = AtPatch.builder()
                    .setModel(victim)
                    .optDetectorConfig(DetectorConfig.builder().optSeed(seed).optEpochs(detectorEpochs).build())
                    .optOverAttentionRatio(overAttentionRatio)
                    .build()
                    .train(debugSet)) {
                // Online: every prediction goes through patched.predict(batch); here, over the evaluation sets.
                BackdoorVictim.Evaluation after = attacked.evaluate(patched);
                drawAttention(patched, attacked, data.eval(), out.resolve(ATTENTION));
                LOG.info("pictures: {} and {}", out.resolve(InversionFiles.OVERVIEW).toAbsolutePath(),
                        out.resolve(ATTENTION).toAbsolutePath());
                report(patched, attacked, after, (System.nanoTime() - start) / 1e9);
            }
        }
        return 0;
    }

    /**
     * Audits one evaluation image of another class than the target, triggered and clean, through the
     * patched model and draws what each layer attended to before and after the patch.
     */
    private static void drawAttention(PatchedModel patched, BackdoorVictim v, LabelledData eval, Path file)
            throws IOException {
        int target = v.trigger().target();
        int index = 0;
        while (eval.labels()[index] == target) {
            index++;
        }
        LabelledData clean = eval.subset(new int[] {index});
        LabelledData triggered = v.trigger().applyTrigger(clean);
        LabelledData both = LabelledData.unlabelled(List.of(triggered.sample(0), clean.sample(0)), clean.sampleShape());
        try (NDManager m = v.model().getNDManager().newSubManager()) {
            AttentionAudit audit = patched.audit(both.batch(m, 0, 2));
            String truth = "true class " + clean.labels()[0] + " (" + EmbeddedFashionMnist.CLASS_NAMES.get(clean.labels()[0])
                    + ")";
            AttentionPicture.builder().setAudit(audit).setLayout(v.vit().tokenLayout())
                    .optClassNames(EmbeddedFashionMnist.CLASS_NAMES)
                    .addSample(0, "Triggered image, " + truth, both.sample(0))
                    .addSample(1, "The same image clean", both.sample(1))
                    .build().write(file);
        }
    }

    private static void report(PatchedModel patched, BackdoorVictim v, BackdoorVictim.Evaluation after, double seconds) {
        // On stdout with the RESULT line: a log line on stderr can overtake it when a tool merges the streams.
        System.out.println(String.format(Locale.ROOT, "AtPatch (%s): clean accuracy %s -> %s, attack success rate %s -> %s;"
                + " %s of clean inputs and %s of triggered inputs patched", patched.patchRule().name(),
                BackdoorVictim.pct(v.accBefore()), BackdoorVictim.pct(after.acc()), BackdoorVictim.pct(v.asrBefore()),
                BackdoorVictim.pct(after.asr()), BackdoorVictim.pct(after.cleanFlagged()),
                BackdoorVictim.pct(after.triggeredFlagged())));
        System.out.println(String.format(Locale.ROOT, "Without any trigger the victim already classifies %s of the clean"
                + " non-target images as the target: the attack success rate left if the patch restored every"
                + " triggered image's clean prediction exactly.", BackdoorVictim.pct(v.asrFloor())));
        System.err.flush();
        System.out.println(String.format(Locale.ROOT,
                "RESULT {\"acc_before\":%.4f,\"asr_before\":%.4f,\"acc_after\":%.4f,\"asr_after\":%.4f,\"seconds\":%.1f}",
                v.accBefore(), v.asrBefore(), after.acc(), after.asr(), seconds));
    }
}
