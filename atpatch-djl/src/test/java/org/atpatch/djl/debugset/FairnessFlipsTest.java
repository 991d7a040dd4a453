package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.atpatch.core.FeatureTokenLayout;
import org.atpatch.core.Metrics;
import org.atpatch.core.TokenLayout;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Flips, the unfairness helper, pairing rules and validation, with hand-written deterministic
 * predictors (no model). Rows are {@code (x1, x2, sex, race)}; the layout is CLS + one token each.
 */
class FairnessFlipsTest {

    static final int F = 4;
    static final FeatureTokenLayout LAYOUT = new FeatureTokenLayout(List.of("x1", "x2", "sex", "race"), true);
    static final ProtectedAttribute SEX = ProtectedAttribute.of(LAYOUT, "sex", 2, 0f, 1f);
    static final ProtectedAttribute RACE = ProtectedAttribute.of(LAYOUT, "race", 3, 0f, 1f, 2f);

    /** A rule predictor f(x) = rule(row), counting its calls and the rows per call. */
    static final class Rule implements FairnessPredictor {
        final java.util.function.ToIntFunction<float[]> rule;
        final AtomicInteger calls = new AtomicInteger();
        int maxRows;

        Rule(java.util.function.ToIntFunction<float[]> rule) {
            this.rule = rule;
        }

        @Override
        public int[] predict(LabelledData data) {
            calls.incrementAndGet();
            maxRows = Math.max(maxRows, data.size());
            int[] out = new int[data.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = rule.applyAsInt(data.sample(i));
            }
            return out;
        }
    }

