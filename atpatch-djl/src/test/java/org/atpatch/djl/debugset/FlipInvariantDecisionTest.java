package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.atpatch.core.BenignStatistics;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.PatchMode;
import org.atpatch.djl.PatchReport;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.model.FTTransformer;
import org.atpatch.djl.patch.PatchRules;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The flip-invariant decision on a randomly initialised FT-Transformer with two protected attributes
 * (sex, 2 codes; race, 3 codes) and a detector that reads the maps (each column's attention mass),
 * with τ at the median sample score so that about half the inputs are flagged. The per-input decision
 * is shown to move under flips (so the check can fail); the invariant one must not move under any
 * single or joint flip, and its patched predictions must not move either.
 */
class FlipInvariantDecisionTest {

    static {
        DjlOffline.configure();
    }

    /** Input order: x1 (numeric), sex, race, grp; tokens: CLS, x1, sex, race, grp. */
    private static final int F = 4;
    private static final int N = 5;
    private static final int DEPTH = 2;
    private static final int HEADS = 2;
    private static final int WIDTH = 16;
    private static final int B = 48;

    private static Model model;
    private static NDManager manager;
    private static BenignStatistics benign;
    private static ProtectedAttribute sex;
    private static ProtectedAttribute race;
    private static FlipInvariantDecision decision;
    private static float[] x;
    private static double tau;

    /** Each column's attention mass (mean over query rows of the head-averaged map). */
    private static final ColumnDetector MASS = (maps, layer) -> maps.mean(new int[] {1});

    @BeforeAll
    static void setUp() {
        Engine.getInstance().setRandomSeed(11);
        model = Model.newInstance("flip-invariant");
        FTTransformer ft = FTTransformer.builder().addNumericFeature("x1").addCategoricalFeature("sex", 2)
                .addCategoricalFeature("race", 3).addCategoricalFeature("grp", 3)
                .setDepth(DEPTH).setWidth(WIDTH).setHeads(HEADS).setClasses(2).build();
        model.setBlock(ft);
        ft.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, F));
        manager = model.getNDManager().newSubManager();
        sex = ProtectedAttribute.of(ft, "sex", ProtectedAttribute.codes(2));
        race = ProtectedAttribute.of(ft, "race", ProtectedAttribute.codes(3));
        decision = FlipInvariantDecision.of(List.of(sex, race), F, N);
        x = rows(B, 3);
        benign = BenignStatistics.empty(DEPTH, HEADS, N, WIDTH);
        AttentionRecorder.record(model, manager.create(rows(64, 5), new Shape(64, F)), true).accumulateInto(benign);
        tau = medianScore();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
        model.close();
    }

    private static float[] rows(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n * F];
        for (int i = 0; i < n; i++) {
            v[i * F] = (float) r.nextGaussian();
            v[i * F + 1] = r.nextInt(2);
            v[i * F + 2] = r.nextInt(3);
            v[i * F + 3] = r.nextInt(3);
        }
        return v;
    }

    /** The median over the samples of x of their highest flaggable score at any layer. */
    private static double medianScore() {
        try (PatchedModel all = patched(1e-6)) {
            PatchResult r = all.predictWithReport(manager.create(x, new Shape(B, F)));
            double[] best = new double[B];
            for (int i = 0; i < B; i++) {
                for (var lf : r.reports().get(i).flags().layers()) {
                    for (float p : lf.probabilities()) {
                        best[i] = Math.max(best[i], p);
                    }
                }
            }
            Arrays.sort(best);
            return (best[B / 2 - 1] + best[B / 2]) / 2;
        }
    }

    private static PatchedModel patched(double t) {
        return PatchedModel.builder().setModel(model).setDetector(MASS).setBenignStatistics(benign).optTau(t)
                .optPatchRule(PatchRules.tokenStateAtFirstLayer()).build();
    }

    /** x with every sample's attributes set to the given values (null keeps a sample's own). */
    private static float[] set(Float sexValue, Float raceValue) {
        float[] out = x.clone();
        for (int i = 0; i < B; i++) {
            if (sexValue != null) {
                out[i * F + sex.index()] = sexValue;
            }
            if (raceValue != null) {
                out[i * F + race.index()] = raceValue;
            }
        }
        return out;
    }

    /** Every single and joint assignment of the protected values to the whole batch. */
    private static List<float[]> flips() {
        List<float[]> out = new ArrayList<>();
        for (float s : sex.values()) {
            out.add(set(s, null));
        }
        for (float r : race.values()) {
            out.add(set(null, r));
            for (float s : sex.values()) {
                out.add(set(s, r));
            }
        }
        return out;
    }

    private static float[] unpatched(float[] in) {
        try (NDManager sub = manager.newSubManager()) {
            return model.getBlock().forward(new ParameterStore(sub, false), new NDList(sub.create(in, new Shape(B, F))), false)
                    .singletonOrThrow().toFloatArray();
        }
    }

    private record Outcome(boolean[] patched, List<PatchReport> reports, float[] logits) {}

    private static Outcome run(PatchedModel pm, float[] in, boolean invariant) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray batch = sub.create(in, new Shape(B, F));
            PatchResult r = invariant ? pm.predictWithReport(batch, decision) : pm.predictWithReport(batch);
            boolean[] p = new boolean[B];
            for (int i = 0; i < B; i++) {
                p[i] = r.reports().get(i).patched();
            }
            return new Outcome(p, r.reports(), r.logits().toFloatArray());
        }
    }

    @Test
    void thePerInputDecisionMovesUnderAFlip() {
        try (PatchedModel pm = patched(tau)) {
            Outcome base = run(pm, x, false);
            int patched = count(base.patched());
            assertTrue(patched > 0 && patched < B, "τ at the median should flag some samples, flagged " + patched);
            boolean moved = flips().stream().anyMatch(f -> !Arrays.equals(base.patched(), run(pm, f, false).patched()));
            assertTrue(moved, "the map-reading detector should change some sample's decision under a flip");
        }
    }

    @Test
    void theInvariantDecisionDoesNotMoveUnderAnySingleOrJointFlip() {
        try (PatchedModel pm = patched(tau)) {
            Outcome base = run(pm, x, true);
            int patched = count(base.patched());
            assertTrue(patched > 0 && patched < B, "the invariant decision should flag some samples, flagged " + patched);
            float[] plainBase = unpatched(x);
            for (float[] f : flips()) {
                Outcome o = run(pm, f, true);
                assertArrayEquals(base.patched(), o.patched(), "which samples are patched moved under a flip");
                assertEquals(base.reports(), o.reports(), "the flags moved under a flip");
                float[] plain = unpatched(f);
                for (int i = 0; i < B; i++) {
                    float[] row = Arrays.copyOfRange(o.logits(), 2 * i, 2 * i + 2);
                    if (o.patched()[i]) {
                        // The whole group is replaced by its clean token states: the flip cannot reach the prediction.
                        assertArrayEquals(Arrays.copyOfRange(base.logits(), 2 * i, 2 * i + 2), row, 1e-5f, "sample " + i);
                    } else {
                        assertArrayEquals(Arrays.copyOfRange(plain, 2 * i, 2 * i + 2), row, 0f, "sample " + i
                                + " is not patched and must get the unpatched output bit for bit");
                    }
                }
            }
            assertFalse(Arrays.equals(plainBase, base.logits()), "some patched sample should change");
        }
    }

    @Test
    void nothingFlaggedIsBitwiseUnpatched() {
        try (PatchedModel pm = patched(0.999)) {
            Outcome o = run(pm, x, true);
            assertEquals(0, count(o.patched()));
            assertArrayEquals(unpatched(x), o.logits(), 0f);
        }
    }

    @Test
    void theCanonicalViewChangesOnlyTheProtectedValues() {
        try (NDManager sub = manager.newSubManager()) {
            float[] view = decision.decisionInput(sub.create(x, new Shape(B, F))).toFloatArray();
            for (int i = 0; i < B; i++) {
                float[] expected = decision.canonical(Arrays.copyOfRange(x, i * F, (i + 1) * F));
                assertArrayEquals(expected, Arrays.copyOfRange(view, i * F, (i + 1) * F), 0f);
                assertEquals(0f, expected[sex.index()]);
                assertEquals(0f, expected[race.index()]);
                assertEquals(x[i * F], expected[0], 0f);
                assertEquals(x[i * F + 3], expected[3], 0f);
            }
        }
    }

    @Test
    void aFlaggedRowPatchesTheWholeGroupAndAnEmptyRowStaysEmpty() {
        try (NDManager sub = manager.newSubManager()) {
            boolean[] flagged = {
                false, true, false, false, false, // x1 flagged
                false, false, false, true, false, // race flagged
                false, false, false, false, false, // nothing
            };
            boolean[] out = decision.patchColumns(sub.create(flagged, new Shape(3, N))).toBooleanArray();
            assertArrayEquals(new boolean[] {
                false, true, true, true, false,
                false, false, true, true, false,
                false, false, false, false, false,
            }, out);
        }
    }

    @Test
    void canonicalisesEveryInputOfADebuggingSet() {
        boolean[] raceColumn = race.columnMask(N);
        DebuggingSet set = DebuggingSet.builder(DebuggingSet.Kind.FAIRNESS, new Shape(F), N)
                .addPair(new float[] {0.5f, 1, 2, 1}, new float[] {0.5f, 1, 1, 1}, raceColumn)
                .addClean(new float[] {-1f, 1, 0, 2}).optProvenance("source", "test").build();
        DebuggingSet c = decision.canonicalise(set);
        assertArrayEquals(new float[] {0.5f, 0, 0, 1}, c.pairs().get(0).clean(), 0f);
        assertArrayEquals(new float[] {0.5f, 0, 0, 1}, c.pairs().get(0).anomalous(), 0f);
        assertArrayEquals(raceColumn, c.pairs().get(0).columns());
        assertArrayEquals(new float[] {-1f, 0, 0, 2}, c.cleanOnly().get(0), 0f);
        assertEquals("test", c.provenance().get("source"));
    }

    @Test
    void refusesWhatItCannotServe() {
        assertThrows(IllegalArgumentException.class, () -> FlipInvariantDecision.of(List.of(sex, race), F, 3));
        assertThrows(IllegalArgumentException.class, () -> FlipInvariantDecision.of(List.of(sex, sex), F, N));
        assertThrows(IllegalArgumentException.class, () -> decision.canonical(new float[F + 1]));
        try (NDManager sub = manager.newSubManager();
                PatchedModel streaming = PatchedModel.builder().setModel(model).setDetector(MASS).setBenignStatistics(benign)
                        .optTau(tau).optMode(PatchMode.STREAMING).optPatchRule(PatchRules.gamma()).build()) {
            assertThrows(IllegalArgumentException.class, () -> decision.decisionInput(sub.zeros(new Shape(2, F + 1))));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> streaming.predict(sub.create(x, new Shape(B, F)), decision));
            assertTrue(e.getMessage().contains("two-pass"), e.getMessage());
        }
    }

    private static int count(boolean[] b) {
        int n = 0;
        for (boolean v : b) {
            n += v ? 1 : 0;
        }
        return n;
    }
}
