package org.atpatch.examples.reproduce;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.atpatch.core.LayerAttention;
import org.atpatch.djl.AttentionRecorder;
import org.atpatch.djl.LabelledData;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The over-attention the paper assumes, measured: the mean attention mass on a set of token columns
 * (a protected attribute's, a trigger's) in the maps of anomalous inputs against the maps of clean
 * inputs, per layer and head, averaged over all query rows and, where the layout leads with CLS, on
 * the CLS row alone (the row the classifier reads). Mass is the sum over the columns of the map's
 * entries, so 1 means a row attends only to those columns.
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
     * @param columns the token columns (non-empty)
     * @param clsRow whether row 0 is a CLS token
     * @param batchSize inputs per recorded forward
     * @return the measurement
     */
    public static OverAttention measure(Model model, List<float[]> anomalous, List<float[]> clean, Shape sample,
            int[] columns, boolean clsRow, int batchSize) {
        if (anomalous.isEmpty() || clean.isEmpty() || columns.length == 0) {
            throw new IllegalArgumentException("over-attention needs anomalous inputs, clean inputs and columns, got "
                    + anomalous.size() + ", " + clean.size() + ", " + columns.length);
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

    /** @return {all rows, CLS row} × layer × head mean masses */
    private static double[][][] mass(Model model, List<float[]> inputs, Shape sample, int[] columns, boolean clsRow,
            int batchSize) {
        LabelledData all = LabelledData.unlabelled(inputs, sample);
        double[][][] sum = null;
        for (int from = 0; from < inputs.size(); from += batchSize) {
            int to = Math.min(inputs.size(), from + batchSize);
            List<LayerAttention> layers;
            try (NDManager m = model.getNDManager().newSubManager()) {
                layers = AttentionRecorder.recordLayers(model, all.batch(m, from, to));
            }
            if (sum == null) {
                sum = new double[2][layers.size()][layers.get(0).heads()];
            }
            for (int l = 0; l < layers.size(); l++) {
                INDArray maps = layers.get(l).maps();
                INDArray onColumns = null;
                for (int c : columns) {
                    INDArray col = maps.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                            NDArrayIndex.point(c));
                    onColumns = onColumns == null ? col.dup() : onColumns.addi(col);
                }
                INDArray allRows = onColumns.mean(2).sum(0); // (H): sum over samples of the row mean
                INDArray cls = onColumns.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0)).sum(0);
                for (int h = 0; h < sum[0][l].length; h++) {
                    sum[0][l][h] += allRows.getDouble(h);
                    sum[1][l][h] += clsRow ? cls.getDouble(h) : 0;
                }
            }
        }
        for (double[][] part : sum) {
            for (double[] layer : part) {
                for (int h = 0; h < layer.length; h++) {
                    layer[h] /= inputs.size();
                }
            }
        }
        return sum;
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
