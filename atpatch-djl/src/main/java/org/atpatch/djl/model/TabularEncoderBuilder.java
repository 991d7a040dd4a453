package org.atpatch.djl.model;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.atpatch.djl.model.internal.CategoricalCodes;

/**
 * The encoder sizes of {@link EncoderBuilder} plus the categorical features the tabular families
 * built on it take ({@link TabTransformer}, {@link TaBertStyleEncoder}), with the checks they share:
 * positive cardinalities and feature names used once.
 *
 * <p>Not thread-safe: use one builder per thread.
 *
 * @param <B> the concrete builder, returned by the setters
 */
public abstract class TabularEncoderBuilder<B extends TabularEncoderBuilder<B>> extends EncoderBuilder<B> {

    final List<String> categorical = new ArrayList<>();
    final List<Integer> cardinalities = new ArrayList<>();

    TabularEncoderBuilder() {}

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * @param name a categorical feature; categorical features come after the numeric ones in the
     *     input, in the order added
     * @param cardinality how many values it takes; its codes are {@code 0 .. cardinality-1}
     * @return this
     */
    public B addCategoricalFeature(String name, int cardinality) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a feature needs a non-blank name");
        }
        if (cardinality <= 0) {
            throw new IllegalArgumentException("feature '" + name + "' needs a positive cardinality, got " + cardinality);
        }
        categorical.add(name);
        cardinalities.add(cardinality);
        return self();
    }

    /** @return the cardinalities in feature order */
    int[] cardinalityArray() {
        return cardinalities.stream().mapToInt(Integer::intValue).toArray();
    }

    /** @return the categorical codes of the features added */
    CategoricalCodes codes() {
        return new CategoricalCodes(categorical, cardinalityArray());
    }

    /**
     * Checks the encoder sizes and that no feature name is used twice.
     *
     * @param family the family's name, for messages
     * @param numeric the numeric features' names
     */
    void validateTabular(String family, List<String> numeric) {
        if (numeric.isEmpty() && categorical.isEmpty()) {
            throw new IllegalArgumentException("a " + family + " needs at least one feature");
        }
        Set<String> names = new HashSet<>();
        for (String n : numeric) {
            if (n == null || n.isBlank()) {
                throw new IllegalArgumentException("a feature needs a non-blank name");
            }
            if (!names.add(n)) {
                throw new IllegalArgumentException("feature name '" + n + "' is used twice");
            }
        }
        for (String c : categorical) {
            if (!names.add(c)) {
                throw new IllegalArgumentException("feature name '" + c + "' is used twice");
            }
        }
        validateEncoder();
    }
}
