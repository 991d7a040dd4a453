package org.atpatch.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Scores a {@code Dataset<Row>} through a patched model: every row's input column (one sample,
 * flattened row-major, {@code array<float>} or {@code array<double>}) gets the model's prediction
 * and its patch report as the {@link ScoredColumns}.
 *
 * <p>Each JVM that scores builds the victim with the {@link ModelFactory}, reads the weights file
 * ({@link ModelWeights}) and the patch bundle ({@link org.atpatch.djl.PatchBundle}) once, from paths
 * or URIs that Hadoop's file systems read with the Spark application's Hadoop configuration (a local path
 * that every executor sees, {@code hdfs://}, {@code s3a://}, ...), and keeps them for its life,
 * keyed by the two paths. {@link #score} does the same on the driver first, so that a bundle made
 * for another model, unreadable files or a bad input column fail there, before any partition is
 * scored. Each partition is scored in batches of {@link Builder#optBatchSize} rows, one call of
 * {@link org.atpatch.djl.PatchedModel#predictWithReport} per batch: rows and reports equal the
 * single-JVM patched model's on the same batches (the logits bit for bit).
 *
 * <p>A row that cannot be scored (null, wrong length, NaN or infinite value, or a sample the model
 * refuses) gets its reason in {@link ScoredColumns#ERROR} and nulls elsewhere; the other rows of its
 * batch are scored without it (or, when the model refuses a whole batch, one at a time), so that
 * their logits may differ from a full batch's in the last bits. With {@link Builder#optFailFast} a
 * bad row fails the task, and so the job, with the row's partition, index and reason instead.
 *
 * <p>Immutable and thread-safe; it holds no native memory ({@link #closeCachedModels} frees the
 * models this JVM has cached).
 */
public final class PatchedScorer {

    private final ModelSource source;
    private final String inputColumn;
    private final int batchSize;
    private final boolean failFast;

    private PatchedScorer(Builder b) {
        this.source = new ModelSource(b.factory, b.weights, b.bundle, b.sampleShape);
        this.inputColumn = b.inputColumn;
        this.batchSize = b.batchSize;
        this.failFast = b.failFast;
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Adds the scored columns to a dataset. The model is loaded (once per JVM) and checked on the
     * driver now; the rows are scored when an action runs.
     *
     * @param input the rows to score; its other columns are passed through unchanged
     * @return the input's columns followed by {@link ScoredColumns#NAMES}, partitioned as the input
     * @throws IllegalArgumentException when the input column is missing or of another type, the input
     *     has a column the scorer adds, or the weights, bundle and model do not fit each other
     * @throws UncheckedIOException when the weights or the bundle cannot be read
     */
    public Dataset<Row> score(Dataset<Row> input) {
        StructType schema = input.schema();
        int column = inputColumnIndex(schema);
        StructType out = ScoredColumns.appendTo(schema);
        Configuration conf = input.sparkSession().sparkContext().hadoopConfiguration();
        try {
            ExecutorModels.get(source, () -> conf);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        Broadcast<byte[]> confBytes = JavaSparkContext.fromSparkContext(input.sparkSession().sparkContext())
                .broadcast(HadoopFiles.serialise(conf));
        return input.mapPartitions(new PartitionScorer(source, confBytes, column, batchSize, failFast), Encoders.row(out));
    }

    private int inputColumnIndex(StructType schema) {
        if (!Arrays.asList(schema.fieldNames()).contains(inputColumn)) {
            throw new IllegalArgumentException("the input has no column '" + inputColumn + "' (its columns: "
                    + Arrays.toString(schema.fieldNames()) + ")");
        }
        int i = schema.fieldIndex(inputColumn);
        DataType type = schema.fields()[i].dataType();
        if (!(type instanceof ArrayType a)
                || !(a.elementType().equals(DataTypes.FloatType) || a.elementType().equals(DataTypes.DoubleType))) {
            throw new IllegalArgumentException("the input column '" + inputColumn + "' must be array<float> or array<double>"
                    + " (one sample, flattened row-major), got " + type.simpleString()
                    + " (a Spark ML vector converts with org.apache.spark.ml.functions.vector_to_array)");
        }
        return i;
    }

    /**
     * Closes the models this JVM has loaded for scoring (the driver's, and in {@code local[*]} mode the
     * executors', which share its JVM). Scoring still in progress in this JVM then fails; a later
     * {@link #score} loads again.
     */
    public static void closeCachedModels() {
        ExecutorModels.closeAll();
    }

    /** Builds a {@link PatchedScorer}: the factory, the weights and the input column are required. */
    public static final class Builder {
        private ModelFactory factory;
        private String weights;
        private String bundle;
        private boolean unpatched;
        private String inputColumn;
        private long[] sampleShape;
        private int batchSize = 64;
        private boolean failFast;

        private Builder() {}

        /** @param factory builds the victim's architecture in each JVM @return this */
        public Builder setModelFactory(ModelFactory factory) {
            this.factory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /** @param weights the weights file ({@link ModelWeights#save}): a path or a Hadoop URI @return this */
        public Builder setWeights(String weights) {
            this.weights = Objects.requireNonNull(weights, "weights");
            return this;
        }

        /**
         * @param bundle the patch bundle ({@link org.atpatch.djl.PatchedModel#save}) made for this
         *     model: a path or a Hadoop URI
         * @return this
         */
        public Builder setBundle(String bundle) {
            this.bundle = Objects.requireNonNull(bundle, "bundle");
            return this;
        }

        /**
         * Scores with the victim's own forward and no bundle, as a baseline: {@link
         * ScoredColumns#PATCHED} is false and nothing is flagged on every row. Instead of {@link #setBundle}.
         *
         * @return this
         */
        public Builder setUnpatched() {
            this.unpatched = true;
            return this;
        }

        /** @param column the input column: one sample per row, flattened row-major @return this */
        public Builder setInputColumn(String column) {
            this.inputColumn = Objects.requireNonNull(column, "column");
            return this;
        }

        /**
         * @param shape one sample's input shape, without the batch axis; default: the model family's
         *     ({@code InterceptableTransformer.sampleInputShape}), required for other models
         * @return this
         */
        public Builder optSampleShape(long... shape) {
            this.sampleShape = shape.clone();
            return this;
        }

        /** @param rows rows per call of the model, at least 1; default 64 @return this */
        public Builder optBatchSize(int rows) {
            if (rows < 1) {
                throw new IllegalArgumentException("the batch size must be at least 1, got " + rows);
            }
            this.batchSize = rows;
            return this;
        }

        /** @param failFast whether a bad row fails the job instead of getting an error column; default false @return this */
        public Builder optFailFast(boolean failFast) {
            this.failFast = failFast;
            return this;
        }

        /** @return the scorer */
        public PatchedScorer build() {
            if (factory == null) {
                throw new IllegalArgumentException("setModelFactory(...) is required");
            }
            if (weights == null) {
                throw new IllegalArgumentException("setWeights(...) is required");
            }
            if (inputColumn == null) {
                throw new IllegalArgumentException("setInputColumn(...) is required");
            }
            if ((bundle == null) == !unpatched) {
                throw new IllegalArgumentException(bundle == null ? "setBundle(...) is required (or setUnpatched() for a"
                        + " baseline without AtPatch)" : "setBundle(...) and setUnpatched() exclude each other");
            }
            return new PatchedScorer(this);
        }
    }
}
