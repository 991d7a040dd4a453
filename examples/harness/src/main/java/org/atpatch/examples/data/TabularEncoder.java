package org.atpatch.examples.data;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.atpatch.djl.LabelledData;

/**
 * Fits the encoding of a tabular benchmark on its train split (numeric means and standard deviations,
 * categorical vocabularies in sorted order unless fixed by the spec) and applies it to every split.
 */
final class TabularEncoder {

    private TabularEncoder() {}

    /**
     * @param spec the features
     * @param table all rows
     * @param parts {@code {train, debug, test}} row indices into {@code table}, disjoint
     * @return the encoded dataset
     */
    static TabularDataset encode(TabularSpec spec, RawTable table, int[][] parts) {
        int[] train = parts[0];
        if (train.length == 0) {
            throw new IllegalArgumentException(spec.name() + ": the train split is empty");
        }
        int numeric = spec.numeric().size();
        double[] means = new double[numeric];
        double[] stds = new double[numeric];
        for (int f = 0; f < numeric; f++) {
            double sum = 0;
            for (int r : train) {
                sum += table.numeric()[r][f];
            }
            double mean = sum / train.length;
            double sq = 0;
            for (int r : train) {
                double d = table.numeric()[r][f] - mean;
                sq += d * d;
            }
            double std = Math.sqrt(sq / train.length);
            means[f] = mean;
            stds[f] = std > 0 ? std : 1;
        }
        List<Vocabulary> vocabularies = new ArrayList<>();
        for (int c = 0; c < spec.categorical().size(); c++) {
            String name = spec.categorical().get(c);
            List<String> fixed = spec.fixedVocabularies().get(name);
            if (fixed != null) {
                vocabularies.add(new Vocabulary(name, fixed));
            } else {
                TreeSet<String> seen = new TreeSet<>();
                for (int r : train) {
                    seen.add(table.categorical()[r][c]);
                }
                vocabularies.add(new Vocabulary(name, new ArrayList<>(seen)));
            }
        }
        return new TabularDataset(spec, vocabularies, means, stds, apply(table, parts[0], means, stds, vocabularies),
                apply(table, parts[1], means, stds, vocabularies), apply(table, parts[2], means, stds, vocabularies),
                table.size());
    }

    private static LabelledData apply(RawTable table, int[] rows, double[] means, double[] stds,
            List<Vocabulary> vocabularies) {
        int numeric = means.length;
        int width = numeric + vocabularies.size();
        float[] x = new float[rows.length * width];
        int[] y = new int[rows.length];
        for (int k = 0; k < rows.length; k++) {
            int r = rows[k];
            int off = k * width;
            for (int f = 0; f < numeric; f++) {
                x[off + f] = (float) ((table.numeric()[r][f] - means[f]) / stds[f]);
            }
            for (int c = 0; c < vocabularies.size(); c++) {
                x[off + numeric + c] = vocabularies.get(c).code(table.categorical()[r][c]);
            }
            y[k] = table.labels()[r];
        }
        return new LabelledData(x, y, new Shape(width));
    }
}
