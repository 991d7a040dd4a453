package org.atpatch.examples.reproduce;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import org.atpatch.core.PrCurve;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.FairnessFlips;

/**
 * How well the unpatched model's own logit margin (top class minus runner-up) tells the inputs whose
 * prediction depends on the protected attributes (a divergent flip orbit) from the others: the
 * ROC-AUC of a small margin for divergence, and the share of inputs a margin threshold must take to
 * catch 99 % and all of the divergent ones. A baseline for what the attention detector achieves.
 *
 * @param rocAuc the probability that a divergent input has a smaller margin than a non-divergent one
 * @param shareForRecall99 the share of inputs with a margin at most the one that catches 99 % of the divergent ones
 * @param shareForRecall100 the same for all of them
 */
public record MarginProbe(double rocAuc, double shareForRecall99, double shareForRecall100) {

    /**
     * @param model the unpatched victim
     * @param data the inputs
     * @param flips f(x) and f(x′) of every input and flip ({@link FairnessFlips#evaluate})
     * @return the probe; NaN values when no input or every input is divergent
     */
    public static MarginProbe measure(Model model, LabelledData data, FairnessFlips.Evaluation flips) {
        float[] margin = margins(model, data);
        boolean[] divergent = new boolean[data.size()];
        int count = 0;
        for (int i = 0; i < divergent.length; i++) {
            divergent[i] = flips.divergent(i);
            count += divergent[i] ? 1 : 0;
        }
        if (count == 0 || count == divergent.length) {
            return new MarginProbe(Double.NaN, Double.NaN, Double.NaN);
        }
        float[] score = new float[margin.length];
        for (int i = 0; i < margin.length; i++) {
            score[i] = -margin[i];
        }
        double auc = PrCurve.columnRocAuc(new float[][] {score}, new boolean[][] {divergent});
        float[] divergentMargins = new float[count];
        int k = 0;
        for (int i = 0; i < divergent.length; i++) {
            if (divergent[i]) {
                divergentMargins[k++] = margin[i];
            }
        }
        Arrays.sort(divergentMargins);
        float at99 = divergentMargins[(int) Math.ceil(0.99 * count) - 1];
        float at100 = divergentMargins[count - 1];
        return new MarginProbe(auc, shareAtMost(margin, at99), shareAtMost(margin, at100));
    }

    private static double shareAtMost(float[] values, float bound) {
        int n = 0;
        for (float v : values) {
            n += v <= bound ? 1 : 0;
        }
        return n / (double) values.length;
    }

    /** Top-class minus runner-up logit per input, batches of 1,024. */
    private static float[] margins(Model model, LabelledData data) {
        float[] out = new float[data.size()];
        for (int from = 0; from < data.size(); from += 1024) {
            int to = Math.min(data.size(), from + 1024);
            try (NDManager sub = model.getNDManager().newSubManager()) {
                NDArray logits = model.getBlock().forward(new ParameterStore(sub, false), new NDList(data.batch(sub, from, to)),
                        false).singletonOrThrow();
                NDArray top2 = logits.sort(1).get(":, -2:");
                float[] t = top2.toFloatArray();
                for (int i = 0; i < to - from; i++) {
                    out[from + i] = t[2 * i + 1] - t[2 * i];
                }
            }
        }
        return out;
    }
}
