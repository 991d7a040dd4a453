package org.atpatch.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.atpatch.core.AnomalySet;
import org.atpatch.djl.PatchReport;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scorer in {@code local[2]} against the single-JVM {@link PatchedModel} on the same inputs: one
 * Spark application for the class, a tiny ViT and a bundle trained for two epochs.
 */
class PatchedScorerTest {

    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, true), true);

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static Model model;
    private static PatchedModel reference;
    private static String weights;
    private static String bundle;
    /** 30 images, every third with the square. */
    private static List<float[]> images;

    @BeforeAll
    static void setUp() throws IOException {
        model = ScoringFixture.victim();
        Path w = dir.resolve("vit.params");
        ModelWeights.save(model, w);
        Path b = dir.resolve("vit.atpatch");
        ScoringFixture.writeBundle(model, b);
        weights = w.toString();
        bundle = b.toUri().toString(); // a file: URI, read through Hadoop's local file system
        reference = PatchedModel.load(b, model);
        Random r = new Random(3);
        images = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            images.add(ScoringFixture.image(r, i % 3 == 0));
        }
        spark = SparkSession.builder().master("local[2]").appName("atpatch-spark-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) {
            spark.stop();
        }
        PatchedScorer.closeCachedModels();
        if (reference != null) {
            reference.close();
        }
        if (model != null) {
            model.close();
        }
    }

    private static PatchedScorer.Builder scorer() {
        return PatchedScorer.builder().setModelFactory(ScoringFixture::victim).setWeights(weights).setBundle(bundle)
                .setInputColumn("features");
    }

    private static Dataset<Row> frame(List<Row> rows, int partitions) {
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions),
                SCHEMA);
    }

    private static List<Row> rows(List<float[]> xs) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < xs.size(); i++) {
            rows.add(RowFactory.create(i, xs.get(i)));
        }
        return rows;
    }

    /** The single-JVM patched model's output on one batch, on the host. */
    private record Reference(float[] logits, int classes, List<PatchReport> reports) {

        float[] logits(int i) {
            return Arrays.copyOfRange(logits, i * classes, (i + 1) * classes);
        }
    }

    private static Reference predict(List<float[]> batch) {
        try (NDManager m = model.getNDManager().newSubManager()) {
            float[] flat = new float[batch.size() * ScoringFixture.SAMPLE];
            for (int i = 0; i < batch.size(); i++) {
                System.arraycopy(batch.get(i), 0, flat, i * ScoringFixture.SAMPLE, ScoringFixture.SAMPLE);
            }
            PatchResult r = reference.predictWithReport(m.create(flat, new Shape(batch.size(), 1, Fixtures.IMAGE, Fixtures.IMAGE)));
            return new Reference(r.logits().toFloatArray(), (int) r.logits().getShape().get(1), r.reports());
        }
    }

    private static float[] logits(Row row) {
        List<Float> l = row.getList(row.fieldIndex(ScoredColumns.LOGITS));
        float[] out = new float[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = l.get(i);
        }
        return out;
    }

    /** The report as the scorer's columns hold it. */
    private static PatchReport report(Row row) {
        List<AnomalySet.LayerFlags> layers = new ArrayList<>();
        for (Row f : row.<Row>getList(row.fieldIndex(ScoredColumns.FLAGS))) {
            List<Integer> c = f.getList(1);
            List<Float> p = f.getList(2);
            float[] probs = new float[p.size()];
            for (int i = 0; i < probs.length; i++) {
                probs[i] = p.get(i);
            }
            layers.add(new AnomalySet.LayerFlags(f.getInt(0), c.stream().mapToInt(Integer::intValue).toArray(), probs));
        }
        return new PatchReport(new AnomalySet(layers), row.getBoolean(row.fieldIndex(ScoredColumns.PATCHED)));
    }

    private static void assertSameAsReference(Row row, float[] refLogits, PatchReport ref) {
        int id = row.getInt(0);
        assertNull(row.get(row.fieldIndex(ScoredColumns.ERROR)), "row " + id);
        assertArrayEquals(refLogits, logits(row), 0f, "row " + id + ": logits bit for bit");
        assertEquals(ScoredColumns.argmax(refLogits), row.getInt(row.fieldIndex(ScoredColumns.PREDICTION)));
        assertEquals(ref, report(row), "row " + id);
        assertArrayEquals(ref.flags().union(), row.<Integer>getList(row.fieldIndex(ScoredColumns.FLAGGED_COLUMNS))
                .stream().mapToInt(Integer::intValue).toArray());
        assertArrayEquals(ref.flags().layers().stream().mapToInt(AnomalySet.LayerFlags::layer).toArray(),
                row.<Integer>getList(row.fieldIndex(ScoredColumns.FLAGGED_LAYERS)).stream().mapToInt(Integer::intValue).toArray());
    }

    @Test
    void sameBatchesGiveThePatchedModelsLogitsBitForBitAndItsReports() {
        int batch = 4;
        List<Row> out = scorer().optBatchSize(batch).build().score(frame(rows(images), 3))
                .withColumn("partition", functions.spark_partition_id()).collectAsList();
        assertEquals(images.size(), out.size());
        Map<Integer, List<Row>> byPartition = new TreeMap<>();
        for (Row r : out) {
            byPartition.computeIfAbsent(r.getInt(r.fieldIndex("partition")), p -> new ArrayList<>()).add(r);
        }
        assertEquals(3, byPartition.size());
        int patched = 0;
        for (List<Row> part : byPartition.values()) {
            part.sort(Comparator.comparingInt(r -> r.getInt(0)));
            for (int from = 0; from < part.size(); from += batch) {
                List<Row> chunk = part.subList(from, Math.min(part.size(), from + batch));
                Reference ref = predict(chunk.stream().map(r -> images.get(r.getInt(0))).toList());
                for (int i = 0; i < chunk.size(); i++) {
                    assertSameAsReference(chunk.get(i), ref.logits(i), ref.reports().get(i));
                    patched += ref.reports().get(i).patched() ? 1 : 0;
                }
            }
        }
        assertTrue(patched > 0 && patched < images.size(), "the comparison covers patched and clean rows: " + patched);
    }

    @Test
    void otherBatchesAgreeWithinRoundingOfTheBatchedKernels() {
        // Another batch composition: PyTorch's CPU kernels may block the batch's matrix products
        // differently, so logits may differ in the last bits; decisions and reports must not.
        List<Row> out = scorer().optBatchSize(7).build().score(frame(rows(images), 2)).orderBy("id").collectAsList();
        Reference ref = predict(images);
        for (Row row : out) {
            int id = row.getInt(0);
            assertArrayEquals(ref.logits(id), logits(row), 1e-5f, "row " + id);
            PatchReport r = report(row);
            PatchReport e = ref.reports().get(id);
            assertEquals(e.patched(), r.patched(), "row " + id);
            assertArrayEquals(e.flags().union(), r.flags().union(), "row " + id);
        }
    }

    private static List<Row> withBadRows() {
        List<Row> rows = new ArrayList<>();
        float[] nan = images.get(1).clone();
        nan[3] = Float.NaN;
        rows.add(RowFactory.create(0, images.get(0)));
        rows.add(RowFactory.create(1, nan));
        rows.add(RowFactory.create(2, images.get(2)));
        rows.add(RowFactory.create(3, Arrays.copyOf(images.get(3), ScoringFixture.SAMPLE - 1)));
        rows.add(RowFactory.create(4, null));
        rows.add(RowFactory.create(5, images.get(5)));
        rows.add(RowFactory.create(6, images.get(6)));
        return rows;
    }

    @Test
    void badRowsGetAnErrorAndTheOthersTheirScores() {
        List<Row> out = scorer().optBatchSize(8).build().score(frame(withBadRows(), 1)).orderBy("id").collectAsList();
        int error = out.get(0).fieldIndex(ScoredColumns.ERROR);
        assertEquals("input value 3 is NaN", out.get(1).getString(error));
        assertTrue(out.get(3).getString(error).contains("63 values but the model takes 64"), out.get(3).getString(error));
        assertEquals("the input is null", out.get(4).getString(error));
        for (int bad : new int[] {1, 3, 4}) {
            for (String c : ScoredColumns.NAMES) {
                if (!c.equals(ScoredColumns.ERROR)) {
                    assertTrue(out.get(bad).isNullAt(out.get(bad).fieldIndex(c)), c);
                }
            }
        }
        // The good rows form one batch of four, without the bad ones: the same batch as the reference's.
        int[] good = {0, 2, 5, 6};
        Reference ref = predict(Arrays.stream(good).mapToObj(images::get).toList());
        for (int i = 0; i < good.length; i++) {
            assertSameAsReference(out.get(good[i]), ref.logits(i), ref.reports().get(i));
        }
    }

    @Test
    void doubleArraysAreScoredAsTheirFloat32Values() {
        StructType doubles = new StructType().add("id", DataTypes.IntegerType, false)
                .add("features", DataTypes.createArrayType(DataTypes.DoubleType, false), false);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            double[] x = new double[ScoringFixture.SAMPLE];
            for (int j = 0; j < x.length; j++) {
                x[j] = images.get(i)[j];
            }
            rows.add(RowFactory.create(i, x));
        }
        Dataset<Row> frame = spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, 1),
                doubles);
        List<Row> out = scorer().optBatchSize(5).build().score(frame).orderBy("id").collectAsList();
        Reference ref = predict(images.subList(0, 5));
        for (int i = 0; i < 5; i++) {
            assertSameAsReference(out.get(i), ref.logits(i), ref.reports().get(i));
        }
    }

    @Test
    void failFastFailsTheJobOnTheFirstBadRow() {
        Dataset<Row> scored = scorer().optFailFast(true).build().score(frame(withBadRows(), 1));
        SparkException e = assertThrows(SparkException.class, scored::collectAsList);
        assertTrue(e.getMessage().contains("row 1 of partition 0: input value 3 is NaN (fail-fast scoring)"), e.getMessage());
    }

    @Test
    void aBundleForAnotherModelFailsOnTheDriverBeforeAnyPartitionIsScored() throws IOException {
        Path widerWeights = dir.resolve("wider.params");
        try (Model wider = ScoringFixture.wider()) {
            ModelWeights.save(wider, widerWeights);
        }
        PatchedScorer mismatched = PatchedScorer.builder().setModelFactory(ScoringFixture::wider)
                .setWeights(widerWeights.toString()).setBundle(bundle).setInputColumn("features").build();
        int loads = ExecutorModels.loads();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> mismatched.score(frame(rows(images), 2)));
        assertTrue(e.getMessage().contains("the patch bundle at " + bundle + " does not match the model")
                && e.getMessage().contains("was made for model"), e.getMessage());
        assertEquals(loads, ExecutorModels.loads(), "a failed load is not cached");
    }

    @Test
    void missingFilesAndBadColumnsAreNamed() {
        UncheckedIOException missing = assertThrows(UncheckedIOException.class, () -> PatchedScorer.builder()
                .setModelFactory(ScoringFixture::victim).setWeights(dir.resolve("none.params").toString()).setBundle(bundle)
                .setInputColumn("features").build().score(frame(rows(images), 1)));
        assertTrue(missing.getMessage().contains("no weights file at " + dir.resolve("none.params")), missing.getMessage());
        IllegalArgumentException column = assertThrows(IllegalArgumentException.class,
                () -> scorer().setInputColumn("pixels").build().score(frame(rows(images), 1)));
        assertTrue(column.getMessage().contains("no column 'pixels'"), column.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> scorer().setInputColumn("id").build().score(frame(rows(images), 1)));
        assertTrue(type.getMessage().contains("must be array<float> or array<double>"), type.getMessage());
        IllegalArgumentException clash = assertThrows(IllegalArgumentException.class,
                () -> scorer().build().score(frame(rows(images), 1).withColumn("logits", functions.lit(1))));
        assertTrue(clash.getMessage().contains("already has a column 'logits'"), clash.getMessage());
    }

    @Test
    void eachJvmLoadsTheModelOnceForAllItsTasksAndJobs() throws IOException {
        Path copy = dir.resolve("copy.params");
        Files.copy(Path.of(weights), copy);
        PatchedScorer s = PatchedScorer.builder().setModelFactory(ScoringFixture::victim).setWeights(copy.toString())
                .setBundle(bundle).setInputColumn("features").optBatchSize(5).build();
        int before = ExecutorModels.loads();
        assertEquals(images.size(), s.score(frame(rows(images), 4)).count());
        assertEquals(images.size(), s.score(frame(rows(images), 3)).filter("error IS NULL").count());
        assertEquals(before + 1, ExecutorModels.loads(), "the driver's check and the four tasks of local[2] share one load");
    }

    @Test
    void unpatchedScoringIsTheVictimsOwnForward() {
        List<Row> out = PatchedScorer.builder().setModelFactory(ScoringFixture::victim).setWeights(weights).setUnpatched()
                .setInputColumn("features").optBatchSize(images.size()).build().score(frame(rows(images), 1))
                .orderBy("id").collectAsList();
        float[] expected;
        try (NDManager m = model.getNDManager().newSubManager()) {
            float[] flat = new float[images.size() * ScoringFixture.SAMPLE];
            for (int i = 0; i < images.size(); i++) {
                System.arraycopy(images.get(i), 0, flat, i * ScoringFixture.SAMPLE, ScoringFixture.SAMPLE);
            }
            expected = model.getBlock().forward(new ParameterStore(m, false),
                    new NDList(m.create(flat, new Shape(images.size(), 1, Fixtures.IMAGE, Fixtures.IMAGE))), false)
                    .singletonOrThrow().toFloatArray();
        }
        int classes = expected.length / images.size();
        for (Row row : out) {
            int id = row.getInt(0);
            assertArrayEquals(Arrays.copyOfRange(expected, id * classes, (id + 1) * classes), logits(row), 0f);
            assertFalse(row.getBoolean(row.fieldIndex(ScoredColumns.PATCHED)));
            assertTrue(row.getList(row.fieldIndex(ScoredColumns.FLAGS)).isEmpty());
        }
    }
}
