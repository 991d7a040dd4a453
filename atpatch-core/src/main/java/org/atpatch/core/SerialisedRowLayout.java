package org.atpatch.core;

import java.util.List;

/**
 * Token layout of a transformer over a serialised table row (TaBERT style): a CLS token at column
 * 0, then for each feature, in the order given, a column-name token and a value token. Feature
 * {@code f} (from 0) owns columns {@code 1 + 2f} (its name) and {@code 2 + 2f} (its value).
 *
 * @param features the feature names in serialisation order
 */
public record SerialisedRowLayout(List<String> features) implements TokenLayout {

    /** Copies and validates the names. */
    public SerialisedRowLayout {
        features = List.copyOf(features);
        if (features.isEmpty()) {
            throw new IllegalArgumentException("a serialised-row layout needs at least one feature");
        }
    }

    @Override
    public int size() {
        return 1 + 2 * features.size();
    }

    @Override
    public boolean isSpecial(int column) {
        check(column);
        return column == 0;
    }

    /**
     * @param feature a feature name
     * @return its two columns, {@code {name token, value token}}
     */
    public int[] columnsOf(String feature) {
        int f = features.indexOf(feature);
        if (f < 0) {
            throw new IllegalArgumentException("no feature named '" + feature + "' in " + features);
        }
        return new int[] {1 + 2 * f, 2 + 2 * f};
    }

    /**
     * @param column a non-special column
     * @return the feature the column belongs to
     */
    public String featureOf(int column) {
        check(column);
        if (column == 0) {
            throw new IllegalArgumentException("column 0 is the CLS token, not a feature");
        }
        return features.get((column - 1) / 2);
    }

    @Override
    public String describe(int column) {
        if (isSpecial(column)) {
            return "CLS";
        }
        return (column % 2 == 1 ? "name of " : "value of ") + featureOf(column);
    }

    private void check(int column) {
        if (column < 0 || column >= size()) {
            throw new IndexOutOfBoundsException("column " + column + " outside [0, " + size() + ")");
        }
    }
}
