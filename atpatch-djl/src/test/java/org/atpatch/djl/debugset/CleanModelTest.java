package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.atpatch.core.ImagePatchLayout;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.QualityGateException;
import org.atpatch.djl.model.VisionTransformer;
import org.junit.jupiter.api.Test;

/**
 * The whole pipeline on a victim trained without a backdoor, as a user would run it: by default
 * trigger inversion ends with "no backdoor found" and no debugging set or bundle is made; a user who
 * forces one (the smallest-mask class) gets either a quality-gate refusal or a patch that leaves
 * the clean predictions as they were.
 */
class CleanModelTest {

    @Test
    void aCleanModelEndsWithNoBackdoorFoundAndNoBundle() {
        PlantedBackdoor victim = PlantedBackdoor.clean();
        assertTrue(victim.cleanAccuracy >= 0.9, "the clean victim learns the task: " + victim.cleanAccuracy);
        LabelledData pool = victim.test.range(0, 300);
        NoTargetFlaggedException e = assertThrows(NoTargetFlaggedException.class,
                () -> TriggerInversion.builder().optSeed(3).build().invert(victim.model, pool));
        assertTrue(e.getMessage().startsWith("no backdoor found"), e.getMessage());
        assertEquals(0, e.report().flaggedClasses().length);
        assertEquals(InversionReport.Outcome.NONE_FLAGGED_NOTHING_SELECTED, e.report().outcome());
        assertEquals(PlantedBackdoor.CLASSES, e.report().triggers().size(), "every class was inverted and is kept");
    }

    @Test
    void aForcedBundleOnACleanModelIsRefusedOrChangesNoPrediction() {
        PlantedBackdoor victim = PlantedBackdoor.clean();
        LabelledData pool = victim.test.range(0, 300);
        LabelledData eval = victim.test.range(300, victim.test.size());
        InversionReport forced = TriggerInversion.builder().optSeed(3).optNoFlagPolicy(NoFlagPolicy.USE_SMALLEST_NORM)
                .build().invert(victim.model, pool);
        assertEquals(InversionReport.Outcome.NONE_FLAGGED_SMALLEST_SELECTED, forced.outcome());
        ImagePatchLayout layout = ((VisionTransformer) victim.model.getBlock()).tokenLayout();
        DebuggingSet debugSet = BackdoorDebuggingSetBuilder.of(victim.model, pool).addTriggers(forced).optLayout(layout)
                .optSeed(3).build();
        AtPatch atPatch = AtPatch.builder().setModel(victim.model)
                .optDetectorConfig(DetectorConfig.builder().optSeed(3).optEpochs(10).optProgressBar(false).build()).build();
        PatchedModel patched;
        try {
            patched = atPatch.train(debugSet);
        } catch (QualityGateException refused) {
            return; // the gates saw that the made-up trigger's patch does not undo anything
        }
        try (patched) {
            int[] before = Predictions.classes(victim.model, eval, 256);
            int[] after = Predictions.classes(patched, eval, 256);
            long changed = java.util.stream.IntStream.range(0, before.length).filter(i -> before[i] != after[i]).count();
            assertTrue(changed <= before.length / 1000, changed + " of " + before.length + " clean predictions changed by a"
                    + " bundle the gates let through (forced class " + forced.selected().stream().map(InvertedTrigger::target).toList() + ")");
        }
    }
}
