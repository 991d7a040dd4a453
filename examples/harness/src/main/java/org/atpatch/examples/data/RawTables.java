package org.atpatch.examples.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Turns a {@link CsvTable} into the {@link RawTable} of a {@link TabularSpec}: columns picked by name. */
final class RawTables {

    /** Decides whether a row is kept. */
    @FunctionalInterface
    interface RowFilter {
        /**
         * @param table the table
         * @param row a row index
         * @return whether to keep it
         * @throws IOException when a field it reads is malformed
         */
        boolean keep(CsvTable table, int row) throws IOException;
    }

    private RawTables() {}

    /**
     * Each feature is read from the column of the same name; the categorical feature named
     * {@code ageBucket} (if not null) is the {@link AgeBuckets} bucket of that numeric column.
     *
     * @param table the file's rows
     * @param spec the features
     * @param ageBucket the categorical feature holding bucketed age, or null
     * @param labelColumn the label's column
     * @param labels each label value's class (0 or 1); any other value is an error
     * @param filter which rows to keep
     * @return the kept rows
     * @throws IOException naming the file, record and column of a missing column, bad number or label
     */
    static RawTable extract(CsvTable table, TabularSpec spec, String ageBucket, String labelColumn,
            Map<String, Integer> labels, RowFilter filter) throws IOException {
        int[] num = columns(table, spec.numeric());
        int[] cat = columns(table, spec.categorical());
        int label = table.column(labelColumn);
        List<double[]> numeric = new ArrayList<>();
        List<String[]> categorical = new ArrayList<>();
        List<Integer> y = new ArrayList<>();
        for (int r = 0; r < table.rows().size(); r++) {
            if (!filter.keep(table, r)) {
                continue;
            }
            String[] fields = table.rows().get(r);
            double[] n = new double[num.length];
            for (int f = 0; f < num.length; f++) {
                n[f] = table.number(r, num[f]);
            }
            String[] c = new String[cat.length];
            for (int f = 0; f < cat.length; f++) {
                c[f] = spec.categorical().get(f).equals(ageBucket)
                        ? AgeBuckets.bucketOf(table.number(r, cat[f]))
                        : fields[cat[f]].strip();
            }
            Integer cls = labels.get(fields[label].strip());
            if (cls == null) {
                throw new IOException(table.source() + ": record " + table.records()[r] + ", column '" + labelColumn
                        + "': unexpected label '" + fields[label] + "', expected one of " + labels.keySet());
            }
            numeric.add(n);
            categorical.add(c);
            y.add(cls);
        }
        return new RawTable(numeric.toArray(new double[0][]), categorical.toArray(new String[0][]),
                y.stream().mapToInt(Integer::intValue).toArray());
    }

    private static int[] columns(CsvTable table, List<String> names) throws IOException {
        int[] idx = new int[names.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = table.column(names.get(i));
        }
        return idx;
    }
}
