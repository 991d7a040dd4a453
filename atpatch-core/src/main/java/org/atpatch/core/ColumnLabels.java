package org.atpatch.core;

/**
 * Ground-truth anomalous columns of a batch of maps, per sample and layer: {@code y^(l)} of Eq. 7.
 * A sample whose columns are all false is a clean map at that layer.
 */
public final class ColumnLabels {

    private final boolean[][][] labels; // [sample][layer][column]

    private ColumnLabels(boolean[][][] labels) {
        this.labels = labels;
    }

    /**
     * Labels given per sample, layer and column.
     *
     * @param labels {@code [batch][L][N]}, rectangular
     * @return the labels (copied)
     */
    public static ColumnLabels of(boolean[][][] labels) {
        if (labels.length == 0 || labels[0].length == 0 || labels[0][0].length == 0) {
            throw new IllegalArgumentException("labels must be non-empty [batch][layers][N]");
        }
        int l = labels[0].length;
        int n = labels[0][0].length;
        boolean[][][] copy = new boolean[labels.length][l][];
        for (int b = 0; b < labels.length; b++) {
            if (labels[b].length != l) {
                throw new IllegalArgumentException("sample " + b + " has " + labels[b].length
                        + " layers of labels, sample 0 has " + l);
            }
            for (int i = 0; i < l; i++) {
                if (labels[b][i].length != n) {
                    throw new IllegalArgumentException("sample " + b + " layer " + i + " labels "
                            + labels[b][i].length + " columns, expected N = " + n);
                }
                copy[b][i] = labels[b][i].clone();
            }
        }
        return new ColumnLabels(copy);
    }

    /**
     * The same columns anomalous at every layer, as for a backdoor trigger or a protected attribute.
     *
     * @param perSample {@code [batch][N]}
     * @param layers L
     * @return the labels
     */
    public static ColumnLabels sameForAllLayers(boolean[][] perSample, int layers) {
        if (layers <= 0) {
            throw new IllegalArgumentException("layers must be positive, got " + layers);
        }
        boolean[][][] all = new boolean[perSample.length][layers][];
        for (int b = 0; b < perSample.length; b++) {
            for (int l = 0; l < layers; l++) {
                all[b][l] = perSample[b];
            }
        }
        return of(all);
    }

    /** @return the batch size */
    public int batchSize() {
        return labels.length;
    }

    /** @return L */
    public int layers() {
        return labels[0].length;
    }

    /** @return N */
    public int tokens() {
        return labels[0][0].length;
    }

    /**
     * @param sample the sample
     * @param layer the layer
     * @return a copy of that map's column labels
     */
    public boolean[] get(int sample, int layer) {
        return labels[sample][layer].clone();
    }

    /**
     * @param sample the sample
     * @param layer the layer
     * @return whether any column of that map is anomalous
     */
    public boolean isAnomalous(int sample, int layer) {
        for (boolean v : labels[sample][layer]) {
            if (v) {
                return true;
            }
        }
        return false;
    }
}
