package org.atpatch.djl.model;

import static org.atpatch.djl.model.TabTransformerTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import java.util.List;
import org.atpatch.core.BenignStatistics;
import org.atpatch.core.LayerAttention;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchMode;
import org.atpatch.djl.PatchReport;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.interception.AttentionCapture;
import org.atpatch.djl.interception.AttentionInterceptor;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.interception.InterceptableSelfAttention;
import org.atpatch.djl.interception.Interception;
import org.atpatch.djl.model.internal.ShiftedWindows;
import org.junit.jupiter.api.Test;

class SwinTransformerTest {

    static {
        org.atpatch.detector.DjlOffline.configure();
    }

    /** 16 × 16, patch 2 → 8 × 8 grid, window 4: stage 0 has 4 windows (shifted in layer 1), stage 1 one. */
    private static SwinTransformer swin() {
        return SwinTransformer.builder().setImageSize(16).setPatchSize(2).setWindowSize(4).setStageDepths(2, 2)
                .setWidth(8).setHeads(2).setClasses(3).build();
    }

    private static Model model(int seed) {
        Engine.getInstance().setRandomSeed(seed);
        Model model = Model.newInstance("swin");
        SwinTransformer s = swin();
        model.setBlock(s);
        s.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 16, 16));
        return model;
    }

    @Test
    void windowGeometry() {
        ShiftedWindows plain = new ShiftedWindows(4, 2, 0);
        assertEquals(4, plain.windows);
        assertArrayEquals(new int[] {0, 1, 4, 5}, plain.windowTokens()[0]);
        assertTrue(plain.mask == null);
        ShiftedWindows shifted = new ShiftedWindows(4, 2, 1);
        // Shifted up-left by one: window 0 starts at grid (1,1); the last window wraps to (3,3),(3,0),(0,3),(0,0).
        assertArrayEquals(new int[] {5, 6, 9, 10}, shifted.windowTokens()[0]);
        assertArrayEquals(new int[] {15, 12, 3, 0}, shifted.windowTokens()[3]);
        long[] sorted = shifted.partition.clone();
        Arrays.sort(sorted);
        for (int t = 0; t < 16; t++) {
            assertEquals(t, sorted[t], "the partition is a permutation");
            assertEquals(t, shifted.partition[(int) shifted.inverse[t]]);
        }
        // Window 0 holds one area: nothing masked. The wrapped window 3 masks every pair of its four areas.
        for (int i = 0; i < 16; i++) {
            assertEquals(0f, shifted.mask[i]);
        }
        int n = 4;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                assertEquals(i == j ? 0f : ShiftedWindows.MASKED, shifted.mask[(3 * n + i) * n + j], i + "," + j);
            }
        }
        // Relative positions: (0,0)->(1,1) and (0,1)->(1,2)... share an index; the table has (2w-1)² entries.
        assertEquals(plain.relativeIndex[0 * 4 + 3], new ShiftedWindows(4, 2, 0).relativeIndex[0 * 4 + 3]);
        assertEquals(Arrays.stream(plain.relativeIndex).max().getAsLong(), 8);
    }

    @Test
    void mapsArePerWindowAndMaskedAcrossTheShift() {
        try (Model model = model(3)) {
            SwinTransformer s = (SwinTransformer) model.getBlock();
            assertEquals(4, s.depth());
            assertArrayEquals(new int[] {4, 4, 1, 1}, new int[] {s.mapsPerSample(0), s.mapsPerSample(1),
                s.mapsPerSample(2), s.mapsPerSample(3)});
            assertArrayEquals(new int[] {0, 2, 0, 0}, new int[] {s.shiftOf(0), s.shiftOf(1), s.shiftOf(2), s.shiftOf(3)});
            assertEquals(16, s.tokenLayout().size());
            assertArrayEquals(new int[] {0, 0, 2, 2}, s.region(0, 0, 0));
            assertArrayEquals(new int[] {4, 4, 6, 6}, s.region(1, 0, 0));
            assertArrayEquals(new int[] {4, 4, 8, 8}, s.region(2, 0, 5));
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDArray x = m.randomUniform(0, 1, new Shape(3, 1, 16, 16));
                List<LayerAttention> maps = AttentionRecorder.recordLayers(model, x);
                assertEquals(4, maps.size());
                for (int l = 0; l < 4; l++) {
                    assertArrayEquals(new long[] {3L * s.mapsPerSample(l), 2, 16, 16}, maps.get(l).maps().shape());
                    assertEquals(3.0 * s.mapsPerSample(l) * 2 * 16, maps.get(l).maps().sumNumber().doubleValue(), 1e-3);
                }
                // Layer 1 is shifted: in the wrapped last window (3) of every sample, a query never sees a key from
                // another area of the image.
                ShiftedWindows g = new ShiftedWindows(8, 4, 2);
                float[] layer1 = maps.get(1).maps().data().asFloat();
                for (int b = 0; b < 3; b++) {
                    for (int h = 0; h < 2; h++) {
                        for (int i = 0; i < 16; i++) {
                            for (int j = 0; j < 16; j++) {
                                if (g.mask[(3 * 16 + i) * 16 + j] != 0f) {
                                    int at = (((b * 4 + 3) * 2 + h) * 16 + i) * 16 + j;
                                    assertTrue(layer1[at] < 1e-12f, "masked pair " + i + "," + j + " got " + layer1[at]);
                                }
                            }
                        }
                    }
                }
                // Q from per-window maps: the mean window map of each layer.
                BenignStatistics stats = BenignStatistics.empty(4, 2, 16, 0); // Q only: no token-state points
                for (LayerAttention la : maps) {
                    stats.attention().add(la.layer(), la.maps());
                }
                // A trace holds one map per sample: record refuses, naming the method to use.
                assertMessage("recordLayers", () -> AttentionRecorder.record(model, x, false));
                assertMessage("two-pass", () -> PatchedModel.builder().setModel(model)
                        .setDetector(windowScripted(-1, -1, -1)).setBenignStatistics(stats)
                        .optMode(PatchMode.STREAMING).build());
            }
        }
    }

    /** Token 13 of the 8 × 8 first-stage grid is (row 1, col 5); where each layer's windows hold it. */
    @Test
    void flagsFoldToSampleTokensAndUnfoldToEachLayersWindows() {
        SwinTransformer s = swin();
        assertEquals(64, s.sampleTokens());
        try (NDManager m = NDManager.newBaseManager()) {
            float[] one = new float[2 * 64];
            one[64 + 13] = 1f; // sample 1
            NDArray token = m.create(one, new Shape(2, 64));
            // layer 0: window (0,1) = 1, column (1,1) = 5; layer 1, shifted by 2: (7,3) -> window (1,0) = 2,
            // column (3,3) = 15; layers 2-3 (4 × 4 grid, one window): merged token (0,2) -> column 2.
            int[][] where = {{1, 5}, {2, 15}, {0, 2}, {0, 2}};
            for (int l = 0; l < 4; l++) {
                int windows = s.mapsPerSample(l);
                float[] cols = s.unfoldToMaps(l, token).toFloatArray();
                float[] want = new float[2 * windows * 16];
                want[(windows + where[l][0]) * 16 + where[l][1]] = 1f;
                assertArrayEquals(want, cols, 0f, "layer " + l);
                float[] back = s.foldToSample(l, m.create(cols, new Shape(2L * windows, 16))).toFloatArray();
                float[] wantBack = new float[2 * 64];
                int[] tokens = l < 2 ? new int[] {13} : new int[] {4, 5, 12, 13}; // stage 1: the 2 × 2 block
                for (int t : tokens) {
                    wantBack[64 + t] = 1f;
                }
                assertArrayEquals(wantBack, back, 0f, "layer " + l);
            }
        }
    }

    @Test
    void patchedModelFoldsWindowFlagsPerSample() {
        try (Model model = model(6)) {
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDArray x = m.randomUniform(0, 1, new Shape(3, 1, 16, 16));
                BenignStatistics stats = BenignStatistics.empty(4, 2, 16, 0); // Q only: no token-state points
                for (LayerAttention la : AttentionRecorder.recordLayers(model, x)) {
                    stats.attention().add(la.layer(), la.maps());
                }
                float[] plain = FamilyChecks.unpatched(model, x);
                try (PatchedModel pm = PatchedModel.builder().setModel(model).setDetector(windowScripted(-1, -1, -1))
                        .setBenignStatistics(stats).build()) {
                    PatchResult r = pm.predictWithReport(x);
                    assertArrayEquals(plain, r.logits().toFloatArray(), 0f, "nothing flagged: bitwise unpatched");
                    assertTrue(r.reports().stream().noneMatch(PatchReport::patched));
                }
                // Sample 1, layer 0, window 1, column 5 = first-stage token 13.
                try (PatchedModel pm = PatchedModel.builder().setModel(model).setDetector(windowScripted(1, 1, 5))
                        .setBenignStatistics(stats).build()) {
                    PatchResult r = pm.predictWithReport(x);
                    float[] got = r.logits().toFloatArray();
                    assertTrue(r.reports().get(1).patched());
                    assertArrayEquals(new int[] {13}, r.reports().get(1).flags().union());
                    assertTrue(!r.reports().get(0).patched() && !r.reports().get(2).patched());
                    assertArrayEquals(Arrays.copyOfRange(plain, 0, 3), Arrays.copyOfRange(got, 0, 3), 0f);
                    assertArrayEquals(Arrays.copyOfRange(plain, 6, 9), Arrays.copyOfRange(got, 6, 9), 0f);
                    assertTrue(!Arrays.equals(Arrays.copyOfRange(plain, 3, 6), Arrays.copyOfRange(got, 3, 6)),
                            "the flagged sample is patched");
                }
            }
        }
    }

    @Test
    void atPatchTrainsOnWindowMapsLabelledFromSampleTokens() {
        try (Model model = model(7)) {
            // Sample grid 8 x 8 (64 tokens); token 13 = grid row 1, col 5 = pixels rows 2-3, cols 10-11.
            java.util.Random r = new java.util.Random(1);
            DebuggingSet.Builder b = DebuggingSet.builder(DebuggingSet.Kind.BACKDOOR, new Shape(1, 16, 16), 64);
            boolean[] token13 = new boolean[64];
            token13[13] = true;
            for (int p = 0; p < 24; p++) {
                float[] clean = new float[256];
                for (int k = 0; k < clean.length; k++) {
                    clean[k] = r.nextFloat() * 0.5f;
                }
                float[] triggered = clean.clone();
                for (int y = 2; y < 4; y++) {
                    for (int x = 10; x < 12; x++) {
                        triggered[y * 16 + x] = 1f;
                    }
                }
                b.addPair(clean, triggered, token13);
            }
            for (int c = 0; c < 8; c++) {
                float[] clean = new float[256];
                for (int k = 0; k < clean.length; k++) {
                    clean[k] = r.nextFloat() * 0.5f;
                }
                b.addClean(clean);
            }
            DebuggingSet set = b.build();

            // 10 window maps per sample (4 + 4 windows in stage 0, 1 + 1 in stage 1); token 13 lies in
            // exactly one window column of every layer.
            org.atpatch.detector.DetectorTrainingData maps = AttentionCapture.mapsOf(model, set, 8);
            assertEquals((24 * 2 + 8) * 10, maps.size());
            assertEquals(16, maps.tokens());
            assertEquals(24 * 4, maps.anomalousMaps());
            assertEquals(24 * 4, maps.positiveColumns());
            // Each input's windows stay together, and a triggered input's windows away from the trigger
            // (no label) are still not clean: 24 clean pair sides and 8 clean-only inputs of 10 maps.
            int[][] cleanInputs = maps.cleanInputs();
            assertEquals(24 + 8, cleanInputs.length);
            for (int[] input : cleanInputs) {
                assertEquals(10, input.length);
            }
            long fromTriggered = java.util.stream.IntStream.range(0, maps.size()).filter(maps::fromAnomalousInput).count();
            assertEquals(24 * 10, fromTriggered);
            // The over-attention ratio confirms each window map's label against the paired clean window
            // map: any column gets more than a millionth of its clean attention, none a million times.
            assertEquals(24 * 4, AttentionCapture.mapsOf(model, set, 8, 1e-6).positiveColumns());
            org.atpatch.detector.DetectorTrainingData none = AttentionCapture.mapsOf(model, set, 8, 1e6);
            assertEquals(0, none.positiveColumns());
            assertEquals(maps.size(), none.size(), "the maps stay; only their labels go");

            // Window-map mechanics with a 2-epoch detector on a random model, which the quality gates rightly refuse.
            PatchBundle bundle = AtPatch.builder().setModel(model).optQualityGates(org.atpatch.djl.QualityGates.disabled())
                    .optDetectorConfig(org.atpatch.detector.DetectorConfig.paper().toBuilder().optEpochs(2).optSeed(3).build())
                    .build().trainBundle(set);
            assertEquals(16, bundle.benign().tokens(), "Q is the mean window map");
            assertEquals(16, bundle.detector().tokens());
            assertEquals("gamma", bundle.patchRule(), "no token-state points: the default falls back to Γ");
            try (PatchedModel pm = PatchedModel.fromBundle(bundle, model);
                    NDManager m = model.getNDManager().newSubManager()) {
                NDArray x = m.create(set.pairs().get(0).anomalous(), new Shape(1, 1, 16, 16));
                assertEquals(new Shape(1, 3), pm.predict(x).getShape());
            }
        }
    }

    /**
     * A detector that flags, at layer 0 only, column {@code column} of window {@code window} of
     * sample {@code sample} (4 windows per sample at layer 0); nothing when {@code sample < 0}.
     */
    private static org.atpatch.detector.ColumnDetector windowScripted(int sample, int window, int column) {
        return new org.atpatch.detector.ColumnDetector() {
            @Override
            public NDArray detect(NDArray maps, int layer) {
                long rows = maps.getShape().get(0);
                long n = maps.getShape().get(1);
                float[] p = new float[(int) (rows * n)];
                Arrays.fill(p, 0.01f);
                if (sample >= 0 && layer == 0) {
                    p[(int) (((long) sample * 4 + window) * n + column)] = 0.9f;
                }
                return maps.getManager().create(p, new Shape(rows, n));
            }
        };
    }

    @Test
    void samplesAreIndependentInABatch() {
        // Windows of different samples must never mix: batch logits equal one-by-one logits.
        try (Model model = model(4)) {
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDArray x = m.randomUniform(0, 1, new Shape(3, 1, 16, 16));
                float[] batch = FamilyChecks.unpatched(model, x);
                for (int i = 0; i < 3; i++) {
                    float[] one = FamilyChecks.unpatched(model, x.get(i + ":" + (i + 1)));
                    assertArrayEquals(Arrays.copyOfRange(batch, 3 * i, 3 * i + 3), one, 1e-5f, "sample " + i);
                }
                ParameterStore ps = new ParameterStore(m, false);
                assertMessage("(batch, 1, 16, 16)", () -> model.getBlock().forward(ps,
                        new NDList(m.zeros(new Shape(1, 1, 8, 8))), false));
            }
        }
    }

    @Test
    void scoreBiasReachesTheSoftmax() {
        try (NDManager m = NDManager.newBaseManager()) {
            InterceptableSelfAttention a = InterceptableSelfAttention.builder().setWidth(4).setHeads(1).build();
            a.initialize(m, DataType.FLOAT32, new Shape(1, 3, 4));
            AttentionLayers.of(a);
            NDArray x = m.randomUniform(0, 1, new Shape(1, 3, 4));
            float[] masked = new float[9];
            for (int i = 0; i < 3; i++) {
                masked[i * 3 + 2] = -1e4f; // nobody may attend to token 2
            }
            NDArray bias = m.create(masked, new Shape(1, 1, 3, 3));
            float[][] seen = new float[1][];
            try (Interception.Scope ignored = Interception.open(new AttentionInterceptor() {
                @Override
                public NDArray onAttention(int layer, NDArray probs) {
                    seen[0] = probs.toFloatArray();
                    return probs;
                }
            })) {
                a.forward(new ParameterStore(m, false), new NDList(x, bias), false);
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(0f, seen[0][i * 3 + 2], 1e-6f);
            }
            assertMessage("score bias must be shaped", () -> a.forward(new ParameterStore(m, false),
                    new NDList(x, m.zeros(new Shape(1, 3, 3))), false));
        }
    }

    @Test
    void trainsDeterministically() {
        // Chance is 1/3. Passing 90 % here takes several times the epochs a unit test can afford on two
        // cores, so this asks for clearly-above-chance learning in 12.
        FamilyChecks.trainsDeterministically(() -> model(21), shapes(60), 12, 0.6);
    }

    /**
     * Class 0: a horizontal bar 1 × 4, class 1: a vertical bar 4 × 1, class 2: a 2 × 2 square, at a
     * random place on faint noise. Translation-invariant, as suits a model that pools over tokens.
     */
    private static LabelledData shapes(int n) {
        java.util.Random r = new java.util.Random(10);
        int side = 16;
        float[] x = new float[n * side * side];
        int[] y = new int[n];
        int[][] size = {{1, 4}, {4, 1}, {2, 2}};
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            int h = size[y[i]][0];
            int w = size[y[i]][1];
            int row = r.nextInt(side - h + 1);
            int col = r.nextInt(side - w + 1);
            for (int p = 0; p < side * side; p++) {
                x[i * side * side + p] = 0.2f * r.nextFloat();
            }
            for (int dy = 0; dy < h; dy++) {
                for (int dx = 0; dx < w; dx++) {
                    x[i * side * side + (row + dy) * side + col + dx] = 1f;
                }
            }
        }
        return new LabelledData(x, y, new Shape(1, side, side));
    }

    @Test
    void builderValidation() {
        assertMessage("whole number of 3 × 3 windows", () -> SwinTransformer.builder().setImageSize(16).setPatchSize(2)
                .setWindowSize(3).setStageDepths(2).setWidth(8).setHeads(2).setClasses(2).build());
        assertMessage("smaller than the window", () -> SwinTransformer.builder().setImageSize(16).setPatchSize(2)
                .setWindowSize(4).setStageDepths(2, 2, 2).setWidth(8).setHeads(2).setClasses(2).build());
        assertMessage("sum of the stage depths", () -> SwinTransformer.builder().setImageSize(16).setPatchSize(2)
                .setWindowSize(4).setStageDepths(2, 2).setDepth(3).setWidth(8).setHeads(2).setClasses(2).build());
        assertMessage("stage depths must be set", () -> SwinTransformer.builder().setImageSize(16).setPatchSize(2)
                .setWindowSize(4).setWidth(8).setHeads(2).setClasses(2).build());
        assertMessage("even grid", () -> SwinTransformer.builder().setImageSize(18).setPatchSize(2)
                .setWindowSize(3).setStageDepths(2, 2).setWidth(8).setHeads(2).setClasses(2).build());
        assertMessage("heads 3 must divide width 8", () -> swinSizes().setHeads(3).build());
    }

    private static SwinTransformer.Builder swinSizes() {
        return SwinTransformer.builder().setImageSize(16).setPatchSize(2).setWindowSize(4).setStageDepths(2, 2)
                .setWidth(8).setHeads(2).setClasses(3);
    }
}
