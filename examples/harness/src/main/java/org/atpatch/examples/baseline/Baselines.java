package org.atpatch.examples.baseline;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The baselines by name, with the settings of their papers or public code, for the reproduction
 * harnesses' {@code --baselines} option.
 */
public final class Baselines {

    /** The names {@link #select} knows. */
    public static final List<String> NAMES = List.of("fine-pruning", "care", "idnn", "adf");

    private Baselines() {}

    /**
     * @param names baseline names ({@link #NAMES}), or {@code none}
     * @param fairness whether the defect is unfairness (CARE's fairness settings; ADF allowed) rather
     *     than a backdoor
     * @param seed the seed of fine-tuning, swarms and searches
     * @return the repairs, in the order named
     * @throws IllegalArgumentException naming an unknown baseline, or ADF for a backdoor
     */
    public static List<Repair> select(List<String> names, boolean fairness, long seed) {
        List<Repair> out = new ArrayList<>();
        for (String n : names) {
            switch (n.toLowerCase(Locale.ROOT).trim()) {
                case "none" -> { }
                case "fine-pruning" -> out.add(FinePruning.builder().optSeed(seed).build());
                case "care" -> out.add((fairness ? Care.fairness() : Care.backdoor()).withSeed(seed));
                case "idnn" -> out.add(Idnn.of(20, 1000));
                case "adf" -> {
                    if (!fairness) {
                        throw new IllegalArgumentException("ADF repairs unfairness only; the backdoor baselines are "
                                + "fine-pruning, care, idnn");
                    }
                    out.add(Adf.builder().optSeed(seed).build());
                }
                default -> throw new IllegalArgumentException("unknown baseline '" + n + "'; known: none, " + NAMES);
            }
        }
        return out;
    }
}
