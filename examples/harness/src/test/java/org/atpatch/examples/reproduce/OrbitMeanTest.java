package org.atpatch.examples.reproduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.LambdaBlock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.debugset.FairnessFlips;
import org.atpatch.djl.debugset.FlipInvariantDecision;
import org.atpatch.djl.debugset.ProtectedAttribute;
import org.junit.jupiter.api.Test;

/**
 * The orbit-mean reference on a classifier whose class-1 logit is {@code x1 + 1.5 sex - 0.8 race}
 * (class 0's is 0), so that rows near the boundary are decided by the protected values.
 */
class OrbitMeanTest {

    private static final int F = 3; // x1, sex, race

    @Test
    void everyMemberOfAnOrbitGetsTheArgmaxOfTheOrbitsMeanProbabilities() {
        try (Model model = Model.newInstance("orbit-mean")) {
            model.setBlock(new LambdaBlock(in -> {
                NDArray x = in.singletonOrThrow();
                NDArray z1 = x.get(":, 0").add(x.get(":, 1").mul(1.5f)).sub(x.get(":, 2").mul(0.8f));
                return new NDList(NDArrays.stack(new NDList(z1.zerosLike(), z1), 1));
            }));
            ProtectedAttribute sex = new ProtectedAttribute("sex", 1, ProtectedAttribute.codes(2), new int[] {1});
            ProtectedAttribute race = new ProtectedAttribute("race", 2, ProtectedAttribute.codes(3), new int[] {2});
            FlipInvariantDecision decision = FlipInvariantDecision.of(List.of(sex, race), F, 3);
            FairnessFlips joint = FairnessFlips.joint(List.of(sex, race), F);
            Random r = new Random(5);
            List<float[]> rows = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                rows.add(new float[] {-3f + 0.03f * i, r.nextInt(2), r.nextInt(3)});
            }
            LabelledData data = LabelledData.unlabelled(rows, new Shape(F));
            int[] mean = new OrbitMean(model, decision, joint).predict(data);
            int[] plain = Predictions.classes(model, data, 64);
            int divergent = 0;
            for (int i = 0; i < rows.size(); i++) {
                // By hand: the six members of the orbit, their class-1 probabilities averaged.
                double p1 = 0;
                boolean[] ones = new boolean[6];
                for (int s = 0; s < 2; s++) {
                    for (int c = 0; c < 3; c++) {
                        double z = rows.get(i)[0] + 1.5 * s - 0.8 * c;
                        p1 += 1 / (1 + Math.exp(-z)) / 6;
                        ones[3 * s + c] = z > 0;
                    }
                }
                boolean split = false;
                for (boolean o : ones) {
                    split |= o != ones[0];
                }
                assertEquals(p1 > 0.5 ? 1 : 0, mean[i], "sample " + i);
                if (!split) {
                    assertEquals(plain[i], mean[i], "an orbit the model decides one way keeps its decision: sample " + i);
                }
                divergent += split ? 1 : 0;
                // Every flip of the sample gets the same prediction.
                List<float[]> flips = joint.flipsOf(rows.get(i)).stream().map(FairnessFlips.Flip::input).toList();
                int[] flipped = new OrbitMean(model, decision, joint).predict(LabelledData.unlabelled(flips, new Shape(F)));
                int[] same = new int[flipped.length];
                Arrays.fill(same, mean[i]);
                assertArrayEquals(same, flipped, "sample " + i);
            }
            assertTrue(divergent > 20, "divergent orbits: " + divergent);
        }
    }
}
