package org.atpatch.examples.data;

import java.util.List;

/**
 * The integer codes of one categorical feature, fixed from the train split: code 0 is the unknown
 * bucket (a value never seen in the train split), codes {@code 1..k} are the known values in order.
 *
 * @param feature the feature's name
 * @param values the known values; {@code values.get(i)} has code {@code i + 1}
 */
public record Vocabulary(String feature, List<String> values) {

    /** The label of code 0. */
    public static final String UNKNOWN = "<unknown>";

    /** Copies and validates the values. */
    public Vocabulary {
        values = List.copyOf(values);
        if (values.size() != new java.util.HashSet<>(values).size()) {
            throw new IllegalArgumentException("vocabulary of '" + feature + "' repeats a value: " + values);
        }
    }

    /** @return the number of codes, the unknown bucket included: {@code values().size() + 1} */
    public int cardinality() {
        return values.size() + 1;
    }

    /**
     * @param value a raw value
     * @return its code, or 0 if it is not a known value
     */
    public int code(String value) {
        return values.indexOf(value) + 1;
    }

    /**
     * @param code a code in {@code [0, cardinality)}
     * @return its value, or {@link #UNKNOWN} for 0
     */
    public String valueOf(int code) {
        if (code < 0 || code >= cardinality()) {
            throw new IllegalArgumentException("code " + code + " outside [0, " + cardinality() + ") of '" + feature
                    + "'");
        }
        return code == 0 ? UNKNOWN : values.get(code - 1);
    }
}
