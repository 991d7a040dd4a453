package org.atpatch.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.atpatch.core.BenignStatistics;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.djl.debugset.TriggerInversion;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalogue of bad inputs and faults a user can meet on the public API: each case fails with
 * the documented exception type and a message that names the problem, or (bit flips) never yields a
 * damaged bundle.
 */
class BadInputCatalogueTest {

    private static Model model;
    private static NDManager manager;
    private static BenignStatistics benign;
    private static Path bundleFile;

    @TempDir
    static Path dir;

    @BeforeAll
    static void setUp() throws IOException {
        model = Fixtures.vitModel();
        manager = model.getNDManager().newSubManager();
        benign = Fixtures.benign(model, manager);
        bundleFile = dir.resolve("tiny.atpatch");
        try (PatchedModel patched = AtPatch.builder().setModel(model).optQualityGates(QualityGates.disabled())
                .optPatchRule(PatchRules.gamma())
                .optDetectorConfig(DetectorConfig.paper().toBuilder().optEpochs(1).optProgressBar(false).optSeed(1).build())
                .build().train(squares(24, 16))) {
            patched.save(bundleFile);
        }
    }

    @AfterAll
    static void tearDown() {
        manager.close();
        model.close();
    }

    /** {@code pairs} random images and the same with a bright 2×2 square in patch column {@code column}'s corner. */
    private static DebuggingSet squares(int pairs, int column) {
        return labelled(pairs, (clean, c) -> {
            float[] t = clean.clone();
            for (int row = 6; row < 8; row++) {
                for (int col = 6; col < 8; col++) {
                    t[row * Fixtures.IMAGE + col] = 1f;
                }
            }
            c[column] = true;
            return t;
        });
    }

    private interface Anomaly {
        float[] make(float[] clean, boolean[] columns);
    }

    private static DebuggingSet labelled(int pairs, Anomaly anomaly) {
        Random r = new Random(5);
        DebuggingSet.Builder b = DebuggingSet.builder(DebuggingSet.Kind.BACKDOOR, new Shape(1, Fixtures.IMAGE, Fixtures.IMAGE),
                Fixtures.N);
        for (int i = 0; i < pairs; i++) {
            float[] x = new float[Fixtures.IMAGE * Fixtures.IMAGE];
            for (int j = 0; j < x.length; j++) {
                x[j] = r.nextFloat() * 0.5f;
            }
            boolean[] columns = new boolean[Fixtures.N];
            b.addPair(x, anomaly.make(x, columns), columns);
        }
        return b.build();
    }

    private static QualityGateException.Gate refusedGate(DebuggingSet debugSet) {
        AtPatch atPatch = AtPatch.builder().setModel(model).optPatchRule(PatchRules.gamma())
                .optDetectorConfig(DetectorConfig.paper().toBuilder().optEpochs(1).optProgressBar(false).build()).build();
        return assertThrows(QualityGateException.class, () -> atPatch.trainBundle(debugSet)).gate();
    }

    // --- Modes and rules -------------------------------------------------------------------------

