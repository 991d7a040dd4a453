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
     * How much data and search the baselines get.
     *
     * @param maxClean the most clean samples each baseline reads (Fine-Pruning, CARE, IDNN; ADF's seeds
     *     are drawn from all); the methods' own setting is 1,000 (CARE) or all (Fine-Pruning)
     * @param adfSeeds ADF's most seeds (its paper: 1,000)
     * @param adfLocal ADF's local steps from each global IDI (its paper: 1,000)
     */
    public record Budget(int maxClean, int adfSeeds, int adfLocal) {
        /** The methods' own budgets: 1,000 clean samples, 1,000 ADF seeds and local steps. */
        public static final Budget PAPERS = new Budget(1000, 1000, 1000);

        /** Checks the budget. */
        public Budget {
            if (maxClean <= 0 || adfSeeds <= 0 || adfLocal < 0) {
                throw new IllegalArgumentException("the baselines need at least one clean sample and one ADF seed, and "
                        + "ADF local steps >= 0, got " + maxClean + ", " + adfSeeds + ", " + adfLocal);
            }
        }
    }

    /**
     * @param names baseline names ({@link #NAMES}), or {@code none}
     * @param fairness whether the defect is unfairness (CARE's fairness settings; ADF allowed) rather
     *     than a backdoor
     * @param seed the seed of fine-tuning, swarms and searches
     * @return the repairs with {@link Budget#PAPERS}, in the order named
     * @throws IllegalArgumentException naming an unknown baseline, or ADF for a backdoor
     */
    public static List<Repair> select(List<String> names, boolean fairness, long seed) {
        return select(names, fairness, seed, Budget.PAPERS);
    }

    /**
     * @param names baseline names ({@link #NAMES}), or {@code none}
     * @param fairness whether the defect is unfairness (CARE's fairness settings; ADF allowed) rather
     *     than a backdoor
     * @param seed the seed of fine-tuning, swarms and searches
     * @param budget the data and search budget
     * @return the repairs, in the order named
     * @throws IllegalArgumentException naming an unknown baseline, or ADF for a backdoor
     */
    public static List<Repair> select(List<String> names, boolean fairness, long seed, Budget budget) {
        List<Repair> out = new ArrayList<>();
        for (String n : names) {
            switch (n.toLowerCase(Locale.ROOT).trim()) {
                case "none" -> { }
                case "fine-pruning" -> out.add(FinePruning.builder().optSeed(seed).optMaxClean(budget.maxClean()).build());
                case "care" -> out.add((fairness ? Care.fairness() : Care.backdoor()).withSeed(seed)
                        .withMaxClean(budget.maxClean()));
                case "idnn" -> out.add(Idnn.of(20, budget.maxClean()));
                case "adf" -> {
                    if (!fairness) {
                        throw new IllegalArgumentException("ADF repairs unfairness only; the backdoor baselines are "
                                + "fine-pruning, care, idnn");
                    }
                    out.add(Adf.builder().optSeed(seed).optSearch(budget.adfSeeds(), 10, budget.adfLocal()).build());
                }
                default -> throw new IllegalArgumentException("unknown baseline '" + n + "'; known: none, " + NAMES);
            }
        }
        return out;
    }
}
