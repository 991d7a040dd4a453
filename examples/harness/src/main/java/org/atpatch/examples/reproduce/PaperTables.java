package org.atpatch.examples.reproduce;

import java.util.Map;
import java.util.Optional;

/**
 * The paper's published numbers for the configurations the harness reproduces (AtPatch, ICSE 2026,
 * Tables 2 and 3), in percent, so that charts can mark them beside the measured values.
 */
public final class PaperTables {

    /**
     * One row of a paper table, in percent.
     *
     * @param originalAcc the victim's accuracy
     * @param original the victim's ASR (Table 2) or UF (Table 3)
     * @param atpatchAcc AtPatch's accuracy
     * @param atpatch AtPatch's ASR or UF
     */
    public record Row(double originalAcc, double original, double atpatchAcc, double atpatch) {}

    /** Table 2: accuracy and ASR by configuration name. */
    private static final Map<String, Row> TABLE2 = Map.of(
            "mnist-badnets", new Row(98.42, 100.00, 98.42, 0.00),
            "mnist-trojan", new Row(98.24, 99.80, 98.24, 0.30),
            "mnist-hidden", new Row(98.43, 99.70, 98.43, 0.90),
            "fashion-mnist-badnets", new Row(86.08, 99.10, 85.36, 0.90),
            "fashion-mnist-trojan", new Row(86.88, 98.90, 86.65, 0.50),
            "fashion-mnist-hidden", new Row(85.99, 97.10, 86.14, 0.40),
            "cifar10-badnets", new Row(81.74, 96.00, 81.92, 0.60),
            "cifar10-trojan", new Row(81.81, 99.50, 81.81, 0.20),
            "cifar10-hidden", new Row(82.67, 99.40, 82.67, 0.30));

    /** Table 3: accuracy and UF by configuration name. */
    private static final Map<String, Row> TABLE3 = Map.of(
            "census-race", new Row(84.92, 7.00, 84.86, 0.09),
            "census-gender", new Row(84.92, 4.53, 84.92, 0.00),
            "census-age", new Row(84.92, 19.04, 84.74, 0.11),
            "compas-gender", new Row(68.36, 12.49, 68.25, 0.00),
            "compas-race", new Row(68.36, 8.47, 68.74, 0.00),
            "bank-age", new Row(81.46, 12.30, 81.37, 0.10),
            "bank-edu", new Row(81.46, 5.71, 81.28, 0.00));

    private PaperTables() {}

    /**
     * @param configuration a backdoor configuration's name, e.g. {@code mnist-badnets}
     * @return its Table 2 row, empty where the paper has none (variants such as a hidden patch)
     */
    public static Optional<Row> table2(String configuration) {
        return Optional.ofNullable(TABLE2.get(configuration));
    }

    /**
     * @param configuration a fairness configuration's name, e.g. {@code census-race}
     * @return its Table 3 row, empty where the paper has none
     */
    public static Optional<Row> table3(String configuration) {
        return Optional.ofNullable(TABLE3.get(configuration));
    }
}
