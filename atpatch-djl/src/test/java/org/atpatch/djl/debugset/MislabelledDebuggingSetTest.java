package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.atpatch.core.ImagePatchLayout;
import org.atpatch.core.Metrics;
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
 * A debugging set whose labels sit one column beside the trigger's (the real trigger, every label
 * moved to a neighbouring patch): AtPatch must not hand out a bundle that leaves the backdoor in place. Either a
 * quality gate refuses it, or the bundle it produces removes the backdoor anyway.
 */
class MislabelledDebuggingSetTest {

    @Test
    void labelsOneColumnOffAreRefusedOrStillRemoveTheBackdoor() {
        PlantedBackdoor victim = PlantedBackdoor.get();
        LabelledData pool = victim.test.range(0, 300);
        LabelledData eval = victim.test.range(300, victim.test.size());
        ImagePatchLayout layout = ((VisionTransformer) victim.model.getBlock()).tokenLayout();
        DebuggingSet right = BackdoorDebuggingSetBuilder.of(victim.model, pool).addTrigger(victim.trueTrigger)
                .optLayout(layout).optSeed(3).build();
        DebuggingSet.Builder shifted = DebuggingSet.builder(right.kind(), right.sampleShape(), right.tokens());
        for (DebuggingSet.Pair p : right.pairs()) {
            boolean[] columns = new boolean[p.columns().length];
            for (int j = 1; j < columns.length; j++) {
                if (p.columns()[j]) {
                    columns[j > 1 ? j - 1 : j + 1] = true; // onto the patch to its left (right of the first: 0 is CLS)
                }
            }
            shifted.addPair(p.clean(), p.anomalous(), columns);
        }
        AtPatch atPatch = AtPatch.builder().setModel(victim.model)
                .optDetectorConfig(DetectorConfig.builder().optSeed(3).optEpochs(10).optProgressBar(false).build()).build();
        PatchedModel patched;
        try {
            patched = atPatch.train(shifted.build());
        } catch (QualityGateException refused) {
            return;
        }
        LabelledData others = eval.subset(IntStream.range(0, eval.size()).filter(i -> eval.labels()[i] != PlantedBackdoor.TARGET)
                .toArray());
        LabelledData triggered = victim.trueTrigger.apply(others);
        try (patched) {
            double asr = Metrics.attackSuccessRate(Predictions.classes(patched, triggered, 256), triggered.labels(),
                    PlantedBackdoor.TARGET);
            assertTrue(asr <= 0.1, "the quality gates let through a bundle from labels beside the trigger that leaves ASR at "
                    + asr);
        }
    }
}