    @Test
    void streamingWithATokenStateOnlyRuleIsRefusedAtBuild() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PatchedModel.builder().setModel(model)
                .setDetector(Fixtures.scripted(new int[][] {{16}})).setBenignStatistics(benign)
                .optPatchRule(PatchRules.tokenStateAtFirstLayer()).optMode(PatchMode.STREAMING).build());
        assertTrue(e.getMessage().contains("streaming") && e.getMessage().contains("token-state"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PatchedModel.builder().setModel(model)
                .setDetector(Fixtures.scripted(new int[][] {{16}})).setBenignStatistics(benign)
                .optPatchRule(PatchRules.tokenStateAtEveryLayer()).optMode(PatchMode.STREAMING).build());
        e = assertThrows(IllegalArgumentException.class, () -> AtPatch.builder().setModel(model).optMode(PatchMode.STREAMING)
                .optPatchRule(PatchRules.tokenStateAtFirstLayer()).build().trainBundle(squares(24, 16)));
        assertTrue(e.getMessage().contains("streaming"), e.getMessage());
    }

    @Test
    void streamingWithoutARuleUsesOneThatActsAndChangesTheFlaggedOutput() {
        try (PatchedModel streaming = PatchedModel.builder().setModel(model).setDetector(Fixtures.scripted(new int[][] {{16}}))
                .setBenignStatistics(benign).optMode(PatchMode.STREAMING).build();
                NDManager m = manager.newSubManager()) {
            assertTrue(streaming.patchRule().patchesAttention(), streaming.patchRule().name());
            NDArray x = Fixtures.images(m, 1, 3);
            PatchResult r = streaming.predictWithReport(x);
            assertTrue(r.reports().get(0).patched());
            float[] unpatched = model.getBlock().forward(new ParameterStore(m, false), new NDList(x), false)
                    .singletonOrThrow().toFloatArray();
            assertFalse(Arrays.equals(unpatched, r.logits().toFloatArray()),
                    "a sample reported patched has other logits than the unpatched model's");
        }
    }

    // --- Degenerate debugging sets ---------------------------------------------------------------

    @Test
    void onePairIsRefused() {
        assertEquals(QualityGateException.Gate.TOO_FEW_PAIRS, refusedGate(squares(1, 16)));
    }

    @Test
    void everyColumnLabelledIsRefused() {
        assertEquals(QualityGateException.Gate.MOST_COLUMNS_LABELLED, refusedGate(labelled(24, (x, c) -> {
            Arrays.fill(c, true);
            float[] t = x.clone();
            t[0] = 1f;
            return t;
        })));
    }

    @Test
    void labelsOnClsOnlyAreRefused() {
        assertEquals(QualityGateException.Gate.SPECIAL_COLUMNS_ONLY, refusedGate(labelled(24, (x, c) -> {
            c[0] = true;
            float[] t = x.clone();
            t[0] = 1f;
            return t;
        })));
    }

    @Test
    void anomalousInputsIdenticalToTheirPartnersAreRefused() {
        assertEquals(QualityGateException.Gate.IDENTICAL_PAIRS, refusedGate(labelled(24, (x, c) -> {
            c[16] = true;
            return x.clone();
        })));
    }

    @Test
    void gatesAreValidatedAndCanBeDisabled() {
        assertThrows(IllegalArgumentException.class, () -> QualityGates.builder().optMinPairs(0));
        assertThrows(IllegalArgumentException.class, () -> QualityGates.builder().optMaxLabelledShare(1.5));
        assertThrows(NullPointerException.class, () -> AtPatch.builder().optQualityGates(null));
        assertEquals(1, QualityGates.disabled().minPairs());
    }

    // --- Bundles ---------------------------------------------------------------------------------

    @Test
    void aBundleIsRefusedOnAModelWithOtherWeightsUnlessReusedKnowingly() throws Exception {
        try (Model other = Fixtures.vitModel(77)) {
            BundleMismatchException e = assertThrows(BundleMismatchException.class, () -> PatchedModel.load(bundleFile, other));
            assertTrue(e.getMessage().contains("other weights") && e.getMessage().contains("ARCHITECTURE_ONLY"), e.getMessage());
            try (PatchedModel reused = PatchedModel.load(bundleFile, other, BundleBinding.ARCHITECTURE_ONLY)) {
                assertEquals(PatchRules.gamma().name(), reused.patchRule().name());
            }
            try (PatchedModel live = PatchedModel.load(bundleFile, model)) {
                double tau = live.tau();
                PatchBundle foreign = PatchBundle.load(bundleFile, Device.cpu());
                PatchBundle rebound = new PatchBundle(foreign.detector(), foreign.benign(), 0.5, foreign.patchRule(),
                        foreign.mode(), foreign.modelFingerprint(), ModelFingerprint.weightsOf(other.getBlock()),
                        foreign.provenance());
                assertThrows(BundleMismatchException.class, () -> live.swap(rebound));
                foreign.detector().close();
                assertEquals(tau, live.tau(), "a refused swap keeps the bundle in use");
            }
        }
    }

    @Test
    void bundleDamageIsABundleFormatExceptionNamingTheFile() throws IOException {
        byte[] good = Files.readAllBytes(bundleFile);
        Random r = new Random(11);
        int loaded = 0;
        for (int i = 0; i < 120; i++) {
            byte[] bad = good.clone();
            int at = r.nextInt(bad.length);
            bad[at] ^= (byte) (1 << r.nextInt(8));
            Path f = dir.resolve("flipped-" + i + ".atpatch");
            Files.write(f, bad);
            try {
                PatchBundle b = PatchBundle.load(f, Device.cpu());
                // A flip outside every checked byte (a zip timestamp, say) may load: then the content is intact.
                assertEquals(PatchBundle.load(bundleFile, Device.cpu()).tau(), b.tau());
                b.detector().close();
                loaded++;
            } catch (BundleFormatException e) {
                assertTrue(e.getMessage().contains(f.toString()), "flip at byte " + at + ": " + e.getMessage());
                assertEquals(f, e.file());
            }
        }
        assertTrue(loaded < 60, loaded + " of 120 flipped bundles loaded: the checks do not cover the file");
        for (int cut = 1; cut <= 10; cut++) {
            Path f = dir.resolve("truncated-" + cut + ".atpatch");
            Files.write(f, Arrays.copyOf(good, good.length * cut / 11));
            BundleFormatException e = assertThrows(BundleFormatException.class, () -> PatchedModel.load(f, model));
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
        BundleFormatException missing = assertThrows(BundleFormatException.class,
                () -> PatchedModel.load(dir.resolve("absent.atpatch"), model));
        assertTrue(missing.getMessage().contains("absent.atpatch"), missing.getMessage());
    }

    @Test
    void manifestFieldsMissingOrMistypedAreNamed() throws IOException {
        Map<String, UnaryOperator<String>> edits = new LinkedHashMap<>();
        edits.put("tau", m -> m.replaceFirst("\"tau\": [0-9.Ee-]+,", ""));
        edits.put("mode", m -> m.replaceFirst("\"mode\": \"[A-Z_]+\"", "\"mode\": 3"));
        edits.put("formatVersion", m -> m.replaceFirst("\"formatVersion\": [0-9]+", "\"formatVersion\": \"two\""));
        edits.put("patchRule", m -> m.replaceFirst("\"patchRule\": \"[a-z+-]+\"", "\"patchRule\": [1]"));
        edits.put("weightsSha256", m -> m.replaceFirst("\"weightsSha256\": \"[0-9a-f]+\",", ""));
        for (Map.Entry<String, UnaryOperator<String>> e : edits.entrySet()) {
            Path f = dir.resolve("edited-" + e.getKey() + ".atpatch");
            rewriteManifest(bundleFile, f, e.getValue());
            BundleFormatException x = assertThrows(BundleFormatException.class, () -> PatchBundle.load(f, Device.cpu()),
                    e.getKey());
            assertTrue(x.getMessage().contains(f.toString()) && x.getMessage().contains(e.getKey()), x.getMessage());
            assertEquals("manifest.json: " + e.getKey(), x.part());
        }
        Path f = dir.resolve("tampered.atpatch");
        rewriteManifest(bundleFile, f, m -> m.replaceFirst("\"tau\": [0-9.Ee-]+,", "\"tau\": 0.5,"), false);
        BundleFormatException x = assertThrows(BundleFormatException.class, () -> PatchBundle.load(f, Device.cpu()));
        assertTrue(x.getMessage().contains("checksum"), x.getMessage());
    }

    private static void rewriteManifest(Path from, Path to, UnaryOperator<String> edit) throws IOException {
        rewriteManifest(from, to, edit, true);
    }

    /** Copies a bundle with its manifest edited and (when {@code resum}) its manifest checksum recomputed. */
    private static void rewriteManifest(Path from, Path to, UnaryOperator<String> edit, boolean resum) throws IOException {
        Map<String, byte[]> parts = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(from))) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                parts.put(e.getName(), zip.readAllBytes());
            }
        }
        String manifest = edit.apply(new String(parts.get("manifest.json"), StandardCharsets.UTF_8));
        parts.put("manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
        if (resum) {
            parts.put("manifest.sha256", PatchBundle.sha256(parts.get("manifest.json")).getBytes(StandardCharsets.US_ASCII));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> p : parts.entrySet()) {
                zip.putNextEntry(new ZipEntry(p.getKey()));
                zip.write(p.getValue());
                zip.closeEntry();
            }
        }
        Files.write(to, out.toByteArray());
    }

    @Test
    void aKilledSavesLeftoverIsRemovedByTheNextSave() throws IOException {
        Path target = dir.resolve("killed.atpatch");
        long dead = deadPid();
        Path leftover = dir.resolve(".killed.atpatch." + dead + ".12345.tmp");
        Path ours = dir.resolve(".killed.atpatch." + ProcessHandle.current().pid() + ".67890.tmp");
        Files.write(leftover, new byte[] {1, 2, 3});
        Files.write(ours, new byte[] {4});
        try (PatchedModel patched = PatchedModel.load(bundleFile, model)) {
            patched.save(target);
        }
        assertFalse(Files.exists(leftover), "the dead process's temporary file is removed");
        assertTrue(Files.exists(ours), "a live process's temporary file may be a save in progress and stays");
        Files.delete(ours);
        try (PatchedModel again = PatchedModel.load(target, model)) {
            assertTrue(again.tau() > 0);
        }
    }

    private static long deadPid() {
        long pid = 4_000_000;
        while (ProcessHandle.of(pid).isPresent()) {
            pid++;
        }
        return pid;
    }

    @Test
    void aGpuThisMachineLacksIsNamed() {
        assumeTrue(Engine.getInstance().getGpuCount() == 0, "this machine has a GPU");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PatchBundle.load(bundleFile, Device.gpu()));
        assertTrue(e.getMessage().contains("gpu(0)") && e.getMessage().contains("0 GPU"), e.getMessage());
    }

    // --- Inputs and detectors online -------------------------------------------------------------

    private static PatchedModel withDetector(ColumnDetector detector) {
        return PatchedModel.builder().setModel(model).setDetector(detector).setBenignStatistics(benign)
                .optPatchRule(PatchRules.gamma()).build();
    }

    @Test
    void aDetectorOfTheWrongShapeOrOutsideTheUnitIntervalIsNamed() {
        ColumnDetector wrongShape = new ColumnDetector() {
            @Override
            public NDArray detect(NDArray maps, int layer) {
                return maps.getManager().zeros(new Shape(maps.getShape().get(0), 3));
            }
        };
        ColumnDetector outside = new ColumnDetector() {
            @Override
            public NDArray detect(NDArray maps, int layer) {
                return maps.getManager().full(new Shape(maps.getShape().get(0), maps.getShape().get(1)), 1.5f);
            }
        };
        try (NDManager m = manager.newSubManager()) {
            NDArray x = Fixtures.images(m, 2, 1);
            for (PatchMode mode : PatchMode.values()) {
                try (PatchedModel p = PatchedModel.builder().setModel(model).setDetector(wrongShape).setBenignStatistics(benign)
                        .optPatchRule(PatchRules.gamma()).optMode(mode).build()) {
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.predict(x));
                    assertTrue(e.getMessage().contains("shape"), e.getMessage());
                }
                try (PatchedModel p = PatchedModel.builder().setModel(model).setDetector(outside).setBenignStatistics(benign)
                        .optPatchRule(PatchRules.gamma()).optMode(mode).build()) {
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.predict(x));
                    assertTrue(e.getMessage().contains("1.5") && e.getMessage().contains("[0, 1]")
                            && e.getMessage().contains("sample 0"), e.getMessage());
                }
            }
        }
    }

    @Test
    void aNaNInputNamesTheSampleAndElement() {
        try (PatchedModel p = withDetector(Fixtures.scripted(new int[][] {{}, {}, {}})); NDManager m = manager.newSubManager()) {
            float[] x = Fixtures.images(m, 3, 2).toFloatArray();
            x[Fixtures.IMAGE * Fixtures.IMAGE + 5] = Float.NaN; // sample 1, element 5
            NDArray input = m.create(x, new Shape(3, 1, Fixtures.IMAGE, Fixtures.IMAGE));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.predict(input));
            assertTrue(e.getMessage().contains("sample 1") && e.getMessage().contains("element 5"), e.getMessage());
        }
    }

    @Test
    void aModelWithoutInterceptableAttentionIsRefusedBeforeAnyWork() {
        try (Model mlp = Model.newInstance("mlp")) {
            SequentialBlock block = new SequentialBlock().add(Blocks.batchFlattenBlock())
                    .add(Linear.builder().setUnits(Fixtures.CLASSES).build());
            mlp.setBlock(block);
            block.initialize(mlp.getNDManager(), DataType.FLOAT32, new Shape(1, 1, Fixtures.IMAGE, Fixtures.IMAGE));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AtPatch.builder().setModel(mlp).build());
            assertTrue(e.getMessage().contains("InterceptableSelfAttention"), e.getMessage());
            LabelledData data = new LabelledData(new float[2 * Fixtures.IMAGE * Fixtures.IMAGE], new int[] {0, 1},
                    new Shape(1, Fixtures.IMAGE, Fixtures.IMAGE));
            e = assertThrows(IllegalArgumentException.class, () -> TriggerInversion.builder().build().invert(mlp, data));
            assertTrue(e.getMessage().contains("InterceptableSelfAttention"), e.getMessage());
        }
    }
}
