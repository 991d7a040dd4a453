package org.atpatch.spark;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores one partition: takes the JVM's cached model, reads up to {@code batchSize} rows at a time,
 * scores the good ones as one batch and emits each row with its scored columns, in input order.
 * Rows are pulled as the output is consumed, so a partition is never held in memory whole.
 */
final class PartitionScorer implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PartitionScorer.class);

    private final ModelSource source;
    private final Broadcast<byte[]> hadoopConf;
    private final int inputColumn;
    private final int batchSize;
    private final boolean failFast;

    PartitionScorer(ModelSource source, Broadcast<byte[]> hadoopConf, int inputColumn, int batchSize, boolean failFast) {
        this.source = source;
        this.hadoopConf = hadoopConf;
        this.inputColumn = inputColumn;
        this.batchSize = batchSize;
        this.failFast = failFast;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) throws IOException {
        LoadedModel model = ExecutorModels.get(source, () -> HadoopFiles.deserialise(hadoopConf.value()));
        return new Batches(model, rows);
    }

    /** The output iterator: one batch of input rows scored whenever its buffer runs dry. */
    private final class Batches implements Iterator<Row> {
        private final LoadedModel model;
        private final Iterator<Row> in;
        private final ArrayDeque<Row> out = new ArrayDeque<>();
        private final int size;
        private final String shape;
        private final float[] buffer;
        private long rowIndex;

        Batches(LoadedModel model, Iterator<Row> in) {
            this.model = model;
            this.in = in;
            this.size = model.sampleSize();
            this.shape = model.sampleShape().toString();
            this.buffer = new float[batchSize * size];
        }

        @Override
        public boolean hasNext() {
            while (out.isEmpty() && in.hasNext()) {
                scoreNextBatch();
            }
            return !out.isEmpty();
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return out.poll();
        }

        private void scoreNextBatch() {
            List<Row> rows = new ArrayList<>(batchSize);
            String[] errors = new String[batchSize];
            int good = 0;
            while (rows.size() < batchSize && in.hasNext()) {
                Row r = in.next();
                String error = r.isNullAt(inputColumn) ? "the input is null"
                        : RowInputs.read(r.getList(inputColumn), buffer, good * size, size, shape);
                if (error != null && failFast) {
                    throw new IllegalArgumentException(where(rowIndex) + ": " + error + " (fail-fast scoring)");
                }
                errors[rows.size()] = error;
                good += error == null ? 1 : 0;
                rows.add(r);
                rowIndex++;
            }
            Scores scores = good == 0 ? null : scoreGood(rows, errors, good);
            int k = 0;
            for (int i = 0; i < rows.size(); i++) {
                if (errors[i] != null) {
                    out.add(ScoredColumns.failed(rows.get(i), errors[i]));
                } else {
                    out.add(scores.row(rows.get(i), k++));
                }
            }
        }

        /** The good rows of the buffer as one batch; if the model refuses it, row by row to find the bad ones. */
        private Scores scoreGood(List<Row> rows, String[] errors, int good) {
            try {
                return Scores.of(model.score(Arrays.copyOf(buffer, good * size), good));
            } catch (RuntimeException e) {
                if (failFast || good == 1) {
                    if (failFast) {
                        throw new IllegalArgumentException(where(rowIndex - rows.size()) + " (batch of " + good
                                + " rows): the model refused the batch: " + e.getMessage(), e);
                    }
                    markRefused(rows, errors, 0, e);
                    return null;
                }
                LOG.warn("the model refused a batch of {} rows ({}); scoring them one at a time", good, e.getMessage());
                return oneByOne(rows, errors, good);
            }
        }

        private Scores oneByOne(List<Row> rows, String[] errors, int good) {
            List<LoadedModel.Batch> singles = new ArrayList<>(good);
            int k = 0;
            for (int i = 0; i < rows.size(); i++) {
                if (errors[i] != null) {
                    continue;
                }
                try {
                    singles.add(model.score(Arrays.copyOfRange(buffer, k * size, (k + 1) * size), 1));
                } catch (RuntimeException e) {
                    markRefused(rows, errors, i, e);
                }
                k++;
            }
            return Scores.ofSingles(singles);
        }

        private void markRefused(List<Row> rows, String[] errors, int from, RuntimeException e) {
            for (int i = from; i < rows.size(); i++) {
                if (errors[i] == null) {
                    errors[i] = "the model refused the sample: " + e.getMessage();
                    return;
                }
            }
        }

        private String where(long index) {
            TaskContext task = TaskContext.get();
            return "row " + index + " of partition " + (task == null ? "?" : task.partitionId());
        }
    }

    /**
     * The scored good rows of one buffer, in order: one batch, or one single-row batch per row after
     * the model refused the batch.
     */
    private record Scores(List<LoadedModel.Batch> batches, boolean singles) {

        static Scores of(LoadedModel.Batch batch) {
            return new Scores(List.of(batch), false);
        }

        static Scores ofSingles(List<LoadedModel.Batch> singles) {
            return new Scores(singles, true);
        }

        /** @param k the index among the good rows of the buffer */
        Row row(Row input, int k) {
            LoadedModel.Batch b = singles ? batches.get(k) : batches.get(0);
            int i = singles ? 0 : k;
            int c = b.classes();
            float[] logits = Arrays.copyOfRange(b.logits(), i * c, (i + 1) * c);
            return ScoredColumns.scored(input, logits, b.reports() == null ? null : b.reports().get(i));
        }
    }
}
