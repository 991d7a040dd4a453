package org.atpatch.examples.baseline;

import ai.djl.Model;
import java.util.List;
import org.atpatch.core.Metrics;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.debugset.FairnessFlips;
import org.atpatch.djl.debugset.ProtectedAttribute;

/** Inputs and measurements shared by the baseline tests. */
final class BaselineFixture {

    static final LabelledData CLEAN = PlantedModels.data(400, 1, false);
    static final LabelledData STAMPED_EVAL = nonTarget(PlantedModels.data(400, 2, true));

    private BaselineFixture() {}

    /** @return the backdoored model's repair input: clean data and the stamped clean data as the defect */
    static RepairInput backdoorInput(Model victim) {
        LabelledData stamped = nonTarget(PlantedModels.data(400, 1, true));
        return new RepairInput(victim, PlantedModels::backdoorArchitecture, CLEAN, new Defect.Backdoor(stamped));
    }

    /** @return the stamped inputs whose true class is not the target, labelled with the target */
    static LabelledData nonTarget(LabelledData stamped) {
        int[] keep = java.util.stream.IntStream.range(0, stamped.size())
                .filter(i -> stamped.labels()[i] != PlantedModels.TARGET).toArray();
        LabelledData s = stamped.subset(keep);
        return new LabelledData(s.inputs(), new int[s.size()], s.sampleShape());
    }

    /** @return the share of the evaluation's stamped inputs the model sends to the target */
    static double asr(Model m) {
        return Metrics.accuracy(Predictions.classes(m, STAMPED_EVAL, 128), STAMPED_EVAL.labels());
    }

    /** @return clean accuracy on fresh clean data */
    static double accuracy(Model m) {
        LabelledData eval = PlantedModels.data(400, 3, false);
        return Metrics.accuracy(Predictions.classes(m, eval, 128), eval.labels());
    }

    /** @return the flips of the fairness models' protected x0 */
    static FairnessFlips flips() {
        return FairnessFlips.of(List.of(new ProtectedAttribute("x0", 0, new float[] {0, 1}, new int[] {0})), 3);
    }
}
