package org.atpatch.examples.reproduce;

import java.util.ArrayList;
import java.util.List;

/**
 * One fairness configuration of Table 3: a dataset and one protected attribute. Value sets are the
 * attribute's known codes (docs/reproduce.md lists them).
 *
 * @param name the paper's name, e.g. {@code census-race}
 * @param dataset {@code adult}, {@code compas} or {@code bank}
 * @param attribute the protected attribute's feature name
 */
public record FairnessConfig(String name, String dataset, String attribute) {

    /** The seven configurations of Table 3, in its order. */
    public static final List<FairnessConfig> ALL = List.of(
            new FairnessConfig("census-race", "adult", "race"),
            new FairnessConfig("census-gender", "adult", "sex"),
            new FairnessConfig("census-age", "adult", "age"),
            new FairnessConfig("compas-gender", "compas", "sex"),
            new FairnessConfig("compas-race", "compas", "race"),
            new FairnessConfig("bank-age", "bank", "age"),
            new FairnessConfig("bank-edu", "bank", "education"));

    /**
     * @param names configuration names, or {@code all}
     * @return the configurations, in Table 3's order
     * @throws IllegalArgumentException naming an unknown configuration and the known ones
     */
    public static List<FairnessConfig> select(List<String> names) {
        if (names.contains("all")) {
            return ALL;
        }
        List<FairnessConfig> out = new ArrayList<>();
        for (String n : names) {
            if (ALL.stream().noneMatch(c -> c.name().equals(n))) {
                throw new IllegalArgumentException("unknown configuration '" + n + "'; known: all, "
                        + ALL.stream().map(FairnessConfig::name).toList());
            }
        }
        for (FairnessConfig c : ALL) {
            if (names.contains(c.name())) {
                out.add(c);
            }
        }
        return out;
    }
}
