package org.atpatch.detector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trained detector as a component: online detection on NDArrays, save/load, and the clear
 * failures of the reliability contract (docs/architecture.md, "Design decisions": reliability
 * contract). Accuracy is {@link DetectorTrainerTest}'s
 * business; the detector here is trained briefly on a small two-layer set. One concrete test class
 * per architecture runs these.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AttentionDetectorTest {

    private static final int N = 9;
    private static final int L = 2;
    private NDManager manager;
    private DetectorTrainingData data;
    private AttentionDetector detector;

    @TempDir
    Path dir;

    /** @return the architecture under test */
    abstract DetectorArchitecture.Kind kind();

    /** @return epochs that give the architecture a usable detector on the small training set */
    int epochs() {
        return 3;
    }

    @BeforeAll
    void train() {
        DjlOffline.configure();
        manager = NDManager.newBaseManager();
        data = new SyntheticAttention(N, 2, SyntheticAttention.THREE_LAYERS[0], SyntheticAttention.THREE_LAYERS[1])
                .pairs(40, 5);
        detector = new DetectorTrainer(DetectorConfig.paper().toBuilder()
                        .optArchitecture(kind())
                        .optEpochs(epochs())
                        .optLearningRate(3e-3)
                        .optProgressBar(false)
                        .build())
                .train(data);
    }

    @AfterAll
    void close() {
        detector.close();
        manager.close();
    }

    /** The first {@code count} maps of a layer, as {@code (count, N, N)} in {@code m}. */
    private NDArray maps(NDManager m, int layer, int count) {
        float[] flat = new float[count * N * N];
        int k = 0;
        for (int i = 0; i < data.size() && k < count; i++) {
            if (data.layer(i) == layer) {
                System.arraycopy(data.map(i), 0, flat, k++ * N * N, N * N);
            }
        }
        return m.create(flat, new Shape(count, N, N));
    }

    @Test
    void saveThenLoadGivesIdenticalProbabilities() throws Exception {
        Path file = dir.resolve("detector.atpd");
        detector.save(file);
        try (AttentionDetector loaded = AttentionDetector.load(file)) {
            float[][] a = detector.probabilities(data);
            float[][] b = loaded.probabilities(data);
            for (int i = 0; i < a.length; i++) {
                assertArrayEquals(a[i], b[i], "map " + i + " differs after save and load");
            }
            try (NDManager m = manager.newSubManager()) {
                NDArray x = maps(m, 1, 6);
                assertArrayEquals(detector.detect(x, 1).toFloatArray(), loaded.detect(x, 1).toFloatArray());
            }
            assertEquals(detector.architecture(), loaded.architecture());
            assertEquals(detector.tau(), loaded.tau());
            assertEquals(detector.provenance().data(), loaded.provenance().data());
            assertEquals(detector.provenance().seed(), loaded.provenance().seed());
            assertEquals(detector.provenance().config().get("learningRate"),
                    loaded.provenance().config().get("learningRate"));
            assertEquals(detector.provenance().validation(), loaded.provenance().validation());
        }
    }

    @Test
    void detectAllIsOneBatchedCallThatMatchesPerLayerDetection() {
        try (NDManager m = manager.newSubManager()) {
            List<NDArray> perLayer = List.of(maps(m, 0, 5), maps(m, 1, 5));
            NDArray all = detector.detectAll(perLayer);
            assertEquals(new Shape(5, L, N), all.getShape());
            for (int l = 0; l < L; l++) {
                float[] one = detector.detect(perLayer.get(l), l).toFloatArray();
                float[] batched = all.get(":, " + l + ", :").toFloatArray();
                for (int i = 0; i < one.length; i++) {
                    assertEquals(one[i], batched[i], 1e-5, "layer " + l + " value " + i);
                }
            }
        }
    }

    @Test
    void detectAllMatchesPerLayerDetectionWhetherItStacksTheMapsOrNot() {
        // 5 maps a layer are stacked before the column statistics, 7,000 (L·B·N² above 2^20) reduced layer
        // by layer.
        for (int batch : new int[] {5, 7000}) {
            try (NDManager m = manager.newSubManager()) {
                List<NDArray> perLayer = new ArrayList<>();
                for (int l = 0; l < L; l++) {
                    NDArray r = m.randomUniform(0.01f, 1f, new Shape(batch, N, N));
                    perLayer.add(r.div(r.sum(new int[] {2}, true)));
                }
                NDArray all = detector.detectAll(perLayer);
                assertEquals(new Shape(batch, L, N), all.getShape());
                for (int l = 0; l < L; l++) {
                    assertArrayEquals(detector.detect(perLayer.get(l), l).toFloatArray(),
                            all.get(":, " + l + ", :").toFloatArray(), 1e-5f, "batch " + batch + ", layer " + l);
                }
            }
        }
    }

    @Test
    void gradientsReachTheMapsThroughDetectAllAndLeaveItsValuesUnchanged() {
        // An adaptive attacker differentiates the detector's output with respect to the maps.
        try (NDManager m = manager.newSubManager()) {
            List<NDArray> perLayer = List.of(maps(m, 0, 3), maps(m, 1, 3));
            float[] plain = detector.detectAll(perLayer).toFloatArray();
            float[] grad0;
            float[] traced;
            try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                perLayer.forEach(a -> a.setRequiresGradient(true));
                NDArray p = detector.detectAll(perLayer);
                traced = p.toFloatArray();
                gc.backward(p.sum());
                grad0 = perLayer.get(0).getGradient().toFloatArray();
            }
            assertArrayEquals(plain, traced, 1e-6f, "tracing gradients changed the probabilities");
            double norm = 0;
            for (float g : grad0) {
                assertTrue(Float.isFinite(g), "a gradient is not finite");
                norm += g * (double) g;
            }
            norm = Math.sqrt(norm);
            assertTrue(norm > 0, "no gradient reached the maps");
            // Along the gradient, the sum of probabilities changes at the rate the gradient says.
            double h = 1e-3;
            NDArray direction = m.create(grad0, perLayer.get(0).getShape()).div((float) norm);
            NDArray one = perLayer.get(1).stopGradient();
            double up = detector.detectAll(List.of(perLayer.get(0).stopGradient().add(direction.mul((float) h)), one))
                    .sum().getFloat();
            double down = detector.detectAll(List.of(perLayer.get(0).stopGradient().sub(direction.mul((float) h)), one))
                    .sum().getFloat();
            assertEquals(norm, (up - down) / (2 * h), 0.05 * norm + 1e-3, "directional derivative");
        }
    }

    @Test
    void resultsLandInTheCallersManagerAndNothingStaysBehind() {
        int before = detector.managedArrayCount();
        try (NDManager m = manager.newSubManager()) {
            NDArray x = maps(m, 0, 4);
            for (int i = 0; i < 20; i++) {
                NDArray p = detector.detect(x, 0);
                assertSame(m, p.getManager());
                NDArray q = detector.detectAll(List.of(x, x));
                assertSame(m, q.getManager());
            }
            // The input, and the 40 results, nothing else.
            assertEquals(41, m.getManagedArrays().size());
            assertTrue(x.getShape().equals(new Shape(4, N, N)), "the input is untouched");
        }
        assertEquals(before, detector.managedArrayCount(), "the detector's own manager grew");
    }

    @Test
    void wrongShapeNOrLayerIsRefusedWithAClearMessage() {
        try (NDManager m = manager.newSubManager()) {
            IllegalArgumentException n = assertThrows(IllegalArgumentException.class,
                    () -> detector.detect(m.zeros(new Shape(2, 10, 10)), 0));
            assertTrue(n.getMessage().contains("N = 10") && n.getMessage().contains("N = 9"), n.getMessage());
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> detector.detect(m.zeros(new Shape(2, 9, 8)), 0));
            assertTrue(shape.getMessage().contains("(batch, N, N)"), shape.getMessage());
            IllegalArgumentException layer = assertThrows(IllegalArgumentException.class,
                    () -> detector.detect(maps(m, 0, 1), 2));
            assertTrue(layer.getMessage().contains("layer 2"), layer.getMessage());
            IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                    () -> detector.detectAll(List.of(maps(m, 0, 1))));
            assertTrue(count.getMessage().contains("1 layers"), count.getMessage());
            IllegalArgumentException data17 = assertThrows(IllegalArgumentException.class,
                    () -> detector.probabilities(new SyntheticAttention(17, 2, SyntheticAttention.DEFAULT).pairs(1, 1)));
            assertTrue(data17.getMessage().contains("N = 17"), data17.getMessage());
        }
    }

    @Test
    void nanOrInfiniteMapsAreRefused() {
        try (NDManager m = manager.newSubManager()) {
            float[] v = maps(m, 0, 2).toFloatArray();
            v[7] = Float.NaN;
            NDArray nan = m.create(v, new Shape(2, N, N));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> detector.detect(nan, 0));
            assertTrue(e.getMessage().contains("NaN"), e.getMessage());
            v[7] = Float.POSITIVE_INFINITY;
            NDArray inf = m.create(v, new Shape(2, N, N));
            assertThrows(IllegalArgumentException.class, () -> detector.detectAll(List.of(maps(m, 0, 2), inf)));
        }
    }

    @Test
    void concurrentCallsGiveTheSingleThreadedResults() throws Exception {
        float[][] expected = new float[L][];
        try (NDManager m = manager.newSubManager()) {
            for (int l = 0; l < L; l++) {
                expected[l] = detector.detect(maps(m, l, 8), l).toFloatArray();
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int layer = t % L;
                futures.add(pool.submit(() -> {
                    boolean same = true;
                    for (int i = 0; i < 15; i++) {
                        try (NDManager m = manager.newSubManager()) {
                            same &= Arrays.equals(expected[layer], detector.detect(maps(m, layer, 8), layer).toFloatArray());
                        }
                    }
                    return same;
                }));
            }
            for (Future<Boolean> f : futures) {
                assertTrue(f.get(), "a concurrent call differed from the single-threaded result");
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void truncatedCorruptForeignAndMismatchedFilesFailClearly() throws Exception {
        Path good = dir.resolve("good.atpd");
        detector.save(good);
        byte[] bytes = Files.readAllBytes(good);

        Path truncated = dir.resolve("truncated.atpd");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
        assertLoadFails(truncated, "truncated");

        Path flipped = dir.resolve("flipped.atpd");
        byte[] f = bytes.clone();
        f[bytes.length - 100] ^= 0x10;
        Files.write(flipped, f);
        assertLoadFails(flipped, "checksum");

        Path foreign = dir.resolve("foreign.atpd");
        Files.write(foreign, "{\"not\": \"a detector\"}".getBytes(StandardCharsets.UTF_8));
        assertLoadFails(foreign, "not an AtPatch detector file");

        Path empty = dir.resolve("empty.atpd");
        Files.write(empty, new byte[0]);
        assertLoadFails(empty, "not an AtPatch detector file");

        Path future = dir.resolve("future.atpd");
        byte[] v = bytes.clone();
        v[11] = 9; // format version 9
        Files.write(future, v);
        assertLoadFails(future, "format version 9");

        assertLoadFails(dir.resolve("missing.atpd"), "no such file");

        DetectorArchitecture other = detector.architecture().toBuilder().optTokens(17).optHiddenSize(16).build();
        DetectorFileException arch = assertThrows(DetectorFileException.class,
                () -> AttentionDetector.load(good, other, null));
        assertTrue(arch.getMessage().contains("another architecture") && arch.getMessage().contains("tokens 9 vs 17")
                && arch.getMessage().contains("hiddenSize 32 vs 16"), arch.getMessage());
        // The good file still loads.
        try (AttentionDetector ok = AttentionDetector.load(good, detector.architecture(), null)) {
            assertEquals(N, ok.tokens());
        }
    }

    @Test
    void parametersOfAnotherArchitectureAreRefused() throws Exception {
        DetectorArchitecture other = detector.architecture().toBuilder().optColumnChannels(4).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AttentionDetector.fromParameters(other, detector.parameterBytes(), detector.provenance(), null, null));
        assertTrue(e.getMessage().contains("column_weight"), e.getMessage());
        DetectorArchitecture otherKind = detector.architecture().toBuilder()
                .optKind(kind() == DetectorArchitecture.Kind.PAPER_CNN ? DetectorArchitecture.Kind.COLUMN_STATISTICS
                        : DetectorArchitecture.Kind.PAPER_CNN).build();
        assertThrows(IllegalArgumentException.class,
                () -> AttentionDetector.fromParameters(otherKind, detector.parameterBytes(), detector.provenance(), null, null));
    }

    private static void assertLoadFails(Path file, String fragment) {
        DetectorFileException e = assertThrows(DetectorFileException.class, () -> AttentionDetector.load(file));
        assertTrue(e.getMessage().contains(fragment) && e.getMessage().contains(file.getFileName().toString()),
                "expected '" + fragment + "' in: " + e.getMessage());
    }

    @Test
    void tauCanBeChosenOnValidationDataAndIsRecorded() throws Exception {
        Path file = dir.resolve("tau.atpd");
        detector.save(file);
        try (AttentionDetector copy = AttentionDetector.load(file)) {
            TauSelection.Choice c = copy.selectTau(TauSelection.targetFpr(0.05), data);
            assertEquals(c.tau(), copy.tau());
            assertEquals("targetFpr(0.05)", copy.provenance().tauMethod());
            assertTrue(copy.provenance().validation().fpr() <= 0.05 || c.metrics().fpr() == c.metrics().fpr());
            copy.save(file);
            try (AttentionDetector again = AttentionDetector.load(file)) {
                assertEquals(c.tau(), again.tau(), "τ is saved with the detector");
                assertEquals("targetFpr(0.05)", again.provenance().tauMethod());
            }
            assertThrows(IllegalArgumentException.class, () -> copy.setTau(1.0));
        }
    }

    @Test
    void evaluationGivesStrictMetricsAucAndAPrCurveCsv() throws Exception {
        DetectorEvaluation ev = detector.evaluate(data);
        assertEquals(data.size(), ev.metrics().tp() + ev.metrics().fp() + ev.metrics().tn() + ev.metrics().fn());
        assertTrue(ev.rocAuc() >= 0 && ev.rocAuc() <= 1.0, "AUC " + ev.rocAuc()); // briefly trained: any value
        String csv = ev.prCurveCsv();
        assertTrue(csv.startsWith("tau,precision,recall,f1,fpr,fnr,tp,fp,tn,fn\n"), csv.substring(0, 60));
        assertEquals(100, csv.split("\n").length);
        Path out = dir.resolve("pr.csv");
        ev.writePrCurveCsv(out);
        assertEquals(csv, Files.readString(out));
    }

    @Test
    void provenanceWithoutValidationDataSurvivesTheFile() throws Exception {
        DetectorConfig config = DetectorConfig.paper().toBuilder()
                .optEpochs(1)
                .optValidationFraction(0)
                .optProgressBar(false)
                .build();
        Path file = dir.resolve("novalidation.atpd");
        try (AttentionDetector d = new DetectorTrainer(config).train(new SyntheticAttention(N, 2, SyntheticAttention.DEFAULT)
                .pairs(8, 9))) {
            assertTrue(Double.isNaN(d.provenance().training().bestValidationLoss()));
            assertEquals("none", d.provenance().tauChosenOn());
            assertEquals(0, d.provenance().data().validationMaps());
            d.save(file);
            try (AttentionDetector loaded = AttentionDetector.load(file)) {
                assertTrue(Double.isNaN(loaded.provenance().training().bestValidationLoss()));
                assertEquals(d.provenance().data(), loaded.provenance().data());
                assertEquals(1, loaded.layers());
            }
        }
    }

    @Test
    void aClosedDetectorRefusesWork() throws Exception {
        Path file = dir.resolve("closed.atpd");
        detector.save(file);
        AttentionDetector d = AttentionDetector.load(file);
        d.close();
        try (NDManager m = manager.newSubManager()) {
            assertThrows(IllegalStateException.class, () -> d.detect(maps(m, 0, 1), 0));
        }
        d.close(); // idempotent
    }
}