    static LabelledData data(float[]... rows) {
        float[] x = new float[rows.length * F];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, x, i * F, F);
        }
        return new LabelledData(x, new int[rows.length], new Shape(F));
    }

    static LabelledData random(int n, long seed) {
        Random r = new Random(seed);
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = new float[] {r.nextInt(5) - 2, r.nextInt(3), r.nextInt(2), r.nextInt(3)};
        }
        return data(rows);
    }

    /** Depends on sex where x1 > 0, on race where x2 = 2 (race 2 → class 2). */
    static int biasedRule(float[] x) {
        if (x[1] == 2 && x[3] == 2) {
            return 2;
        }
        return x[0] > 0 && x[2] == 1 ? 1 : 0;
    }

    @Test
    void flipsOneAttributeAtATimeToEveryOtherValue() {
        FairnessFlips flips = FairnessFlips.of(List.of(SEX, RACE), F);
        float[] x = {0.5f, 1f, 1f, 2f};
        List<FairnessFlips.Flip> fl = flips.flipsOf(x);
        assertEquals(3, fl.size());
        assertEquals(3, flips.count(x));
        assertArrayEquals(new float[] {0.5f, 1f, 0f, 2f}, fl.get(0).input());
        assertEquals(0, fl.get(0).attribute());
        assertArrayEquals(new float[] {0.5f, 1f, 1f, 0f}, fl.get(1).input());
        assertArrayEquals(new float[] {0.5f, 1f, 1f, 1f}, fl.get(2).input());
        assertEquals(2f, fl.get(2).from());
        assertEquals(1f, fl.get(2).to());
        assertArrayEquals(new float[] {0.5f, 1f, 1f, 2f}, x, "the sample itself is untouched");
        // A value outside A is flipped to every value of A.
        assertEquals(1 + 3, flips.count(new float[] {0f, 0f, 1f, 7f}));
    }

    @Test
    void jointFlipsAreEveryOtherValueCombination() {
        FairnessFlips joint = FairnessFlips.joint(List.of(SEX, RACE), F);
        assertTrue(joint.isJoint());
        float[] x = {0.5f, 1f, 1f, 2f};
        List<FairnessFlips.Flip> fl = joint.flipsOf(x);
        assertEquals(2 * 3 - 1, fl.size());
        assertEquals(5, joint.count(x));
        // Mixed-radix order, sex slowest, skipping x's own (sex 1, race 2).
        float[][] expected = {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}};
        for (int k = 0; k < expected.length; k++) {
            assertArrayEquals(new float[] {0.5f, 1f, expected[k][0], expected[k][1]}, fl.get(k).input(), "flip " + k);
        }
        assertEquals(FairnessFlips.JOINT, fl.get(0).attribute());
        assertTrue(Float.isNaN(fl.get(0).from()));
        assertEquals(0, fl.get(2).attribute()); // sex 1 → 0, race kept
        assertEquals(1f, fl.get(2).from());
        assertEquals(0f, fl.get(2).to());
        assertEquals(1, fl.get(3).attribute()); // race 2 → 0, sex kept
        // A value outside A: every combination is a flip.
        assertEquals(6, joint.count(new float[] {0f, 0f, 1f, 7f}));
    }

    @Test
    void jointUnfairnessCountsAChangeThatNeedsBothAttributes() {
        // Class 1 only for sex 1 and race 2 together: every single flip of (0, 0) keeps class 0, the joint one does not.
        Rule f = new Rule(x -> x[2] == 1 && x[3] == 2 ? 1 : 0);
        LabelledData d = data(new float[] {0, 0, 0, 0}, new float[] {0, 0, 0, 1});
        assertEquals(0.0, FairnessFlips.of(List.of(SEX, RACE), F).unfairness(d, f));
        assertEquals(1.0, FairnessFlips.joint(List.of(SEX, RACE), F).unfairness(d, f));
        LabelledData r = random(200, 13);
        Rule biased = new Rule(FairnessFlipsTest::biasedRule);
        double single = FairnessFlips.of(List.of(SEX, RACE), F).unfairness(r, biased);
        FairnessFlips.Evaluation e = FairnessFlips.joint(List.of(SEX, RACE), F).withRowsPerCall(64).evaluate(r, biased);
        for (int i = 0; i < r.size(); i++) {
            assertEquals(FairnessFlips.joint(List.of(SEX, RACE), F).count(r.sample(i)), e.flipped()[i].length);
        }
        assertTrue(e.unfairnessRate() >= single, "joint flips include the single ones");
        assertThrows(IllegalArgumentException.class, () -> FairnessFlips.joint(List.of(), F));
    }

    @Test
    void unfairnessAgreesWithBruteForceAndBatchesTheFlips() {
        LabelledData d = random(300, 11);
        Rule f = new Rule(FairnessFlipsTest::biasedRule);
        FairnessFlips flips = FairnessFlips.of(List.of(SEX, RACE), F).withRowsPerCall(256);
        FairnessFlips.Evaluation e = flips.evaluate(d, f);
        // 300 samples × 3 flips = 900 rows; 85 whole samples (255 rows) per call → 4 calls + 1 for f(x).
        assertEquals(1 + 4, f.calls.get());
        assertTrue(f.maxRows <= 300);
        int[] original = new int[d.size()];
        int[][] flipped = new int[d.size()][];
        for (int i = 0; i < d.size(); i++) {
            float[] x = d.sample(i);
            original[i] = biasedRule(x);
            List<Integer> p = new ArrayList<>();
            for (float s : new float[] {0, 1}) {
                if (s != x[2]) {
                    float[] y = x.clone();
                    y[2] = s;
                    p.add(biasedRule(y));
                }
            }
            for (float r : new float[] {0, 1, 2}) {
                if (r != x[3]) {
                    float[] y = x.clone();
                    y[3] = r;
                    p.add(biasedRule(y));
                }
            }
            flipped[i] = p.stream().mapToInt(Integer::intValue).toArray();
        }
        assertArrayEquals(original, e.original());
        assertArrayEquals(flipped, e.flipped());
        double uf = Metrics.unfairnessRate(original, flipped);
        assertTrue(uf > 0.2 && uf < 0.9, "uf " + uf);
        assertEquals(uf, e.unfairnessRate(), 1e-12);
        assertEquals(uf, flips.unfairness(d, f), 1e-12);

        // The builder counts the same divergences, per attribute too.
        FairnessDebuggingSetBuilder.Result r = FairnessDebuggingSetBuilder.builder()
                .setPredictor(f, LAYOUT).setAttributes(List.of(SEX, RACE)).setData(d).buildWithDetails();
        int divergent = 0;
        int divergentSex = 0;
        for (int i = 0; i < d.size(); i++) {
            for (int k = 0; k < flipped[i].length; k++) {
                if (flipped[i][k] != original[i]) {
                    divergent++;
                    divergentSex += k == 0 ? 1 : 0;
                }
            }
            assertEquals(!e.divergent(i), r.clean()[i]);
        }
        var prov = r.set().provenance();
        assertEquals(Integer.toString(divergent), prov.get("divergentFlips"));
        assertEquals(Integer.toString(divergentSex), prov.get("attribute.sex.divergent"));
        assertEquals(Integer.toString(divergent - divergentSex), prov.get("attribute.race.divergent"));
        assertEquals("900", prov.get("flips"));
        assertEquals(Integer.toString((int) Math.round(uf * d.size())), prov.get("divergentSamples"));
        assertEquals(uf, Double.parseDouble(prov.get("unfairnessRate")), 1e-12);
        // Pairs label the flipped attribute's column; x^ shares every protected value with x'.
        assertEquals(divergent - Integer.parseInt(prov.get("skippedNoClean")), r.set().pairs().size());
        for (int k = 0; k < r.set().pairs().size(); k++) {
            DebuggingSet.Pair p = r.set().pairs().get(k);
            FairnessDebuggingSetBuilder.Divergence o = r.pairOrigins().get(k);
            assertArrayEquals((o.attribute() == 0 ? SEX : RACE).columnMask(5), p.columns());
            assertEquals(p.anomalous()[2], p.clean()[2]);
            assertEquals(p.anomalous()[3], p.clean()[3]);
            assertFalse(e.divergent(o.cleanSample()));
        }
    }

    @Test
    void aPredictorThatIgnoresProtectedAttributesGivesNoPairs() {
        LabelledData d = random(200, 5);
        Rule f = new Rule(x -> x[0] > 0 ? 1 : 0);
        DebuggingSet set = FairnessDebuggingSetBuilder.of(f, LAYOUT, d)
                .setAttributes(List.of(SEX, RACE)).optCleanOnly(64).build();
        assertTrue(set.isEmpty());
        assertEquals(64, set.cleanOnly().size());
        assertEquals("0", set.provenance().get("divergentFlips"));
        assertEquals("200", set.provenance().get("cleanSamples"));
        assertEquals(0.0, FairnessFlips.of(List.of(SEX, RACE), F).unfairness(d, f));
    }

    @Test
    void skipsDivergentFlipsWithoutACleanSampleOfTheSameProtectedValues() {
        // f = 1 iff sex = 1 and x1 > 0. A, B (sex 0, x1 > 0) diverge to sex 1, for which no sample is
        // clean; C (sex 1) diverges to sex 0 and pairs with D, the only clean sample.
        LabelledData d = data(
                new float[] {1, 0, 0, 0},
                new float[] {2, 0, 0, 0},
                new float[] {1, 0, 1, 0},
                new float[] {-1, 0, 0, 0});
        FairnessDebuggingSetBuilder.Result r = FairnessDebuggingSetBuilder.builder()
                .setPredictor(new Rule(x -> x[2] == 1 && x[0] > 0 ? 1 : 0), LAYOUT)
                .setAttributes(List.of(SEX))
                .setData(d).buildWithDetails();
        var prov = r.set().provenance();
        assertEquals("3", prov.get("divergentFlips"));
        assertEquals("1", prov.get("cleanSamples"));
        assertEquals("2", prov.get("skippedNoClean"));
        assertEquals("2", prov.get("attribute.sex.skippedNoClean"));
        assertEquals("1", prov.get("pairs"));
        assertEquals("0", prov.get("cleanOnly"), "D is already x^ of a pair");
        assertEquals(1, r.set().pairs().size());
        assertArrayEquals(new float[] {1, 0, 0, 0}, r.set().pairs().get(0).anomalous());
        assertArrayEquals(new float[] {-1, 0, 0, 0}, r.set().pairs().get(0).clean());
        assertEquals(3, r.divergences().size());
        assertEquals(-1, r.divergences().get(0).cleanSample());
        assertEquals(3, r.divergences().get(2).cleanSample());
        assertEquals(1, r.divergences().get(2).hamming());
    }

    @Test
    void pairsWithTheNearestCleanSampleBreakingTiesByL1ThenIndex() {
        // f = 1 iff sex = 1 and x1 > 0: C = (1, 0, 1, 0) diverges to x' = (1, 0, 0, 0). Clean with sex 0:
        // the x1 <= 0 rows. D1 Hamming 2; D2, D3, D4 Hamming 1 with L1 3, 2, 2: D3 (lower index than D4).
        LabelledData d = data(
                new float[] {1, 0, 1, 0},
                new float[] {-1, 3, 0, 0},
                new float[] {-2, 0, 0, 0},
                new float[] {-1, 0, 0, 0},
                new float[] {-1, 0, 0, 0},
                new float[] {1, 0, 0, 1}, // Hamming 1 but sex 0 with x1 > 0 diverges: not clean
                new float[] {-1, 0, 1, 0}); // clean but sex 1
        FairnessDebuggingSetBuilder.Result r = FairnessDebuggingSetBuilder.builder()
                .setPredictor(new Rule(x -> x[2] == 1 && x[0] > 0 ? 1 : 0), LAYOUT)
                .setAttributes(List.of(SEX))
                .setData(d).buildWithDetails();
        FairnessDebuggingSetBuilder.Divergence c = r.divergences().get(0);
        assertEquals(0, c.sample());
        assertEquals(3, c.cleanSample());
        assertEquals(1, c.hamming());
        assertFalse(r.clean()[5]);
        assertTrue(r.clean()[6]);
        // Row 5 diverges too (sex 0 → 1); its x' = (1, 0, 1, 1) pairs with the sex-1 clean row 6.
        assertEquals(6, r.divergences().get(1).cleanSample());
    }

    @Test
    void maxPairsKeepsASeededChoiceInDataOrder() {
        LabelledData d = random(300, 13);
        Rule f = new Rule(FairnessFlipsTest::biasedRule);
        FairnessDebuggingSetBuilder b = FairnessDebuggingSetBuilder.builder()
                .setPredictor(f, LAYOUT).setAttributes(List.of(SEX, RACE)).optMaxPairs(20).optCleanOnly(0).optSeed(9);
        FairnessDebuggingSetBuilder.Result one = b.setData(d).buildWithDetails();
        FairnessDebuggingSetBuilder.Result two = b.setData(d).buildWithDetails();
        assertEquals(20, one.set().pairs().size());
        assertEquals(0, one.set().cleanOnly().size());
        assertEquals(one.pairOrigins(), two.pairOrigins());
        int all = Integer.parseInt(one.set().provenance().get("divergentFlips"))
                - Integer.parseInt(one.set().provenance().get("skippedNoClean"));
        assertEquals(Integer.toString(all - 20), one.set().provenance().get("droppedByMaxPairs"));
        for (int k = 1; k < 20; k++) {
            var prev = one.pairOrigins().get(k - 1);
            var cur = one.pairOrigins().get(k);
            assertTrue(prev.sample() < cur.sample() || (prev.sample() == cur.sample() && prev.attribute() <= cur.attribute()));
        }
    }

    @Test
    void maxPairsPerAttributeBalancesTheAttributes() {
        LabelledData d = random(300, 13);
        Rule f = new Rule(FairnessFlipsTest::biasedRule);
        FairnessDebuggingSetBuilder b = FairnessDebuggingSetBuilder.builder().setPredictor(f, LAYOUT).setData(d)
                .setAttributes(List.of(SEX, RACE)).optCleanOnly(0).optSeed(9);
        FairnessDebuggingSetBuilder.Result all = b.buildWithDetails();
        long sexAll = Long.parseLong(all.set().provenance().get("attribute.sex.pairs"));
        long raceAll = Long.parseLong(all.set().provenance().get("attribute.race.pairs"));
        int cap = (int) Math.min(sexAll, raceAll) / 2;
        assertTrue(cap > 0, "both attributes should give pairs: sex " + sexAll + ", race " + raceAll);
        FairnessDebuggingSetBuilder.Result balanced = b.optMaxPairsPerAttribute(cap).buildWithDetails();
        assertEquals(Integer.toString(cap), balanced.set().provenance().get("attribute.sex.pairs"));
        assertEquals(Integer.toString(cap), balanced.set().provenance().get("attribute.race.pairs"));
        assertEquals(2 * cap, balanced.set().pairs().size());
        assertEquals(Long.toString(sexAll + raceAll - 2 * cap), balanced.set().provenance().get("droppedByMaxPairs"));
        for (int k = 1; k < balanced.pairOrigins().size(); k++) {
            assertTrue(balanced.pairOrigins().get(k - 1).sample() <= balanced.pairOrigins().get(k).sample(), "data order");
        }
        FairnessDebuggingSetBuilder.Result bounded = b.optMaxPairs(cap).buildWithDetails();
        assertEquals(cap, bounded.set().pairs().size());
        assertThrows(IllegalArgumentException.class, () -> FairnessDebuggingSetBuilder.builder().optMaxPairsPerAttribute(-1));
    }

    @Test
    void jointFlipsInTheDebuggingSetLabelEveryChangedAttribute() {
        // Class 1 only for x2 = 0 with sex 1 and race 2 together: sample 0 (x2 0, sex 0, race 1) diverges under
        // the joint flip alone; sample 1 (x2 1, sex 1, race 2) is clean and is its partner.
        Rule f = new Rule(x -> x[1] == 0 && x[2] == 1 && x[3] == 2 ? 1 : 0);
        LabelledData d = data(new float[] {0, 0, 0, 1}, new float[] {0, 1, 1, 2}, new float[] {1, 1, 0, 0});
        FairnessDebuggingSetBuilder b = FairnessDebuggingSetBuilder.builder().setPredictor(f, LAYOUT).setData(d)
                .setAttributes(List.of(SEX, RACE)).optCleanOnly(0);
        FairnessDebuggingSetBuilder.Result single = b.buildWithDetails();
        assertTrue(single.clean()[0], "no single flip moves sample 0");
        assertEquals(0, single.set().pairs().size());
        FairnessDebuggingSetBuilder.Result joint = b.optJointFlips(true).buildWithDetails();
        assertFalse(joint.clean()[0], "the joint flip moves sample 0");
        assertEquals(1, joint.set().pairs().size());
        FairnessDebuggingSetBuilder.Divergence j = joint.pairOrigins().get(0);
        assertEquals(0, j.sample());
        assertEquals(FairnessFlips.JOINT, j.attribute());
        assertTrue(Float.isNaN(j.from()));
        assertEquals(1, j.cleanSample());
        boolean[] both = SEX.columnMask(5);
        both[RACE.columns()[0]] = true;
        assertArrayEquals(both, joint.set().pairs().get(0).columns());
        assertArrayEquals(new float[] {0, 0, 1, 2}, joint.set().pairs().get(0).anomalous());
        assertEquals("1", joint.set().provenance().get("joint.pairs"));
        assertTrue(joint.set().provenance().get("method").contains("jointly"));
    }

    @Test
    void rejectsBadAttributeDefinitions() {
        float[] two = {0f, 1f};
        assertThrows(IllegalArgumentException.class, () -> new ProtectedAttribute("sex", 2, new float[] {0f}, new int[] {3}));
        assertThrows(IllegalArgumentException.class, () -> new ProtectedAttribute("sex", 2, new float[] {1f, 1f}, new int[] {3}));
        assertThrows(IllegalArgumentException.class, () -> new ProtectedAttribute("sex", 2, new float[] {0f, Float.NaN}, new int[] {3}));
        assertThrows(IllegalArgumentException.class, () -> new ProtectedAttribute("sex", -1, two, new int[] {3}));
        assertThrows(IllegalArgumentException.class, () -> new ProtectedAttribute("sex", 2, two, new int[0]));
        assertThrows(IllegalArgumentException.class, () -> new ProtectedAttribute("sex", 2, two, new int[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> new ProtectedAttribute("sex", 2, two, new int[] {3, 3}));
        assertThrows(IllegalArgumentException.class, () -> new ProtectedAttribute(" ", 2, two, new int[] {3}));
        assertThrows(IllegalArgumentException.class, () -> ProtectedAttribute.codes(1));
        // Columns: the CLS token, outside the layout, an unknown feature.
        assertMessage("special token", () -> ProtectedAttribute.of((TokenLayout) LAYOUT, "sex", 2, two, 0));
        assertMessage("outside [0, 5)", () -> ProtectedAttribute.of((TokenLayout) LAYOUT, "sex", 2, two, 5));
        assertThrows(IllegalArgumentException.class, () -> ProtectedAttribute.of(LAYOUT, "gender", 2, two));
        // A multi-token attribute is fine; copies protect the record.
        ProtectedAttribute multi = ProtectedAttribute.of((TokenLayout) LAYOUT, "pair", 1, two, 1, 2);
        assertArrayEquals(new boolean[] {false, true, true, false, false}, multi.columnMask(5));
        multi.values()[0] = 9f;
        multi.columns()[0] = 4;
        assertEquals(new ProtectedAttribute("pair", 1, two, new int[] {1, 2}), multi);

        // Against the data and the model: index outside the sample, column outside N, duplicates.
        LabelledData d = random(10, 1);
        Rule f = new Rule(x -> 0);
        ProtectedAttribute far = new ProtectedAttribute("far", 4, two, new int[] {4});
        assertMessage("input index 4", () -> FairnessDebuggingSetBuilder.builder().setPredictor(f, LAYOUT)
                .setAttributes(List.of(far)).setData(d).build());
        ProtectedAttribute wide = new ProtectedAttribute("wide", 2, two, new int[] {7});
        assertMessage("outside [0, 5)", () -> FairnessDebuggingSetBuilder.builder().setPredictor(f, LAYOUT)
                .setAttributes(List.of(wide)).setData(d).build());
        ProtectedAttribute cls = new ProtectedAttribute("cls", 2, two, new int[] {0});
        assertMessage("special token", () -> FairnessDebuggingSetBuilder.builder().setPredictor(f, LAYOUT)
                .setAttributes(List.of(cls)).setData(d).build());
        ProtectedAttribute sexAgain = new ProtectedAttribute("gender", 2, two, new int[] {3});
        assertMessage("input index 2", () -> FairnessFlips.of(List.of(SEX, sexAgain), F));
        assertMessage("listed twice", () -> FairnessFlips.of(List.of(SEX, SEX), F));
        assertThrows(IllegalArgumentException.class, () -> FairnessFlips.of(List.of(), F));
        // Builder misuse.
        assertMessage("setModel or setPredictor", () -> FairnessDebuggingSetBuilder.builder()
                .setAttributes(List.of(SEX)).setData(d).build());
        assertMessage("at least one protected attribute", () -> FairnessDebuggingSetBuilder.builder()
                .setPredictor(f, LAYOUT).setData(d).build());
        assertMessage("no samples", () -> FairnessDebuggingSetBuilder.builder().setPredictor(f, LAYOUT)
                .setAttributes(List.of(SEX)).setData(new LabelledData(new float[0], new int[0], new Shape(F))).build());
        assertMessage("setData", () -> FairnessDebuggingSetBuilder.builder().setPredictor(f, LAYOUT)
                .setAttributes(List.of(SEX)).build());
        assertThrows(IllegalArgumentException.class, () -> FairnessDebuggingSetBuilder.builder().optMaxPairs(-1));
        assertThrows(IllegalArgumentException.class, () -> FairnessDebuggingSetBuilder.builder().optCleanOnly(-1));
        assertThrows(IllegalArgumentException.class, () -> FairnessDebuggingSetBuilder.builder().optBatchSize(0));
        // A predictor that answers with the wrong count.
        assertMessage("returned 1 predictions", () -> FairnessFlips.of(List.of(SEX), F)
                .evaluate(d, data -> new int[1]));
        assertMessage("expected 4", () -> FairnessFlips.of(List.of(SEX), F).flipsOf(new float[3]));
    }

    private static void assertMessage(String part, Executable e) {
        RuntimeException ex = assertThrows(RuntimeException.class, e);
        assertTrue(ex.getMessage().contains(part), "message '" + ex.getMessage() + "' should contain '" + part + "'");
    }
}
