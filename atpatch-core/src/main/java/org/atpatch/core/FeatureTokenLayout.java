package org.atpatch.core;

import java.util.List;

/**
 * Token layout of a tabular transformer: an optional CLS token at column 0, then one token per
 * feature in the order given.
 *
 * @param features the feature names, one token each
 * @param cls whether column 0 is a CLS token
 */
public record FeatureTokenLayout(List<String> features, boolean cls) implements TokenLayout {

    /** Copies and validates the names. */
    public FeatureTokenLayout {
        features = List.copyOf(features);
        if (features.isEmpty()) {
            throw new IllegalArgumentException("a feature layout needs at least one feature");
        }
    }

    @Override
    public int size() {
        return features.size() + (cls ? 1 : 0);
    }

    @Override
    public boolean isSpecial(int column) {
        check(column);
        return cls && column == 0;
    }

    /**
     * @param feature a feature name
     * @return its token column
     */
    public int columnOf(String feature) {
        int i = features.indexOf(feature);
        if (i < 0) {
            throw new IllegalArgumentException("no feature named '" + feature + "' in " + features);
        }
        return i + (cls ? 1 : 0);
    }

    @Override
    public String describe(int column) {
        return isSpecial(column) ? "CLS" : "feature " + features.get(column - (cls ? 1 : 0));
    }

    private void check(int column) {
        if (column < 0 || column >= size()) {
            throw new IndexOutOfBoundsException("column " + column + " outside [0, " + size() + ")");
        }
    }
}
