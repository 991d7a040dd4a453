package org.atpatch.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AtPatch.train on a small debugging set, bundles, and the live swap. */
class AtPatchBundleTest {

    private static Model model;
    private static NDManager manager;
    private static DebuggingSet debugSet;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() {
        model = Fixtures.vitModel();
        manager = model.getNDManager().newSubManager();
        // Clean images and the same images with a bright 2x2 square at pixels (6..7, 6..7): patch column 16.
        Random r = new Random(5);
        DebuggingSet.Builder b = DebuggingSet.builder(DebuggingSet.Kind.BACKDOOR, new Shape(1, Fixtures.IMAGE, Fixtures.IMAGE), Fixtures.N);
        boolean[] columns = new boolean[Fixtures.N];
        columns[16] = true;
        for (int i = 0; i < 48; i++) {
            float[] x = new float[Fixtures.IMAGE * Fixtures.IMAGE];
            for (int j = 0; j < x.length; j++) {
                x[j] = r.nextFloat() * 0.5f;
            }
            float[] t = x.clone();
            for (int row = 6; row < 8; row++) {
                for (int col = 6; col < 8; col++) {
                    t[row * Fixtures.IMAGE + col] = 1f;
                }
            }
            b.addPair(x, t, columns);
        }
        debugSet = b.optProvenance("method", "test square").build();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
        model.close();
    }

    private static AtPatch atPatch(long seed) {
        return AtPatch.builder()
                .setModel(model)
                .optPatchRule(PatchRules.tokenStateAndGamma())
                // Bundle mechanics on a random model with a 2-epoch detector, which the quality gates rightly refuse.
                .optQualityGates(QualityGates.disabled())
                .optDetectorConfig(DetectorConfig.paper().toBuilder().optEpochs(2).optProgressBar(false)
                        .optValidationFraction(0.25).optSeed(seed).build())
                .build();
    }

