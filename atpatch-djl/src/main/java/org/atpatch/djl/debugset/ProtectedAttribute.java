package org.atpatch.djl.debugset;

import java.util.Arrays;
import java.util.Objects;
import org.atpatch.core.FeatureTokenLayout;
import org.atpatch.core.TokenLayout;
import org.atpatch.djl.model.FTTransformer;

/**
 * A protected attribute of tabular inputs (sex, race, age bucket) for the clean-bias pairs of the
 * paper's Section 3.2.2: where it sits in one sample's flat input vector, the set A of values it may
 * take, and the attention token columns that stand for it.
 *
 * <p>The column mapping is explicit rather than derived on the fly, because tabular families differ:
 * an FT-Transformer gives each feature one token ({@link #of(FeatureTokenLayout, String, int, float...)}
 * or {@link #of(FTTransformer, String, float...)}), other families may tokenise only some features or
 * spread one over several tokens ({@link #of(TokenLayout, String, int, float[], int...)}).
 *
 * <p>Values are compared exactly as floats: categorical codes ({@code 0, 1, ...}, see
 * {@link #codes(int)}) or bucket representatives of a discretised numeric attribute.
 *
 * @param name the attribute's name (for reports and provenance)
 * @param index its position in one sample's flat input vector
 * @param values A, the values it may take: at least two, distinct, finite
 * @param columns the token columns of the attribute; at least one, distinct, non-negative
 */
public record ProtectedAttribute(String name, int index, float[] values, int[] columns) {

