package org.atpatch.examples.data;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a tabular benchmark keeps and how it encodes it: the numeric features (standardised), the
 * categorical features (integer codes), which categorical features are protected attributes, the
 * vocabularies fixed in advance (age buckets), and what the label means.
 *
 * @param name the dataset's name ({@code adult}, {@code compas}, {@code bank})
 * @param numeric the numeric features, in input order
 * @param categorical the categorical features, in input order after the numeric ones
 * @param protectedAttributes the protected attributes: categorical features, each one token
 * @param fixedVocabularies vocabularies given in advance (in this order) instead of learnt from the
 *     train split
 * @param label what label 1 means (label 0 is its complement)
 */
public record TabularSpec(String name, List<String> numeric, List<String> categorical,
        List<String> protectedAttributes, Map<String, List<String>> fixedVocabularies, String label) {

    /** Copies and validates the lists. */
    public TabularSpec {
        numeric = List.copyOf(numeric);
        categorical = List.copyOf(categorical);
        protectedAttributes = List.copyOf(protectedAttributes);
        fixedVocabularies = Map.copyOf(fixedVocabularies);
        Set<String> names = new HashSet<>(numeric);
        for (String c : categorical) {
            if (!names.add(c)) {
                throw new IllegalArgumentException(name + ": feature '" + c + "' is listed twice");
            }
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException(name + ": no features");
        }
        for (String p : protectedAttributes) {
            if (!categorical.contains(p)) {
                throw new IllegalArgumentException(name + ": protected attribute '" + p
                        + "' must be a categorical feature (its own token), not one of " + categorical);
            }
        }
        for (String f : fixedVocabularies.keySet()) {
            if (!categorical.contains(f)) {
                throw new IllegalArgumentException(name + ": fixed vocabulary for '" + f
                        + "', which is not a categorical feature");
            }
        }
    }

    /** @return all features in input (and FT-Transformer token) order: numeric, then categorical */
    public List<String> features() {
        List<String> all = new java.util.ArrayList<>(numeric);
        all.addAll(categorical);
        return List.copyOf(all);
    }
}