    @Test
    void theFlagDilationTravelsWithTheBundle() throws IOException {
        AtPatch dilated = AtPatch.builder().setModel(model).optPatchRule(PatchRules.tokenStateAndGamma())
                .optQualityGates(QualityGates.disabled()).optFlagDilation(1)
                .optDetectorConfig(DetectorConfig.defaults().toBuilder().optEpochs(2).optProgressBar(false)
                        .optValidationFraction(0.25).optSeed(6).build())
                .build();
        Path file = dir.resolve("dilated.atpatch");
        try (PatchBundle bundle = dilated.trainBundle(debugSet)) {
            assertEquals(1, bundle.flagDilation());
            bundle.save(file);
        }
        try (PatchBundle loaded = PatchBundle.load(file, model.getNDManager().getDevice())) {
            assertEquals(1, loaded.flagDilation());
            assertEquals(1, loaded.withTau(0.3).flagDilation());
        }
        try (PatchedModel patched = PatchedModel.load(file, model)) {
            Path again = dir.resolve("again.atpatch");
            patched.save(again);
            try (PatchBundle reloaded = PatchBundle.load(again, model.getNDManager().getDevice())) {
                assertEquals(1, reloaded.flagDilation(), "a patched model saves its dilation");
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AtPatch.builder().setModel(model).optFlagDilation(-1).build());
        assertTrue(e.getMessage().contains("flag dilation"), e.getMessage());
    }

    @Test
    void aCleanInputBoundChoosesTauOnBackdoorSetsAndTheBestF1DoesOnFairnessSets() {
        // A bound on the clean inputs flagged, on the same pairs labelled once as a backdoor and once as a fairness set.
        DebuggingSet.Builder f = DebuggingSet.builder(DebuggingSet.Kind.FAIRNESS, new Shape(1, Fixtures.IMAGE, Fixtures.IMAGE),
                Fixtures.N);
        debugSet.pairs().forEach(p -> f.addPair(p.clean(), p.anomalous(), p.columns()));
        DebuggingSet fairness = f.build();
        DetectorConfig defaults = DetectorConfig.defaults().toBuilder().optEpochs(2).optProgressBar(false)
                .optTauSelection(org.atpatch.detector.TauSelection.targetCleanInputRate(0.05))
                .optValidationFraction(0.25).optSeed(5).build();
        assertTrue(defaults.tauSelection().boundsCleanInputs(), defaults.tauSelection().describe());
        AtPatch atPatch = AtPatch.builder().setModel(model).optPatchRule(PatchRules.tokenStateAndGamma())
                .optQualityGates(QualityGates.disabled()).optDetectorConfig(defaults).build();
        try (PatchBundle backdoor = atPatch.trainBundle(debugSet); PatchBundle fair = atPatch.trainBundle(fairness)) {
            assertTrue(backdoor.detector().provenance().tauMethod().startsWith("targetCleanInputRate(0.05)"),
                    backdoor.detector().provenance().tauMethod());
            assertTrue(fair.detector().provenance().tauMethod().startsWith("maxF1"), fair.detector().provenance().tauMethod());
        }
    }

    @Test
    void trainSaveLoadReproducesPredictionsExactly() throws IOException {
        NDArray x = Fixtures.images(manager, 8, 11);
        Path file = dir.resolve("victim.atpatch");
        try (PatchedModel patched = atPatch(1).train(debugSet)) {
            assertEquals("token-state+gamma", patched.patchRule().name());
            PatchResult before = patched.predictWithReport(x);
            patched.save(file);
            try (PatchedModel loaded = PatchedModel.load(file, model)) {
                PatchResult after = loaded.predictWithReport(x);
                assertArrayEquals(before.logits().toFloatArray(), after.logits().toFloatArray(), 0f);
                assertEquals(before.reports(), after.reports());
                assertEquals(patched.tau(), loaded.tau());
            }
        }
        // A second save over the first leaves a loadable file (atomic replace).
        try (PatchedModel loaded = PatchedModel.load(file, model)) {
            loaded.save(file);
        }
        try (PatchedModel again = PatchedModel.load(file, model)) {
            assertTrue(again.tau() > 0);
        }
    }

    @Test
    void aTrainedDetectorBringsItsOwnTauUnlessOneIsSet() {
        PatchBundle bundle = atPatch(2).trainBundle(debugSet);
        try (var detector = bundle.detector()) {
            detector.setTau(0.37);
            try (PatchedModel own = PatchedModel.builder().setModel(model).setDetector(detector)
                            .setBenignStatistics(bundle.benign()).build();
                    PatchedModel set = PatchedModel.builder().setModel(model).setDetector(detector)
                            .setBenignStatistics(bundle.benign()).optTau(0.2).build()) {
                assertEquals(0.37, own.tau(), 1e-12, "the detector's trained τ, not the paper's 0.1");
                assertEquals(0.2, set.tau(), 1e-12);
            }
        }
    }

    @Test
    void anEnsembleOfTwoDetectorsPatchesWhatEitherFlagsAtItsOwnTau() {
        AtPatch statistics = AtPatch.builder().setModel(model).optPatchRule(PatchRules.tokenStateAndGamma())
                .optQualityGates(QualityGates.disabled())
                .optDetectorConfig(DetectorConfig.defaults().toBuilder().optEpochs(2).optProgressBar(false)
                        .optValidationFraction(0.25).optSeed(6).build())
                .build();
        try (PatchBundle cnn = atPatch(2).trainBundle(debugSet); PatchBundle stats = statistics.trainBundle(debugSet);
                NDManager m = manager.newSubManager()) {
            int size = Fixtures.IMAGE * Fixtures.IMAGE;
            List<DebuggingSet.Pair> pairs = debugSet.pairs();
            float[] flat = new float[2 * pairs.size() * size];
            for (int i = 0; i < pairs.size(); i++) {
                System.arraycopy(pairs.get(i).clean(), 0, flat, 2 * i * size, size);
                System.arraycopy(pairs.get(i).anomalous(), 0, flat, (2 * i + 1) * size, size);
            }
            NDArray input = m.create(flat, new Shape(2L * pairs.size(), 1, Fixtures.IMAGE, Fixtures.IMAGE));
            // Each member at a τ where it flags some samples and not others (two-epoch detectors give small
            // probabilities), so that the two disagree.
            mixedTau(cnn.detector(), cnn, input);
            mixedTau(stats.detector(), cnn, input);
            List<java.util.Set<String>> a = flags(cnn.detector(), cnn, input);
            List<java.util.Set<String>> b = flags(stats.detector(), cnn, input);
            List<java.util.Set<String>> both = flags(org.atpatch.detector.DetectorEnsemble.of(cnn.detector(), stats.detector()),
                    cnn, input);
            boolean onlyOne = false;
            for (int i = 0; i < both.size(); i++) {
                java.util.Set<String> union = new java.util.TreeSet<>(a.get(i));
                union.addAll(b.get(i));
                assertEquals(union, both.get(i), "sample " + i);
                onlyOne |= !a.get(i).equals(b.get(i));
            }
            assertTrue(onlyOne, "the members never disagreed, so the union was not tested");
        }
    }

    /** Sets τ, by bisection, where the detector raises between a quarter and three quarters of its most flags. */
    private static void mixedTau(org.atpatch.detector.AttentionDetector detector, PatchBundle bundle, NDArray input) {
        double lo = 1e-6;
        double hi = 0.999;
        detector.setTau(lo);
        long most = flagCount(detector, bundle, input);
        for (int step = 0; step < 40; step++) {
            double tau = Math.sqrt(lo * hi);
            detector.setTau(tau);
            long count = flagCount(detector, bundle, input);
            if (4 * count >= most && 4 * count <= 3 * most && count > 0) {
                return;
            }
            if (4 * count > 3 * most) {
                lo = tau;
            } else {
                hi = tau;
            }
        }
        throw new AssertionError("no τ makes the detector raise part of its flags");
    }

    private static long flagCount(org.atpatch.detector.AttentionDetector detector, PatchBundle bundle, NDArray input) {
        return flags(detector, bundle, input).stream().mapToLong(java.util.Set::size).sum();
    }

    /** Each sample's flagged (layer, column) pairs with this detector at its default τ, Q from {@code bundle}. */
    private static List<java.util.Set<String>> flags(org.atpatch.detector.ColumnDetector detector, PatchBundle bundle,
            NDArray input) {
        try (PatchedModel patched = PatchedModel.builder().setModel(model).setDetector(detector)
                        .setBenignStatistics(bundle.benign()).optPatchRule(PatchRules.byName(bundle.patchRule())).build();
                PatchResult result = patched.predictWithReport(input)) {
            if (detector instanceof org.atpatch.detector.DetectorEnsemble) {
                assertEquals(org.atpatch.detector.DetectorEnsemble.TAU, patched.tau(), "the ensemble's τ is the default");
            }
            List<java.util.Set<String>> out = new ArrayList<>();
            for (PatchReport r : result.reports()) {
                java.util.Set<String> s = new java.util.TreeSet<>();
                for (var layer : r.flags().layers()) {
                    for (int c : layer.columns()) {
                        s.add(layer.layer() + ":" + c);
                    }
                }
                out.add(s);
            }
            return out;
        }
    }

    @Test
    void damagedOrForeignBundlesFailClearly() throws IOException {
        Path file = dir.resolve("b.atpatch");
        try (PatchedModel patched = atPatch(2).train(debugSet)) {
            patched.save(file);
        }
        byte[] bytes = Files.readAllBytes(file);
        Path truncated = dir.resolve("truncated.atpatch");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length * 2 / 3));
        IOException t = assertThrows(IOException.class, () -> PatchedModel.load(truncated, model));
        assertTrue(t.getMessage().contains("truncated.atpatch"), t.getMessage());

