package org.atpatch.examples.reproduce;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.atpatch.djl.Predictions;
import org.atpatch.core.AtomicFiles;
import org.atpatch.core.ImagePatchLayout;
import org.atpatch.core.Metrics;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.debugset.BackdoorDebuggingSetBuilder;
import org.atpatch.djl.debugset.InversionReport;
import org.atpatch.djl.debugset.NoFlagPolicy;
import org.atpatch.djl.debugset.TriggerInversion;
import org.atpatch.djl.patch.PatchRule;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.examples.attack.Attack;
import org.atpatch.examples.data.ExecArgs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * An experiment on one cached ViT victim of the backdoor harness: the debugging set built from a
 * trigger inverted inside one patch ({@link TriggerInversion.Builder#optMaskSupport}) for a suspected
 * class, placed at every whole-patch translation where it fires, instead of the unrestricted
 * inversion's mask; then AtPatch trained on it and Acc / ASR measured on the attack's real
 * triggered evaluation images, for the selected rule, Γ and token-state. The class and patch are
 * the defender's choices (e.g. the class the MAD test flagged and the lowest-L1 patch of {@link
 * PatchInversionScan}); the attack's trigger is used only to evaluate.
 */
@Command(name = "one-patch-defence", mixinStandardHelpOptions = true,
        description = "AtPatch from a one-patch inverted trigger on a cached ViT victim.")
public final class OnePatchDefence implements Callable<Integer> {

    @Mixin
    CachedVitOptions victimOptions = new CachedVitOptions();

    @Option(names = "--class", required = true, description = "the suspected target class to invert")
    int target;

    @Option(names = "--column", required = true, description = "the token column (patch + 1) the mask is confined to")
    int column;

    @Option(names = "--max-pairs", description = "pairs per trigger (default ${DEFAULT-VALUE})")
    int maxPairs = 500;

    @Option(names = "--out", description = "CSV file (default ${DEFAULT-VALUE})")
    Path out = Path.of("target", "one-patch-defence.csv");

    /** @param args options; {@code --help} lists them */
    public static void main(String[] args) {
        DjlOffline.configure();
        System.exit(new CommandLine(new OnePatchDefence()).execute(ExecArgs.split(args)));
    }

    @Override
    public Integer call() throws IOException {
        ReproduceOptions common = victimOptions.common();
        String config = victimOptions.config;
        List<String> rows = new ArrayList<>(List.of(
                "config,class,column,mask_l1,inverted_success,pairs,rule,acc_before,asr_before,acc_after,asr_after"));
        try (CachedVitOptions.Loaded loaded = victimOptions.load()) {
            ImageVictim victim = loaded.victim();
            ImageSplits splits = loaded.splits();
            ImagePatchLayout layout = loaded.layout();
            InversionReport inversion = TriggerInversion.builder().optSeed(common.seed()).optClasses(target)
                    .optMaskSupport(CachedVitOptions.region(layout, column).support(layout.height(), layout.width()))
                    .optNoFlagPolicy(NoFlagPolicy.EMPTY).build()
                    .invert(victim.model(), splits.pool());
            DebuggingSet debugSet = BackdoorDebuggingSetBuilder.of(victim.model(), splits.pool()).optLayout(layout)
                    .addTriggers(inversion.triggers()).optPairsPerTrigger(maxPairs).optSeed(common.seed()).build();
            System.out.println(inversion.triggers() + "; " + debugSet);
            PatchBundle bundle = AtPatch.builder().setModel(victim.model())
                    .optDetectorConfig(common.detectorConfig())
                    .build().trainBundle(debugSet);
            try (var detector = bundle.detector()) {
                Attack attack = victim.attack();
                LabelledData eval = splits.eval();
                LabelledData nonTarget = attack.nonTarget(eval);
                LabelledData triggered = attack.applyTrigger(nonTarget);
                double accBefore = Metrics.accuracy(Predictions.classes(victim.model(), eval, 256), eval.labels());
                double asrBefore = Metrics.attackSuccessRate(Predictions.classes(victim.model(), triggered, 256),
                        triggered.labels(), attack.target());
                List<PatchRule> rules = new ArrayList<>(List.of(PatchRules.byName(bundle.patchRule())));
                for (PatchRule r : List.of(PatchRules.gamma(), PatchRules.tokenStateAtFirstLayer())) {
                    if (!r.name().equals(bundle.patchRule())) {
                        rules.add(r);
                    }
                }
                for (PatchRule rule : rules) {
                    try (PatchedModel patched = PatchVariants.patched(bundle, victim.model(), rule)) {
                        double acc = Metrics.accuracy(Predictions.classes(patched, eval, 256), eval.labels());
                        double asr = Metrics.attackSuccessRate(Predictions.classes(patched, triggered, 256),
                                triggered.labels(), attack.target());
                        String name = rule.name() + (rule.name().equals(bundle.patchRule()) ? " (selected)" : "");
                        rows.add(String.format(Locale.ROOT, "%s,%d,%d,%.4f,%.4f,%d,%s,%.4f,%.4f,%.4f,%.4f", config, target,
                                column, inversion.triggers().get(0).maskL1(), inversion.triggers().get(0).attackSuccess(),
                                debugSet.pairs().size(), name, accBefore, asrBefore, acc, asr));
                        System.out.println(rows.get(rows.size() - 1));
                    }
                }
            }
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        String csv = String.join("\n", rows) + "\n";
        AtomicFiles.write(out, w -> w.write(csv.getBytes(StandardCharsets.UTF_8)));
        System.out.println("wrote " + out.toAbsolutePath());
        return 0;
    }
}
