package org.atpatch.examples.reproduce;

import static org.atpatch.examples.reproduce.ResultTable.percentWithSign;

import ai.djl.Model;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.atpatch.core.ImageTokenLayout;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.QualityGateException;
import org.atpatch.djl.QualityGates;
import org.atpatch.djl.debugset.BackdoorDebuggingSetBuilder;
import org.atpatch.djl.debugset.InvertedTrigger;
import org.atpatch.djl.debugset.NoFlagPolicy;
import org.atpatch.djl.debugset.TargetSearch;
import org.atpatch.djl.debugset.TriggerInversion;
import org.atpatch.core.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The most common real case, a model with no backdoor: the pipeline a user runs, on a dataset's clean
 * model. The target search ({@link TargetSearch}: the unrestricted inversion with its MAD test, then
 * the region scan of its candidates) decides whether there is a backdoor; the README's path builds a
 * bundle from the MAD-flagged classes when there are any. Then the bundle a user would force (the
 * smallest inverted mask): what the quality gates say of it (the bundle a user gets by default, or
 * the refusing gate), and what it costs when applied anyway, gates off (accuracy change and share of
 * clean inputs re-run).
 */
public final class NoBackdoorCheck {

    private static final Logger LOG = LoggerFactory.getLogger(NoBackdoorCheck.class);
    private static final int BATCH = 256;

    private NoBackdoorCheck() {}

    /**
     * What the pipeline did on a clean model.
     *
     * @param dataset the dataset
     * @param family the model family
     * @param accuracy the clean model's accuracy on the evaluation images
     * @param madFlagged the classes the unrestricted inversion's MAD test flagged
     * @param searchTargets the classes the target search found (none: "no backdoor found")
     * @param firing each scanned candidate's firing share, as text
     * @param forcedClass the class of the smallest inverted mask, which the forced bundle uses
     * @param gates the quality gates' verdict on the forced bundle ({@code passed} or the refusing gate)
     * @param forcedAccuracy accuracy with the forced bundle applied anyway
     * @param forcedPatched share of the evaluation images the forced bundle re-ran
     * @param seconds the whole check's wall time
     */
    public record Row(String dataset, String family, double accuracy, int[] madFlagged, int[] searchTargets, String firing,
            int forcedClass, String gates, double forcedAccuracy, double forcedPatched, double seconds) {

        /** @return the README path's verdict: left alone, or a bundle from the MAD-flagged classes */
        public String madPath() {
            return madFlagged.length == 0 ? "left alone" : "bundle for " + Arrays.toString(madFlagged);
        }

        /** @return the target search's verdict */
        public String searchPath() {
            return searchTargets.length == 0 ? "no backdoor found" : "target " + Arrays.toString(searchTargets);
        }
    }

    /**
     * Runs the check.
     *
     * @param dataset the dataset's name
     * @param model the clean model
     * @param data the splits (the pool for the defender, the evaluation images for the measures)
     * @param s the reproduction's settings (seed, inversion rounds, region scan, detector, pairs)
     * @return the row
     */
    public static Row run(String dataset, Model model, ImageSplits data, BackdoorExperiment.Settings s) {
        long t0 = System.nanoTime();
        double accuracy = Metrics.accuracy(Predictions.classes(model, data.eval(), BATCH), data.eval().labels());
        TargetSearch.Result search = TargetSearch.builder().optSeed(s.seed())
                .optInversion(() -> TriggerInversion.builder().optMaxRounds(s.inversionRounds()))
                .optRegionSize(s.regionSize()).optRegionCount(Math.max(1, s.regionCount()))
                .optCandidates(s.regionCandidates()).optMinFiringShare(s.regionMinShare())
                .optNoFlagPolicy(NoFlagPolicy.EMPTY).build().search(model, data.pool());
        StringBuilder firing = new StringBuilder();
        for (int c : search.scan().candidates()) {
            firing.append(firing.length() == 0 ? "" : "; ").append(c).append(": ")
                    .append(String.format(Locale.ROOT, "%.3f", search.firingShare(c)));
        }
        InvertedTrigger smallest = search.inversion().triggers().stream()
                .min(Comparator.comparingDouble(InvertedTrigger::maskL1)).orElseThrow();
        ImageTokenLayout layout = BackdoorExperiment.sampleLayout(
                (org.atpatch.djl.interception.InterceptableTransformer) model.getBlock());
        DebuggingSet debugSet = BackdoorDebuggingSetBuilder.of(model, data.pool()).optLayout(layout)
                .optPairsPerTrigger(s.maxPairs()).optSeed(s.seed()).addTriggers(List.of(smallest)).build();
        String gates;
        double forcedAccuracy = accuracy;
        double forcedPatched = 0;
        if (debugSet.pairs().isEmpty()) {
            gates = "no pairs: the smallest mask fired on no pool image";
        } else {
            PatchBundle bundle;
            try {
                bundle = atPatch(model, s, QualityGates.defaults()).trainBundle(debugSet);
                gates = "passed";
            } catch (QualityGateException e) {
                gates = "refused (" + e.gate() + ")";
                bundle = atPatch(model, s, QualityGates.disabled()).trainBundle(debugSet);
            }
            try (PatchedModel patched = PatchedModel.fromBundle(bundle, model)) {
                PatchedCounts counts = PatchedCounts.of(patched, data.eval(), BATCH);
                forcedAccuracy = counts.accuracy();
                forcedPatched = counts.patchedShare();
            }
        }
        Row row = new Row(dataset, model.getBlock().getClass().getSimpleName(), accuracy, search.inversion().flaggedClasses(),
                search.targets(), firing.toString(), smallest.target(), gates, forcedAccuracy, forcedPatched,
                (System.nanoTime() - t0) / 1e9);
        LOG.info("{} clean model (accuracy {}): MAD path {}, target search {} (firing shares {}); forced bundle for class {}:"
                + " quality gates {}, accuracy {}, {} of inputs re-run ({} s)", dataset, percentWithSign(accuracy), row.madPath(),
                row.searchPath(), row.firing(), row.forcedClass(), gates, percentWithSign(forcedAccuracy), percentWithSign(forcedPatched),
                String.format(Locale.ROOT, "%.0f", row.seconds()));
        return row;
    }

    private static AtPatch atPatch(Model model, BackdoorExperiment.Settings s, QualityGates gates) {
        return AtPatch.builder().setModel(model).optQualityGates(gates)
                .optDetectorConfig(s.detector().toBuilder().optLayerEmbedding(s.detectorLayerEmbedding())
                        .optTauSelection(s.tauSelection()).build())
                .optOverAttentionRatio(s.overAttentionRatio()).build();
    }
}
