package org.atpatch.examples.spark;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.when;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.debugset.PlantedBackdoor;
import org.atpatch.spark.PatchedScorer;

/**
 * The Spark example of docs/spark.md: trains the planted-backdoor victim and its bundle ({@link
 * PlantedVictim}), writes both, and scores clean and triggered images in an embedded Spark,
 * unpatched and patched, printing a few scored rows and the attack success rate (ASR: triggered
 * images sent to the target class) and accuracy on clean images before and after.
 *
 * <p>Options: {@code --master URL} (default {@code local[*]}), {@code --dir DIR} (where the files
 * go, default {@code target/spark-example}).
 */
public final class SparkScoringExample {

    private SparkScoringExample() {}

    /**
     * @param args the options above
     * @throws IOException when the files cannot be written
     */
    public static void main(String[] args) throws IOException {
        DjlOffline.configure();
        String master = "local[*]";
        Path dir = Path.of("target", "spark-example");
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--master" -> master = args[i + 1];
                case "--dir" -> dir = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--master URL, --dir DIR)");
            }
        }
        PlantedVictim.VictimFiles files = PlantedVictim.write(dir);
        String weights = files.weights().toAbsolutePath().toString();
        String bundle = files.bundle().toAbsolutePath().toString();
        SparkSession spark = SparkSession.builder().master(master).appName("atpatch-spark-example").getOrCreate();
        try {
            Dataset<Row> images = spark.createDataFrame(PlantedVictim.rows(), PlantedVictim.SCHEMA).repartition(4);
            // docs/spark.md:begin
            PatchedScorer scorer = PatchedScorer.builder()
                    .setModelFactory(PlantedVictim::newModel)  // builds the victim's architecture in each JVM
                    .setWeights(weights)                       // ModelWeights.save(victim, path); any Hadoop path or URI
                    .setBundle(bundle)                         // patchedModel.save(path)
                    .setInputColumn("features")                // array<float>: one image, flattened
                    .build();
            Dataset<Row> scored = scorer.score(images);        // loads and checks the bundle on the driver
            scored.select("id", "triggered", "label", "prediction", "patched", "flagged_layers", "flagged_columns", "error")
                    .show(6, false);
            // docs/spark.md:end
            Dataset<Row> unpatched = PatchedScorer.builder().setModelFactory(PlantedVictim::newModel).setWeights(weights)
                    .setUnpatched().setInputColumn("features").build().score(images);
            summarise("unpatched", unpatched);
            summarise("patched", scored);
        } finally {
            spark.stop();
            PatchedScorer.closeCachedModels();
        }
    }

    private static void summarise(String name, Dataset<Row> scored) {
        Row r = scored.agg(
                avg(when(col("triggered"), col("prediction").equalTo(PlantedBackdoor.TARGET).cast("double"))).as("asr"),
                avg(when(col("triggered").equalTo(false), col("prediction").equalTo(col("label")).cast("double"))).as("acc"),
                avg(when(col("triggered"), col("patched").cast("double"))).as("patchedTriggered"),
                avg(when(col("triggered").equalTo(false), col("patched").cast("double"))).as("patchedClean"),
                avg(col("error").isNotNull().cast("double")).as("errors"))
                .first();
        System.out.printf(java.util.Locale.ROOT, "%-9s ASR %6.2f %%  clean accuracy %6.2f %%  patched: %6.2f %% of triggered,"
                + " %6.2f %% of clean  errors %.2f %%%n", name, 100 * r.getDouble(0), 100 * r.getDouble(1),
                100 * r.getDouble(2), 100 * r.getDouble(3), 100 * r.getDouble(4));
    }
}
