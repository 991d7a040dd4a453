package org.atpatch.examples.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import org.atpatch.core.ImagePatchLayout;
import org.atpatch.core.Metrics;
import org.atpatch.detector.DetectorArchitecture;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.examples.reproduce.DetectorOptions;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.debugset.BackdoorDebuggingSetBuilder;
import org.atpatch.djl.debugset.InversionReport;
import org.atpatch.djl.debugset.PlantedBackdoor;
import org.atpatch.djl.debugset.TriggerInversion;
import org.atpatch.djl.model.VisionTransformer;

/**
 * How much the detector's seed alone moves the defence, per detector variant, on the library's
 * planted test victim (a 16 × 16 ViT with a 3 × 3 trigger): one trigger inversion and one debugging set
 * (seed 3, as the end-to-end pipeline test), then for each variant and each seed a bundle trained with
 * the library's defaults otherwise, and its ASR and clean accuracy on the held-out images. Prints one
 * markdown row per variant.
 *
 * <pre>java ... org.atpatch.examples.bench.DetectorSeedSpread [--variants column-statistics:32,paper-cnn:32]
 *     [--seeds 7] [--patience 10]</pre>
 *
 * A variant is {@code architecture:MLP width}, optionally followed by {@code :kept epoch} ({@code
 * best-validation} or {@code last}) and {@code :τ selection} ({@code max-f1} or {@code clean-R}), e.g.
 * {@code column-statistics:32:last:clean-0.05}; what a variant leaves out is the library's default.
 */
public final class DetectorSeedSpread {

    private DetectorSeedSpread() {}

    /**
     * @param args see the class comment
     */
    public static void main(String[] args) {
        DjlOffline.configure();
        Map<String, String> opt = PairedOverhead.Args.parse(args);
        int seeds = Integer.parseInt(opt.getOrDefault("seeds", "7"));
        int patience = Integer.parseInt(opt.getOrDefault("patience", Integer.toString(DetectorConfig.defaults().patience())));
        PlantedBackdoor victim = PlantedBackdoor.get();
        LabelledData pool = victim.test.range(0, 300);
        LabelledData eval = victim.test.range(300, victim.test.size());
        InversionReport inversion = TriggerInversion.builder().optSeed(3).build().invert(victim.model, pool);
        ImagePatchLayout layout = ((VisionTransformer) victim.model.getBlock()).tokenLayout();
        DebuggingSet debugSet = BackdoorDebuggingSetBuilder.of(victim.model, pool).addTriggers(inversion).optLayout(layout)
                .optSeed(3).build();
        LabelledData others = eval.subset(IntStream.range(0, eval.size())
                .filter(i -> eval.labels()[i] != PlantedBackdoor.TARGET).toArray());
        LabelledData triggered = victim.trueTrigger.apply(others);
        StringBuilder out = new StringBuilder("| detector | ASR % per seed 1.." + seeds + " | median ASR % | accuracy % per seed |\n"
                + "|---|---|---:|---|\n");
        for (String variant : opt.getOrDefault("variants", "column-statistics:32,paper-cnn:32").split(",")) {
            String[] v = variant.split(":");
            List<Double> asr = new ArrayList<>();
            List<String> acc = new ArrayList<>();
            for (int seed = 1; seed <= seeds; seed++) {
                DetectorConfig.Builder b = DetectorConfig.builder().optArchitecture(DetectorArchitecture.Kind.byName(v[0]))
                        .optHiddenSize(Integer.parseInt(v[1])).optPatience(patience).optSeed(seed).optProgressBar(false);
                if (v.length > 2) {
                    b.optKeptEpoch(DetectorConfig.KeptEpoch.byLabel(v[2]));
                }
                if (v.length > 3) {
                    b.optTauSelection(DetectorOptions.tauSelection(v[3]));
                }
                DetectorConfig config = b.build();
                try (PatchedModel patched = AtPatch.builder().setModel(victim.model).optDetectorConfig(config).build()
                        .train(debugSet)) {
                    asr.add(100 * Metrics.attackSuccessRate(Predictions.classes(patched, triggered, 256), triggered.labels(),
                            PlantedBackdoor.TARGET));
                    acc.add(String.format(Locale.ROOT, "%.1f",
                            100 * Metrics.accuracy(Predictions.classes(patched, eval, 256), eval.labels())));
                }
            }
            double[] all = asr.stream().mapToDouble(Double::doubleValue).toArray();
            out.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %s |%n", variant,
                    String.join(", ", asr.stream().map(a -> String.format(Locale.ROOT, "%.1f", a)).toList()),
                    PatchOverheadRunner.percentile(all, 50), String.join(", ", acc)));
        }
        System.out.print(out);
    }
}
