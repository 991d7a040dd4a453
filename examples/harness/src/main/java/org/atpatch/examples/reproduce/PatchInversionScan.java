package org.atpatch.examples.reproduce;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.atpatch.core.AtomicFiles;
import org.atpatch.core.ImagePatchLayout;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.debugset.InvertedTrigger;
import org.atpatch.djl.debugset.RegionInversion;
import org.atpatch.djl.debugset.TriggerInversion;
import org.atpatch.examples.data.ExecArgs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * A diagnostic for one cached ViT victim of the backdoor harness: inverts chosen classes with the
 * mask restricted to one patch at a time ({@link RegionInversion} over every patch), and writes each
 * (patch, class)'s mask L1 and attack success to a CSV. A ViT embeds every
 * patch with the same weights, so a backdoor's target should be reachable from one patch where a
 * clean class is not. Loads the victim exactly as {@code ReproduceBackdoor} does (same cache key).
 */
@Command(name = "patch-inversion-scan", mixinStandardHelpOptions = true,
        description = "Invert classes with the mask restricted to each ViT patch in turn.")
public final class PatchInversionScan implements Callable<Integer> {

    @Mixin
    CachedVitOptions victimOptions = new CachedVitOptions();

    @Option(names = "--classes", split = ",", required = true, description = "classes to invert, e.g. 1,0,7")
    int[] classes;

    @Option(names = "--inversion-rounds", description = "rounds per inversion (default ${DEFAULT-VALUE})")
    int rounds = 100;

    @Option(names = "--out", description = "CSV file (default ${DEFAULT-VALUE})")
    Path out = Path.of("target", "patch-inversion-scan.csv");

    /** @param args options; {@code --help} lists them */
    public static void main(String[] args) {
        DjlOffline.configure();
        System.exit(new CommandLine(new PatchInversionScan()).execute(ExecArgs.split(args)));
    }

    @Override
    public Integer call() throws IOException {
        List<String> rows = new ArrayList<>(List.of("patch,column,class,mask_l1,attack_success,reached_threshold"));
        try (CachedVitOptions.Loaded loaded = victimOptions.load()) {
            ImageVictim victim = loaded.victim();
            ImagePatchLayout layout = loaded.layout();
            System.out.printf(Locale.ROOT, "%s: target %d, %d patches of %d x %d%n", victimOptions.config,
                    victim.attack().target(), layout.patches(), layout.patch(), layout.patch());
            int first = layout.cls() ? 1 : 0;
            List<RegionInversion.Region> patches = IntStream.range(first, layout.size())
                    .mapToObj(column -> CachedVitOptions.region(layout, column)).toList();
            RegionInversion.Result scan = RegionInversion.builder().optRegions(patches)
                    .optInversion(() -> TriggerInversion.builder().optSeed(victimOptions.common().seed()).optMaxRounds(rounds))
                    .build().invert(victim.model(), loaded.splits().pool(), classes);
            for (int i = 0; i < scan.attempts().size(); i++) {
                int patch = i / classes.length; // attempts are patch-major, classes in the given order
                InvertedTrigger t = scan.attempts().get(i).trigger();
                rows.add(String.format(Locale.ROOT, "%d,%d,%d,%.4f,%.4f,%b", patch, patch + first, t.target(),
                        t.maskL1(), t.attackSuccess(), t.reachedThreshold()));
            }
        }
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        String csv = String.join("\n", rows) + "\n";
        AtomicFiles.write(out, w -> w.write(csv.getBytes(StandardCharsets.UTF_8)));
        System.out.println("wrote " + out.toAbsolutePath());
        return 0;
    }
}
