package org.atpatch.examples.reproduce;

import ai.djl.Model;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.FairnessFlips;
import org.atpatch.djl.debugset.FairnessPredictor;
import org.atpatch.djl.debugset.FlipInvariantDecision;
import org.atpatch.examples.baseline.ModelOutputs;

/**
 * A reference prediction that no protected attribute can move, made from the unpatched model alone:
 * every input gets the argmax of the model's class probabilities averaged, with equal weights, over
 * its whole flip orbit (the input and every other combination of the protected values). Inputs of one
 * orbit share a canonical view and therefore one prediction, so UF is zero; on a binary task an orbit
 * the model already decides one way keeps that decision. It is not a patch: it measures what any
 * attribute-independent prediction taken from this model costs in accuracy.
 *
 * <p>Orbits are computed once per canonical view and cached. Not thread-safe.
 */
final class OrbitMean implements FairnessPredictor {

    private static final int BATCH = 1024;

    private final Model model;
    private final FlipInvariantDecision decision;
    private final FairnessFlips joint;
    private final Map<FloatBuffer, Integer> cache = new HashMap<>();

    /**
     * @param model the unpatched classifier
     * @param decision gives each input's canonical view (the orbit's identity)
     * @param joint the joint flips of the protected group ({@link FairnessFlips#joint})
     */
    OrbitMean(Model model, FlipInvariantDecision decision, FairnessFlips joint) {
        if (!joint.isJoint()) {
            throw new IllegalArgumentException("the orbit mean needs joint flips");
        }
        this.model = model;
        this.decision = decision;
        this.joint = joint;
    }

    @Override
    public int[] predict(LabelledData data) {
        List<float[]> rows = new ArrayList<>();
        List<FloatBuffer> keys = new ArrayList<>();
        Set<FloatBuffer> pending = new HashSet<>();
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            float[] x = data.sample(i);
            FloatBuffer key = FloatBuffer.wrap(decision.canonical(x));
            if (cache.containsKey(key) || !pending.add(key)) {
                continue;
            }
            keys.add(key);
            rows.add(x);
            List<FairnessFlips.Flip> flips = joint.flipsOf(x);
            flips.forEach(f -> rows.add(f.input()));
            sizes.add(1 + flips.size());
        }
        float[][] logits = rows.isEmpty() ? new float[0][] : ModelOutputs.logits(model,
                LabelledData.unlabelled(rows, data.sampleShape()), BATCH);
        int row = 0;
        for (int k = 0; k < keys.size(); k++) {
            double[] mean = null;
            for (int r = 0; r < sizes.get(k); r++) {
                double[] p = ModelOutputs.softmax(logits[row++]);
                if (mean == null) {
                    mean = p;
                } else {
                    for (int c = 0; c < p.length; c++) {
                        mean[c] += p[c];
                    }
                }
            }
            int best = 0;
            for (int c = 1; c < mean.length; c++) {
                best = mean[c] > mean[best] ? c : best;
            }
            cache.put(keys.get(k), best);
        }
        int[] out = new int[data.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = cache.get(FloatBuffer.wrap(decision.canonical(data.sample(i))));
        }
        return out;
    }
}