        Path notABundle = dir.resolve("text.atpatch");
        Files.writeString(notABundle, "hello");
        assertThrows(IOException.class, () -> PatchedModel.load(notABundle, model));
        assertTrue(assertThrows(IOException.class, () -> PatchedModel.load(dir.resolve("missing.atpatch"), model))
                .getMessage().contains("missing.atpatch"));

        try (Model other = Model.newInstance("other")) {
            VisionTransformer wider = VisionTransformer.builder().setImageSize(Fixtures.IMAGE).setPatchSize(Fixtures.PATCH)
                    .setDepth(Fixtures.DEPTH).setWidth(32).setHeads(Fixtures.HEADS).setClasses(Fixtures.CLASSES).build();
            other.setBlock(wider);
            wider.initialize(other.getNDManager(), ai.djl.ndarray.types.DataType.FLOAT32, new Shape(1, 1, Fixtures.IMAGE, Fixtures.IMAGE));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PatchedModel.load(file, other));
            assertTrue(e.getMessage().contains("was made for model"), e.getMessage());
        }
    }

    @Test
    void emptyOrMismatchedDebuggingSetIsRefused() {
        DebuggingSet empty = DebuggingSet.builder(DebuggingSet.Kind.BACKDOOR, new Shape(1, Fixtures.IMAGE, Fixtures.IMAGE), Fixtures.N).build();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> atPatch(3).train(empty)).getMessage().contains("empty"));
        DebuggingSet wrong = DebuggingSet.builder(DebuggingSet.Kind.BACKDOOR, new Shape(1, 4, 4), Fixtures.N)
                .addPair(new float[16], new float[16], onlyColumn(3)).build();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> atPatch(3).train(wrong)).getMessage().contains("(1, 4, 4)"));
    }

    @Test
    void swapIsAtomicUnderConcurrentPredicts() throws Exception {
        PatchBundle second = atPatch(4).trainBundle(debugSet);
        try (PatchedModel patched = atPatch(5).train(debugSet)) {
            NDArray x = Fixtures.images(manager, 4, 12);
            float[] oldOut = patched.predict(x).toFloatArray();
            float[] newOut;
            try (PatchedModel reference = PatchedModel.fromBundle(atPatch(4).trainBundle(debugSet), model)) {
                newOut = reference.predict(x).toFloatArray();
            }
            float[] images = x.toFloatArray();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    try {
                        while (!stop.get()) {
                            try (NDManager m = manager.newSubManager()) {
                                float[] out = patched.predict(m.create(images, x.getShape())).toFloatArray();
                                if (!java.util.Arrays.equals(out, oldOut) && !java.util.Arrays.equals(out, newOut)) {
                                    throw new AssertionError("a predict saw a mix of two bundles");
                                }
                            }
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
                th.start();
                threads.add(th);
            }
            Thread.sleep(300);
            patched.swap(second);
            Thread.sleep(300);
            stop.set(true);
            for (Thread th : threads) {
                th.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertArrayEquals(newOut, patched.predict(x).toFloatArray(), 0f);
        }
    }

    private static boolean[] onlyColumn(int c) {
        boolean[] b = new boolean[Fixtures.N];
        b[c] = true;
        return b;
    }
}
