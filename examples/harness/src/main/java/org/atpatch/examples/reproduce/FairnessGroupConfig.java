package org.atpatch.examples.reproduce;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A fairness configuration with one or several protected attributes in one bundle, named
 * {@code <dataset>-<attribute>[+<attribute>...]}: {@code census-sex}, {@code census-sex+race},
 * {@code compas-sex+race}. Dataset names are the paper's ({@code census} is Adult); {@code gender} and
 * {@code edu} are accepted for {@code sex} and {@code education}.
 *
 * @param name the configuration's name as given
 * @param dataset {@code adult}, {@code compas} or {@code bank}
 * @param attributes the protected attributes' feature names, in flip order
 */
public record FairnessGroupConfig(String name, String dataset, List<String> attributes) {

    private static final Map<String, String> DATASETS = Map.of("census", "adult", "adult", "adult", "compas", "compas",
            "bank", "bank");
    private static final Map<String, String> ATTRIBUTES = Map.of("gender", "sex", "edu", "education");

    /** Table 3's seven configurations, then the two with two attributes. */
    public static final List<String> ALL = List.of("census-race", "census-sex", "census-age", "compas-sex", "compas-race",
            "bank-age", "bank-education", "census-sex+race", "compas-sex+race");

    /**
     * @param name e.g. {@code census-sex+race}
     * @return the configuration
     * @throws IllegalArgumentException naming what cannot be parsed
     */
    public static FairnessGroupConfig parse(String name) {
        int dash = name.indexOf('-');
        if (dash <= 0 || dash == name.length() - 1) {
            throw new IllegalArgumentException("configuration '" + name + "' is not <dataset>-<attribute>[+<attribute>...]");
        }
        String dataset = DATASETS.get(name.substring(0, dash));
        if (dataset == null) {
            throw new IllegalArgumentException("configuration '" + name + "': unknown dataset '" + name.substring(0, dash)
                    + "'; known: " + DATASETS.keySet());
        }
        List<String> attributes = new ArrayList<>();
        for (String a : name.substring(dash + 1).split("\\+")) {
            attributes.add(ATTRIBUTES.getOrDefault(a, a));
        }
        return new FairnessGroupConfig(name, dataset, List.copyOf(attributes));
    }

    /**
     * @param names configuration names, or {@code all}
     * @return the configurations, in the order given ({@link #ALL}'s for {@code all})
     */
    public static List<FairnessGroupConfig> select(List<String> names) {
        return (names.contains("all") ? ALL : names).stream().map(FairnessGroupConfig::parse).toList();
    }
}
