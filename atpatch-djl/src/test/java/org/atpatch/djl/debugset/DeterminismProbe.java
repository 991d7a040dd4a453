package org.atpatch.djl.debugset;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.atpatch.djl.LabelledData;
import org.junit.jupiter.api.Test;

class DeterminismProbe {
    @Test
    void probe() {
        PlantedBackdoor b = PlantedBackdoor.get();
        TriggerInversion cfg = TriggerInversion.builder().build();
        TriggerOptimiser opt = new TriggerOptimiser(b.model, b.test, new int[] {0, 1, 2}, 6, cfg, new Random(1));
        LabelledData x = b.test.range(0, 32);
        float[] ref = null, refP = null, refL1 = null; long[] refPred = null;
        int diff = 0, bad = 0;
        for (int rep = 0; rep < Integer.getInteger("probe.reps", 600); rep++) {
            List<ClassSearch> s = List.of(new ClassSearch(0, PlantedBackdoor.SHAPE, cfg, 1), new ClassSearch(2, PlantedBackdoor.SHAPE, cfg, 2),
                    new ClassSearch(5, PlantedBackdoor.SHAPE, cfg, 3));
            TriggerOptimiser.Gradients g = opt.gradients(s, x);
            for (float f : g.maskGrad()) if (!Float.isFinite(f)) { bad++; break; }
                        if (ref == null) { ref = g.maskGrad(); refP = g.patternGrad(); refL1 = g.l1(); refPred = g.predicted(); }
            else if (!Arrays.equals(ref, g.maskGrad()) || !Arrays.equals(refP, g.patternGrad())) {
                diff++;
                double md = 0; for (int i = 0; i < ref.length; i++) md = Math.max(md, Math.abs(ref[i] - g.maskGrad()[i]));
                double pd = 0; int pn = 0, pnan = 0; for (int i = 0; i < refP.length; i++) { float u = g.patternGrad()[i]; if (Float.isNaN(u)) pnan++; if (u != refP[i]) { pn++; pd = Math.max(pd, Math.abs(refP[i] - u)); } }
                int ln = 0; for (int i = 0; i < g.predicted().length; i++) if (g.predicted()[i] != refPred[i]) ln++;
                if (diff < 8) System.out.println("DET rep " + rep + " differs, mask max |d| " + md + " pattern diffs " + pn + " max " + pd + " nan " + pnan + " l1 " + Arrays.toString(g.l1()) + " vs " + Arrays.toString(refL1) + " preds differ " + ln);
            }
        }
        System.out.println("DET differing " + diff + " nonfinite " + bad);
    }
}