    /** Copies the arrays and checks what can be checked without a model. */
    public ProtectedAttribute {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(columns, "columns");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a protected attribute needs a non-blank name");
        }
        if (index < 0) {
            throw new IllegalArgumentException("protected attribute '" + name + "' has a negative input index " + index);
        }
        values = values.clone();
        columns = columns.clone();
        if (values.length < 2) {
            throw new IllegalArgumentException("protected attribute '" + name + "' needs at least 2 values to flip"
                    + " between, got " + Arrays.toString(values));
        }
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException("protected attribute '" + name + "' has a non-finite value "
                        + values[i]);
            }
            for (int j = 0; j < i; j++) {
                if (values[i] == values[j]) {
                    throw new IllegalArgumentException("protected attribute '" + name + "' lists value "
                            + values[i] + " twice");
                }
            }
        }
        if (columns.length == 0) {
            throw new IllegalArgumentException("protected attribute '" + name + "' maps to no token column");
        }
        for (int i = 0; i < columns.length; i++) {
            if (columns[i] < 0) {
                throw new IllegalArgumentException("protected attribute '" + name + "' has a negative column "
                        + columns[i]);
            }
            for (int j = 0; j < i; j++) {
                if (columns[i] == columns[j]) {
                    throw new IllegalArgumentException("protected attribute '" + name + "' lists column "
                            + columns[i] + " twice");
                }
            }
        }
    }

    /**
     * An attribute whose token columns are given explicitly, checked against a layout.
     *
     * @param layout the model's token layout
     * @param name the attribute's name
     * @param index its position in the flat input vector
     * @param values A, its values
     * @param columns its token columns in {@code layout}; none may be special (CLS)
     * @return the attribute
     * @throws IllegalArgumentException if a column is outside the layout or special
     */
    public static ProtectedAttribute of(TokenLayout layout, String name, int index, float[] values, int... columns) {
        Objects.requireNonNull(layout, "layout");
        ProtectedAttribute a = new ProtectedAttribute(name, index, values, columns);
        a.checkColumns(layout);
        return a;
    }

    /**
     * An attribute that is one feature token of a feature layout: its column is
     * {@code layout.columnOf(feature)}.
     *
     * @param layout a feature layout
     * @param feature the feature's name in the layout (also the attribute's name)
     * @param index its position in the flat input vector
     * @param values A, its values
     * @return the attribute
     */
    public static ProtectedAttribute of(FeatureTokenLayout layout, String feature, int index, float... values) {
        Objects.requireNonNull(layout, "layout");
        return of((TokenLayout) layout, feature, index, values, layout.columnOf(feature));
    }

    /**
     * An attribute of an {@link FTTransformer}: its input index is its position among the model's
     * features (numeric first, then categorical, the order of both the input vector and the layout),
     * its column the feature's token.
     *
     * @param model the FT-Transformer
     * @param feature a feature name
     * @param values A, e.g. {@link #codes(int)} for a categorical feature
     * @return the attribute
     */
    public static ProtectedAttribute of(FTTransformer model, String feature, float... values) {
        FeatureTokenLayout layout = model.tokenLayout();
        int index = layout.features().indexOf(feature);
        if (index < 0) {
            throw new IllegalArgumentException("no feature named '" + feature + "' in " + layout.features());
        }
        return of(layout, feature, index, values);
    }

    /**
     * @param cardinality the number of codes of a categorical feature
     * @return {@code {0, 1, ..., cardinality − 1}} as floats
     */
    public static float[] codes(int cardinality) {
        if (cardinality < 2) {
            throw new IllegalArgumentException("a protected categorical feature needs at least 2 codes, got "
                    + cardinality);
        }
        float[] v = new float[cardinality];
        for (int i = 0; i < cardinality; i++) {
            v[i] = i;
        }
        return v;
    }

    /** @return a copy of A */
    @Override
    public float[] values() {
        return values.clone();
    }

    /** @return a copy of the token columns */
    @Override
    public int[] columns() {
        return columns.clone();
    }

    /** @return |A| */
    public int valueCount() {
        return values.length;
    }

    /**
     * @param k an index into A
     * @return the k-th value
     */
    public float value(int k) {
        return values[k];
    }

    /**
     * @param v a value
     * @return its index in A, or −1 if it is not one of A
     */
    public int indexOfValue(float v) {
        for (int k = 0; k < values.length; k++) {
            if (values[k] == v) {
                return k;
            }
        }
        return -1;
    }

    /**
     * @param tokens N
     * @return {@code [N]}, true at this attribute's columns
     */
    public boolean[] columnMask(int tokens) {
        boolean[] mask = new boolean[tokens];
        for (int c : columns) {
            if (c >= tokens) {
                throw new IllegalArgumentException("protected attribute '" + name + "' has column " + c
                        + " but the model has N = " + tokens);
            }
            mask[c] = true;
        }
        return mask;
    }

    /**
     * Checks the attribute against a model: its input index inside a sample, its columns inside the
     * layout and none special.
     *
     * @param sampleSize values per sample
     * @param layout the model's token layout, or null to check only the index
     * @throws IllegalArgumentException naming what is wrong
     */
    public void checkAgainst(int sampleSize, TokenLayout layout) {
        if (index >= sampleSize) {
            throw new IllegalArgumentException("protected attribute '" + name + "' has input index " + index
                    + " but a sample has only " + sampleSize + " values");
        }
        if (layout != null) {
            checkColumns(layout);
        }
    }

    /**
     * @param tokens N
     * @throws IllegalArgumentException if a column is {@code >= tokens}
     */
    void checkColumns(int tokens) {
        for (int c : columns) {
            if (c >= tokens) {
                throw new IllegalArgumentException("protected attribute '" + name + "' has column " + c
                        + " outside [0, " + tokens + ")");
            }
        }
    }

    private void checkColumns(TokenLayout layout) {
        checkColumns(layout.size());
        for (int c : columns) {
            if (layout.isSpecial(c)) {
                throw new IllegalArgumentException("protected attribute '" + name + "' maps to column " + c
                        + " (" + layout.describe(c) + "), a special token that is never labelled");
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProtectedAttribute p && p.name.equals(name) && p.index == index
                && Arrays.equals(p.values, values) && Arrays.equals(p.columns, columns);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, index, Arrays.hashCode(values), Arrays.hashCode(columns));
    }

    @Override
    public String toString() {
        return name + "@" + index + " ∈ " + Arrays.toString(values) + " → columns " + Arrays.toString(columns);
    }
}
