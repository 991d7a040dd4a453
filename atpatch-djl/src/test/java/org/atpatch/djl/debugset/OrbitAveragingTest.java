package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.LambdaBlock;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.atpatch.djl.LabelledData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Orbit averaging on a classifier whose class-1 logit is {@code x1 + 1.5 sex - 0.8 race} (class 0's
 * is 0): rows near the boundary are decided by the protected values, the others are not.
 */
class OrbitAveragingTest {

    private static final int F = 3; // x1, sex, race
    private static final ProtectedAttribute SEX = new ProtectedAttribute("sex", 1, ProtectedAttribute.codes(2), new int[] {1});
    private static final ProtectedAttribute RACE = new ProtectedAttribute("race", 2, ProtectedAttribute.codes(3), new int[] {2});
    private static final OrbitAveraging REPAIR = OrbitAveraging.of(List.of(SEX, RACE), F);

    private static Model model;
    private static List<float[]> rows;

    @BeforeAll
    static void setUp() {
        model = Model.newInstance("orbit-averaging");
        model.setBlock(new LambdaBlock(in -> {
            NDArray x = in.singletonOrThrow();
            NDArray z1 = x.get(":, 0").add(x.get(":, 1").mul(1.5f)).sub(x.get(":, 2").mul(0.8f));
            return new NDList(NDArrays.stack(new NDList(z1.zerosLike(), z1), 1));
        }));
        Random r = new Random(5);
        rows = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            rows.add(new float[] {-3f + 0.05f * i, r.nextInt(2), r.nextInt(3)});
        }
    }

    @AfterAll
    static void tearDown() {
        model.close();
    }

    private static float[][] predict(List<float[]> samples) {
        try (NDManager m = model.getNDManager().newSubManager()) {
            LabelledData data = LabelledData.unlabelled(samples, new Shape(F));
            float[] flat = REPAIR.predict(model, data.batch(m, 0, data.size())).toFloatArray();
            float[][] out = new float[samples.size()][];
            for (int i = 0; i < out.length; i++) {
                out[i] = java.util.Arrays.copyOfRange(flat, 2 * i, 2 * i + 2);
            }
            return out;
        }
    }

    private static float[] plain(float[] x) {
        try (NDManager m = model.getNDManager().newSubManager()) {
            return model.getBlock().forward(new ParameterStore(m, false), new NDList(m.create(x, new Shape(1, F))), false)
                    .singletonOrThrow().toFloatArray();
        }
    }

    @Test
    void agreeingOrbitsKeepTheirOwnOutputAndDivergentOnesGetTheOrbitsMeanProbabilities() {
        assertEquals(6, REPAIR.orbitSize());
        float[][] out = predict(rows);
        int divergent = 0;
        for (int i = 0; i < rows.size(); i++) {
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
            if (split) {
                divergent++;
                assertEquals(Math.log(1 - p1), out[i][0], 1e-5, "sample " + i);
                assertEquals(Math.log(p1), out[i][1], 1e-5, "sample " + i);
            } else {
                assertArrayEquals(plain(rows.get(i)), out[i], "an agreeing orbit keeps the model's output bit for bit: " + i);
            }
        }
        assertTrue(divergent > 20 && divergent < rows.size() - 20, "both kinds of orbit are tested: " + divergent);
    }

    @Test
    void noSingleOrJointFlipMovesThePrediction() {
        FairnessPredictor repaired = data -> {
            float[][] z = predict(java.util.stream.IntStream.range(0, data.size()).mapToObj(data::sample).toList());
            return java.util.Arrays.stream(z).mapToInt(v -> v[1] > v[0] ? 1 : 0).toArray();
        };
        LabelledData data = LabelledData.unlabelled(rows, new Shape(F));
        assertTrue(FairnessFlips.joint(List.of(SEX, RACE), F).unfairness(data, FairnessPredictor.of(model, 64)) > 0.1,
                "the model itself is unfair on these rows");
        assertEquals(0.0, FairnessFlips.joint(List.of(SEX, RACE), F).unfairness(data, repaired));
        assertEquals(0.0, FairnessFlips.of(List.of(SEX, RACE), F).unfairness(data, repaired));
        // Logits too, not only classes: every member of an orbit gets the same output.
        float[][] out = predict(rows);
        for (int i = 0; i < rows.size(); i += 7) {
            float[][] flipped = predict(FairnessFlips.joint(List.of(SEX, RACE), F).flipsOf(rows.get(i)).stream()
                    .map(FairnessFlips.Flip::input).toList());
            boolean divergent = REPAIR.divergent(model, model.getNDManager().create(rows.get(i), new Shape(1, F)))
                    .toBooleanArray()[0];
            for (float[] f : flipped) {
                if (divergent) {
                    assertArrayEquals(out[i], f, 1e-6f, "sample " + i);
                } else {
                    assertEquals(out[i][1] > out[i][0], f[1] > f[0], "sample " + i);
                }
            }
        }
    }

    @Test
    void weightedOrbitsAverageWithThePopulationSharesAndStayFlipInvariant() {
        // Population: sex 1 in 3 rows of 4, race 0 twice as often as race 1, race 2 absent.
        List<float[]> population = new ArrayList<>();
        int[][] combos = {{0, 0}, {0, 1}, {1, 0}, {1, 0}, {1, 1}, {1, 0}};
        for (int[] c : combos) {
            population.add(new float[] {0f, c[0], c[1]});
        }
        OrbitAveraging weighted = REPAIR.weightedBy(LabelledData.unlabelled(population, new Shape(F)));
        assertArrayEquals(new float[] {1 / 6f, 1 / 6f, 0f, 3 / 6f, 1 / 6f, 0f}, weighted.weights(), 1e-7f,
                "(sex, race) in the order race varies fastest");
        try (NDManager m = model.getNDManager().newSubManager()) {
            LabelledData data = LabelledData.unlabelled(rows, new Shape(F));
            float[] out = weighted.predict(model, data.batch(m, 0, data.size())).toFloatArray();
            float[] w = weighted.weights();
            for (int i = 0; i < rows.size(); i++) {
                double p1 = 0;
                boolean split = false;
                boolean first = rows.get(i)[0] > 0;
                for (int s = 0; s < 2; s++) {
                    for (int c = 0; c < 3; c++) {
                        double z = rows.get(i)[0] + 1.5 * s - 0.8 * c;
                        p1 += w[3 * s + c] / (1 + Math.exp(-z));
                        split |= (z > 0) != first;
                    }
                }
                if (split) {
                    assertEquals(Math.log(p1), out[2 * i + 1], 1e-5, "sample " + i);
                } else {
                    assertArrayEquals(plain(rows.get(i)), new float[] {out[2 * i], out[2 * i + 1]}, "sample " + i);
                }
            }
            FairnessPredictor repaired = d -> {
                float[] z = weighted.predict(model, d.batch(m, 0, d.size())).toFloatArray();
                return java.util.stream.IntStream.range(0, d.size()).map(k -> z[2 * k + 1] > z[2 * k] ? 1 : 0).toArray();
            };
            assertEquals(0.0, FairnessFlips.joint(List.of(SEX, RACE), F).unfairness(data, repaired));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> REPAIR.weightedBy(LabelledData.unlabelled(List.<float[]>of(new float[] {0f, 1f, 7f}), new Shape(F))));
        assertTrue(e.getMessage().contains("race"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> REPAIR.weightedBy(LabelledData.unlabelled(List.<float[]>of(new float[] {0f, 1f}), new Shape(2))));
    }

    @Test
    void badInputGetsAClearMessage() {
        try (NDManager m = model.getNDManager().newSubManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> REPAIR.predict(model, m.zeros(new Shape(4, F + 1))));
            assertTrue(e.getMessage().contains("3 values per sample"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> OrbitAveraging.of(List.of(SEX, RACE), 2));
    }
}
