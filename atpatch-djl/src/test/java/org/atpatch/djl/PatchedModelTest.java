package org.atpatch.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.atpatch.core.BenignStatistics;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.djl.interception.AttentionInterceptor;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.interception.Interception;
import org.atpatch.djl.patch.BenignOnDevice;
import org.atpatch.djl.patch.PatchRule;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PatchedModelTest {

    private static Model model;
    private static NDManager manager;
    private static BenignStatistics benign;

    @BeforeAll
    static void setUp() {
        model = Fixtures.vitModel();
        manager = model.getNDManager().newSubManager();
        benign = Fixtures.benign(model, manager);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
        model.close();
    }

    private static float[] unpatched(NDArray x) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray copy = x.duplicate();
            copy.attach(sub);
            return model.getBlock().forward(new ParameterStore(sub, false), new NDList(copy), false)
                    .singletonOrThrow().toFloatArray();
        }
    }

    /** What a patched forward of exactly these samples with these columns gives. */
    private static float[] patchedDirectly(NDArray x, boolean[][] columns, PatchRule rule) {
        try (NDManager sub = manager.newSubManager();
                BenignOnDevice onDevice = new BenignOnDevice(benign, manager, manager.getDevice())) {
            NDArray copy = x.duplicate();
            copy.attach(sub);
            boolean[] flat = new boolean[columns.length * Fixtures.N];
            for (int s = 0; s < columns.length; s++) {
                System.arraycopy(columns[s], 0, flat, s * Fixtures.N, Fixtures.N);
            }
            NDArray mask = sub.create(flat, new Shape(columns.length, Fixtures.N));
            AttentionInterceptor patch = new AttentionInterceptor() {
                @Override
                public NDArray onTokenStates(int layer, NDArray states) {
                    return rule.patchTokenStates(layer, states, mask, onDevice);
                }

                @Override
                public NDArray onAttention(int layer, NDArray probs) {
                    return rule.patchAttention(layer, probs, mask, onDevice);
                }
            };
            try (Interception.Scope ignored = Interception.open(patch)) {
                return model.getBlock().forward(new ParameterStore(sub, false), new NDList(copy), false)
                        .singletonOrThrow().toFloatArray();
            }
        }
    }

    private static PatchedModel patched(int[][] columns, PatchRule rule, PatchMode mode) {
        return PatchedModel.builder()
                .setModel(model)
                .setDetector(Fixtures.scripted(columns))
                .setBenignStatistics(benign)
                .optPatchRule(rule)
                .optMode(mode)
                .build();
    }

    /** Arrays one unpatched forward of {@code x} leaves in its manager: a lower bound on what pass 1 makes. */
    private static int arraysOfOneForward(NDArray x) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray copy = x.duplicate();
            copy.attach(sub);
            model.getBlock().forward(new ParameterStore(sub, false), new NDList(copy), false);
            return sub.getManagedArrays().size();
        }
    }

    private static float[] row(float[] logits, int i) {
        return java.util.Arrays.copyOfRange(logits, i * Fixtures.CLASSES, (i + 1) * Fixtures.CLASSES);
    }

    @Test
    void nothingFlaggedIsBitwiseUnpatched() {
        NDArray x = Fixtures.images(manager, 6, 1);
        int[][] none = new int[6][0];
        for (PatchMode mode : PatchMode.values()) {
            try (PatchedModel pm = patched(none, PatchRules.gamma(), mode)) {
                PatchResult r = pm.predictWithReport(x);
                assertArrayEquals(unpatched(x), r.logits().toFloatArray(), 0f, mode.name());
                assertTrue(r.reports().stream().noneMatch(PatchReport::patched));
                assertTrue(r.reports().stream().allMatch(p -> p.flags().isEmpty()));
            }
        }
    }

    @Test
    void aProbabilityAtTauDoesNotFlagAndOneAboveDoesInBothModes() {
        // Sample 0: a column exactly at τ; sample 1: one float above τ; sample 2: CLS (never flaggable)
        // far above τ; sample 3: nothing. Only sample 1 may be patched, whichever way the flags are read.
        double tau = 0.3;
        float at = (float) tau;
        ColumnDetector detector = (maps, layer) -> {
            long b = maps.getShape().get(0);
            float[] p = new float[(int) (b * Fixtures.N)];
            p[3] = at;
            p[Fixtures.N + 4] = Math.nextUp(at);
            p[2 * Fixtures.N] = 0.99f;
            return maps.getManager().create(p, new Shape(b, Fixtures.N));
        };
        NDArray x = Fixtures.images(manager, 4, 3);
        float[] plain = unpatched(x);
        for (PatchMode mode : PatchMode.values()) {
            try (PatchedModel pm = PatchedModel.builder().setModel(model).setDetector(detector).setBenignStatistics(benign)
                    .optTau(tau).optPatchRule(PatchRules.gamma()).optMode(mode).build()) {
                PatchResult r = pm.predictWithReport(x);
                float[] out = r.logits().toFloatArray();
                for (int i : new int[] {0, 2, 3}) {
                    assertFalse(r.reports().get(i).patched(), mode + " sample " + i);
                    assertArrayEquals(row(plain, i), row(out, i), 0f, mode + " sample " + i);
                }
                assertTrue(r.reports().get(1).patched(), mode.name());
                assertArrayEquals(new int[] {4}, r.reports().get(1).flags().union(), mode.name());
                assertFalse(java.util.Arrays.equals(row(plain, 1), row(out, 1)), mode + ": sample 1 must change");
                assertArrayEquals(r.logits().toFloatArray(), pm.predict(x).toFloatArray(), 0f,
                        mode + ": predict reads the flags as predictWithReport does");
            }
        }
    }

    @Test
    void mixedBatchPatchesOnlyTheFlaggedSamples() {
        NDArray x = Fixtures.images(manager, 5, 2);
        int[][] columns = {{}, {3}, {}, {5, 6, 9}, {}};
        float[] plain = unpatched(x);
        for (PatchRule rule : List.of(PatchRules.gamma(), PatchRules.tokenStateAtFirstLayer(), PatchRules.tokenStateAndGamma())) {
            try (PatchedModel pm = patched(columns, rule, PatchMode.TWO_PASS)) {
                PatchResult r = pm.predictWithReport(x);
                float[] out = r.logits().toFloatArray();
                NDArray flaggedInputs = x.get(new ai.djl.ndarray.index.NDIndex("{}", manager.create(new long[] {1, 3})));
                boolean[][] masks = new boolean[2][Fixtures.N];
                masks[0][3] = true;
                masks[1][5] = masks[1][6] = masks[1][9] = true;
                float[] rerun = patchedDirectly(flaggedInputs, masks, rule);
                for (int i : new int[] {0, 2, 4}) {
                    assertArrayEquals(row(plain, i), row(out, i), 0f, rule.name() + " sample " + i);
                    assertFalse(r.reports().get(i).patched());
                }
                assertArrayEquals(row(rerun, 0), row(out, 1), 1e-5f, rule.name());
                assertArrayEquals(row(rerun, 1), row(out, 3), 1e-5f, rule.name());
                assertFalse(java.util.Arrays.equals(row(plain, 1), row(out, 1)), "sample 1 must change");
                assertTrue(r.reports().get(3).patched());
                assertArrayEquals(new int[] {5, 6, 9}, r.reports().get(3).flags().union());
                assertEquals(Fixtures.DEPTH, r.reports().get(3).flags().layers().size());
            }
        }
    }

    @Test
    void mapsKeptByAModelWideInterceptorAreNotOverwritten() {
        NDArray x = Fixtures.images(manager, 2, 7);
        // Keeps layer 0's map and reads it when layer 1 runs, after the rule has had its turn on it.
        List<float[]> layer0SeenAtLayer1 = new java.util.ArrayList<>();
        AttentionInterceptor keeper = new AttentionInterceptor() {
            NDArray held;

            @Override
            public NDArray onAttention(int layer, NDArray probs) {
                if (layer == 0) {
                    held = probs;
                } else if (layer == 1) {
                    layer0SeenAtLayer1.add(held.toFloatArray());
                }
                return probs;
            }
        };
        // Γ, counting which of its two forms the patched model calls.
        PatchRule gamma = PatchRules.gamma();
        java.util.concurrent.atomic.AtomicInteger inPlaceCalls = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger copyCalls = new java.util.concurrent.atomic.AtomicInteger();
        PatchRule counted = new PatchRule() {
            @Override
            public String name() {
                return "gamma";
            }

            @Override
            public NDArray patchAttention(int layer, NDArray probs, NDArray flagged, BenignOnDevice benign) {
                copyCalls.incrementAndGet();
                return gamma.patchAttention(layer, probs, flagged, benign);
            }

            @Override
            public NDArray patchAttentionInPlace(int layer, NDArray probs, NDArray flagged, BenignOnDevice benign) {
                inPlaceCalls.incrementAndGet();
                return gamma.patchAttentionInPlace(layer, probs, flagged, benign);
            }
        };
        try (PatchedModel pm = patched(new int[][] {{4}, {4}}, counted, PatchMode.TWO_PASS)) {
            float[] inPlace = pm.predict(x).toFloatArray();
            assertEquals(Fixtures.DEPTH, inPlaceCalls.get(), "the patched model owns its maps: in place");
            assertEquals(0, copyCalls.get());
            Interception.setModelWide(model.getBlock(), keeper);
            float[] withKeeper;
            try {
                withKeeper = pm.predict(x).toFloatArray();
            } finally {
                Interception.setModelWide(model.getBlock(), null);
            }
            assertEquals(Fixtures.DEPTH, copyCalls.get(), "a model-wide interceptor may keep the maps: copies");
            assertEquals(Fixtures.DEPTH, inPlaceCalls.get());
            // Pass 1 and the re-run both computed the same layer-0 map; the re-run's Γ left it alone.
            assertEquals(2, layer0SeenAtLayer1.size());
            assertArrayEquals(layer0SeenAtLayer1.get(0), layer0SeenAtLayer1.get(1), 0f);
            assertArrayEquals(inPlace, withKeeper, 1e-6f);
        }
    }

    @Test
    void passOneIsFreedBeforeTheReRun() {
        NDArray x = Fixtures.images(manager, 3, 8);
        int oneForward = arraysOfOneForward(x);
        // Arrays the call holds when the re-run's first layer starts, in both the all-flagged and the
        // mixed batch (whose pass-1 logits are kept for the unflagged sample).
        for (int[][] columns : new int[][][] {{{4}, {5}, {6}}, {{4}, {}, {6}}}) {
            List<Integer> held = new java.util.ArrayList<>();
            PatchRule gamma = PatchRules.gamma();
            PatchRule watching = new PatchRule() {
                @Override
                public String name() {
                    return "gamma";
                }

                @Override
                public NDArray patchAttentionInPlace(int layer, NDArray probs, NDArray flagged, BenignOnDevice benign) {
                    if (layer == 0) {
                        held.add(probs.getManager().getManagedArrays().size());
                    }
                    return gamma.patchAttentionInPlace(layer, probs, flagged, benign);
                }
            };
            try (PatchedModel pm = patched(columns, watching, PatchMode.TWO_PASS)) {
                pm.predict(x).close();
            }
            assertEquals(1, held.size(), "one re-run");
            assertTrue(held.get(0) < oneForward / 2, "the re-run starts holding " + held.get(0)
                    + " arrays; one forward makes " + oneForward + ": pass 1 was not freed");
        }
    }

    @Test
    void passOnesForwardIsFreedBeforeTheDetectorRuns() {
        NDArray x = Fixtures.images(manager, 3, 9);
        int oneForward = arraysOfOneForward(x);
        // What the head means' manager holds when the detector is called: the head means, the logits
        // and the input, not the forward's per-head maps and hidden states.
        List<Integer> held = new java.util.ArrayList<>();
        ColumnDetector script = Fixtures.scripted(new int[][] {{4}, {}, {6}});
        ColumnDetector watching = new ColumnDetector() {
            @Override
            public NDArray detect(NDArray maps, int layer) {
                return script.detect(maps, layer);
            }

            @Override
            public NDArray detectAll(List<NDArray> headMeans) {
                held.add(headMeans.get(0).getManager().getManagedArrays().size());
                return ColumnDetector.super.detectAll(headMeans);
            }
        };
        try (PatchedModel pm = PatchedModel.builder().setModel(model).setDetector(watching).setBenignStatistics(benign)
                .optPatchRule(PatchRules.gamma()).build()) {
            float[] logits = pm.predict(x).toFloatArray();
            float[] plain = unpatched(x);
            assertArrayEquals(row(plain, 1), row(logits, 1), 0f, "the unflagged sample keeps pass 1's logits");
        }
        assertEquals(1, held.size());
        assertTrue(held.get(0) <= Fixtures.DEPTH + 2, "the head means' manager holds " + held.get(0)
                + " arrays when the detector starts; one forward makes " + oneForward + ": the forward was not freed");
    }

    @Test
    void clsIsNeverFlaggedByDefault() {
        NDArray x = Fixtures.images(manager, 2, 3);
        try (PatchedModel pm = patched(new int[][] {{0}, {0, 4}}, PatchRules.gamma(), PatchMode.TWO_PASS)) {
            PatchResult r = pm.predictWithReport(x);
            assertFalse(r.reports().get(0).patched());
            assertArrayEquals(new int[] {4}, r.reports().get(1).flags().union());
            assertArrayEquals(row(unpatched(x), 0), row(r.logits().toFloatArray(), 0), 0f);
        }
    }

    @Test
    void streamingPatchesFromTheFirstFlaggingLayer() {
        NDArray x = Fixtures.images(manager, 3, 4);
        try (PatchedModel pm = patched(new int[][] {{}, {2}, {}}, PatchRules.gamma(), PatchMode.STREAMING)) {
            PatchResult r = pm.predictWithReport(x);
            float[] plain = unpatched(x);
            float[] out = r.logits().toFloatArray();
            assertArrayEquals(row(plain, 0), row(out, 0), 0f);
            assertArrayEquals(row(plain, 2), row(out, 2), 0f);
            assertTrue(r.reports().get(1).patched());
            // Every layer flags, so streaming Γ equals Γ from layer 0.
            boolean[][] m = new boolean[1][Fixtures.N];
            m[0][2] = true;
            NDArray one = x.get("1:2");
            assertArrayEquals(patchedDirectly(one, m, PatchRules.gamma()), row(out, 1), 1e-5f);
        }
    }

    @Test
    void batchPredictMatchesPredict() {
        NDArray x = Fixtures.images(manager, 3, 5);
        try (PatchedModel pm = patched(new int[][] {{}, {7}, {}}, PatchRules.gamma(), PatchMode.TWO_PASS)) {
            float[] batch = pm.predict(x).toFloatArray();
            List<NDArray> singles = pm.batchPredict(List.of(x.get(0), x.get(1), x.get(2)));
            assertEquals(3, singles.size());
            for (int i = 0; i < 3; i++) {
                assertEquals(new Shape(Fixtures.CLASSES), singles.get(i).getShape());
                assertArrayEquals(row(batch, i), singles.get(i).toFloatArray(), 0f);
            }
        }
    }

    @Test
    void recorderReturnsEveryLayer() {
        NDArray x = Fixtures.images(manager, 4, 6);
        var trace = AttentionRecorder.record(model, x, true);
        assertEquals(Fixtures.DEPTH, trace.depth());
        for (int l = 0; l < Fixtures.DEPTH; l++) {
            assertArrayEquals(new long[] {4, Fixtures.HEADS, Fixtures.N, Fixtures.N}, trace.layer(l).maps().shape());
            assertArrayEquals(new long[] {4, Fixtures.N, Fixtures.WIDTH}, trace.tokenStates(l).orElseThrow().shape());
            assertEquals(4 * Fixtures.HEADS * Fixtures.N, trace.layer(l).maps().sumNumber().doubleValue(), 1e-3);
        }
    }
}
