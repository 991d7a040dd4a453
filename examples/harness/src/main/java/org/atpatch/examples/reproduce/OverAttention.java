package org.atpatch.examples.reproduce;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.atpatch.core.LayerAttention;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The over-attention the paper assumes, measured: the mean attention mass on a set of token columns
 * (a protected attribute's, a trigger's) in the maps of anomalous inputs against the maps of clean
 * inputs, per layer and head, averaged over all query rows and, where the layout leads with CLS, on
 * the CLS row alone (the row the classifier reads). Mass is the sum over the columns of the map's
 * entries, so 1 means a row attends only to those columns.
 *
 * <p>For a windowed model (one with a layer of several maps per sample,
 * {@link InterceptableTransformer#firstWindowedLayer}: Swin), the columns are tokens of the sample's
 * finest grid ({@link InterceptableTransformer#sampleTokens});
 * each window map's columns are those that stand for one of them in its layer (shift, patch merging),
 * and the means run over the window maps that hold at least one, in anomalous and clean inputs alike.
 * Windowed maps have no CLS row.
 */
public final class OverAttention {

    /**
     * One (layer, head).
     *
     * @param layer the layer
     * @param head the head
     * @param anomalousAll mean mass on the columns over all rows of anomalous maps
     * @param cleanAll the same over clean maps
     * @param anomalousCls mean mass on the columns in the CLS row of anomalous maps (NaN without CLS)
     * @param cleanCls the same over clean maps
     */
    public record Cell(int layer, int head, double anomalousAll, double cleanAll, double anomalousCls, double cleanCls) {
        /** @return anomalous over clean mass, all rows */
        public double ratioAll() {
            return anomalousAll / cleanAll;
        }

        /** @return anomalous over clean mass, CLS row (NaN without CLS) */
        public double ratioCls() {
            return anomalousCls / cleanCls;
        }
    }

    private final List<Cell> cells;

    private OverAttention(List<Cell> cells) {
        this.cells = List.copyOf(cells);
    }

    /**
     * Records both input sets and measures the column mass.
     *
     * @param model the victim
     * @param anomalous inputs whose maps should over-attend (non-empty)
     * @param clean clean inputs (non-empty)
     * @param sample one input's shape
     * @param columns the token columns (non-empty): of the maps, or for windowed attention of the
     *     sample's finest token grid
     * @param clsRow whether row 0 is a CLS token (never for windowed attention)
     * @param batchSize inputs per recorded forward
     * @return the measurement
     */
    public static OverAttention measure(Model model, List<float[]> anomalous, List<float[]> clean, Shape sample,
            int[] columns, boolean clsRow, int batchSize) {
        if (anomalous.isEmpty() || clean.isEmpty() || columns.length == 0) {
            throw new IllegalArgumentException("over-attention needs anomalous inputs, clean inputs and columns, got "
                    + anomalous.size() + ", " + clean.size() + ", " + columns.length);
        }
        if (clsRow && model.getBlock() instanceof InterceptableTransformer t && t.firstWindowedLayer() >= 0) {
            throw new IllegalArgumentException("over-attention on the CLS row asked for, but the model's attention is "
                    + "windowed from layer " + t.firstWindowedLayer() + " and its window maps have no CLS row");
        }
        double[][][] a = mass(model, anomalous, sample, columns, clsRow, batchSize);
        double[][][] c = mass(model, clean, sample, columns, clsRow, batchSize);
        List<Cell> cells = new ArrayList<>();
        for (int l = 0; l < a[0].length; l++) {
            for (int h = 0; h < a[0][l].length; h++) {
                cells.add(new Cell(l, h, a[0][l][h], c[0][l][h], clsRow ? a[1][l][h] : Double.NaN,
                        clsRow ? c[1][l][h] : Double.NaN));
            }
        }
        return new OverAttention(cells);
    }

    /**
     * @return {all rows, CLS row} × layer × head mean masses, averaged over the maps that hold at
     *     least one of the columns
     */
    private static double[][][] mass(Model model, List<float[]> inputs, Shape sample, int[] columns, boolean clsRow,
            int batchSize) {
        LabelledData all = LabelledData.unlabelled(inputs, sample);
        double[][][] sum = null;
        long[] maps = null;
        for (int from = 0; from < inputs.size(); from += batchSize) {
            int to = Math.min(inputs.size(), from + batchSize);
            List<LayerAttention> layers;
            List<INDArray> weights = new ArrayList<>();
            try (NDManager m = model.getNDManager().newSubManager()) {
                layers = AttentionRecorder.recordLayers(model, all.batch(m, from, to));
                for (int l = 0; l < layers.size(); l++) {
                    weights.add(columnWeights(model, m, l, to - from, layers.get(l), columns));
                }
            }
            if (sum == null) {
                sum = new double[2][layers.size()][layers.get(0).heads()];
                maps = new long[layers.size()];
            }
            for (int l = 0; l < layers.size(); l++) {
                INDArray w = weights.get(l); // (M, N), 1 on the columns
                long n = w.size(1);
                INDArray maskedMaps = layers.get(l).maps().mul(w.reshape(w.size(0), 1, 1, n)); // (M, H, N, N)
                INDArray onColumns = maskedMaps.sum(3); // (M, H, N): each row's mass on the columns
                INDArray holds = w.max(1).reshape(1, w.size(0)); // (1, M): 1 where the map holds a column
                INDArray allRows = holds.mmul(onColumns.mean(2)); // (1, H): sum over those maps of the row mean
                INDArray cls = holds.mmul(onColumns.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0)));
                maps[l] += holds.sumNumber().longValue();
                for (int h = 0; h < sum[0][l].length; h++) {
                    sum[0][l][h] += allRows.getDouble(0, h);
                    sum[1][l][h] += clsRow ? cls.getDouble(0, h) : 0;
                }
            }
        }
        for (double[][] part : sum) {
            for (int l = 0; l < part.length; l++) {
                for (int h = 0; h < part[l].length; h++) {
                    part[l][h] /= maps[l];
                }
            }
        }
        return sum;
    }

    /**
     * The columns as {@code (M, N)} 0/1 weights over the layer's {@code M} maps: the same row for every
     * map of a model with one map per sample; for a windowed model, whose columns are finest-grid
     * tokens, each map's columns that stand for one of them in this layer
     * ({@link InterceptableTransformer#unfoldToMaps}, at every layer, merged stages included), so only
     * the windows that hold the columns have any.
     */
    private static INDArray columnWeights(Model model, NDManager manager, int layer, int batch, LayerAttention maps,
            int[] columns) {
        int m = maps.batchSize();
        int n = maps.tokens();
        if (model.getBlock() instanceof InterceptableTransformer t && t.firstWindowedLayer() >= 0) {
            float[] perSample = new float[batch * t.sampleTokens()];
            for (int b = 0; b < batch; b++) {
                for (int c : columns) {
                    perSample[b * t.sampleTokens() + checked(c, t.sampleTokens())] = 1;
                }
            }
            float[] perMap = t.unfoldToMaps(layer, manager.create(perSample, new Shape(batch, t.sampleTokens())))
                    .toFloatArray();
            return Nd4j.create(perMap, new long[] {m, n});
        }
        float[] row = new float[n];
        for (int c : columns) {
            row[checked(c, n)] = 1;
        }
        return Nd4j.create(row, new long[] {1, n}).repeat(0, m);
    }

    private static int checked(int column, int tokens) {
        if (column < 0 || column >= tokens) {
            throw new IllegalArgumentException("over-attention column " + column + " is outside the " + tokens
                    + " tokens of the maps");
        }
        return column;
    }

    /** @return one cell per (layer, head), layers in order */
    public List<Cell> cells() {
        return cells;
    }

    /** @return the largest all-rows ratio of anomalous to clean mass over every layer and head */
    public double maxRatioAll() {
        return cells.stream().mapToDouble(Cell::ratioAll).max().orElse(Double.NaN);
    }

    /** @return the largest CLS-row ratio over every layer and head (NaN without CLS) */
    public double maxRatioCls() {
        return cells.stream().mapToDouble(Cell::ratioCls).max().orElse(Double.NaN);
    }

    /**
     * Adds the cells to a table with columns {@code configuration, layer, head, anomalous_all,
     * clean_all, ratio_all, anomalous_cls, clean_cls, ratio_cls}.
     *
     * @param table the table
     * @param configuration the row label
     */
    public void addTo(ResultTable table, String configuration) {
        for (Cell c : cells) {
            table.add(configuration, c.layer(), c.head(), c.anomalousAll(), c.cleanAll(), c.ratioAll(), c.anomalousCls(),
                    c.cleanCls(), c.ratioCls());
        }
    }

    /** @return the header of {@link #addTo} */
    public static String[] header() {
        return new String[] {"configuration", "layer", "head", "anomalous_all", "clean_all", "ratio_all",
            "anomalous_cls", "clean_cls", "ratio_cls"};
    }
}
