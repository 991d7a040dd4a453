package org.atpatch.examples.data;

/**
 * The kept rows of a tabular benchmark before encoding, in the column order of a {@link TabularSpec}.
 *
 * @param numeric {@code [row][numeric feature]} values
 * @param categorical {@code [row][categorical feature]} values as read (trimmed)
 * @param labels {@code [row]} 0 or 1
 */
record RawTable(double[][] numeric, String[][] categorical, int[] labels) {

    /** Checks that the three parts have one entry per row. */
    RawTable {
        if (numeric.length != labels.length || categorical.length != labels.length) {
            throw new IllegalArgumentException("raw table parts disagree on the row count: " + numeric.length + ", "
                    + categorical.length + ", " + labels.length);
        }
    }

    /** @return the number of rows */
    int size() {
        return labels.length;
    }

    /**
     * @param other rows to append
     * @return this table's rows followed by {@code other}'s
     */
    RawTable concat(RawTable other) {
        int n = size();
        int m = other.size();
        double[][] num = java.util.Arrays.copyOf(numeric, n + m);
        String[][] cat = java.util.Arrays.copyOf(categorical, n + m);
        int[] y = java.util.Arrays.copyOf(labels, n + m);
        System.arraycopy(other.numeric, 0, num, n, m);
        System.arraycopy(other.categorical, 0, cat, n, m);
        System.arraycopy(other.labels, 0, y, n, m);
        return new RawTable(num, cat, y);
    }
}
