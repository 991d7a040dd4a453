package org.atpatch.examples.reproduce;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.atpatch.examples.baseline.BaselineRun;

/**
 * The baselines' table, shared by the reproduction reports: each baseline's Acc and defect rate (ASR
 * or UF) beside the original's and AtPatch's (the product's default rule), its wall time and settings,
 * and whether it beats AtPatch.
 */
final class BaselineRows {

    private BaselineRows() {}

    /**
     * @param defect the defect column's name, {@code asr} or {@code uf}
     * @return an empty table
     */
    static ResultTable table(String defect) {
        return new ResultTable("configuration", "method", "acc", defect, "acc_drop_points", defect + "_atpatch",
                "acc_atpatch", "seconds", "vs_atpatch", "settings");
    }

    /**
     * Adds a configuration's baselines.
     *
     * @param table a table from {@link #table}
     * @param configuration the row label
     * @param runs the baselines run
     * @param originalAcc the victim's accuracy
     * @param atpatchAcc AtPatch's accuracy (default rule), NaN when AtPatch was not trained
     * @param atpatchDefect AtPatch's ASR or UF, NaN when it was not trained
     */
    static void add(ResultTable table, String configuration, List<BaselineRun> runs, double originalAcc, double atpatchAcc,
            double atpatchDefect) {
        for (BaselineRun r : runs) {
            String settings = r.settings().entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                    .collect(Collectors.joining("; "));
            table.add(configuration, r.method(), r.acc(), r.defect(), 100 * (originalAcc - r.acc()), atpatchDefect,
                    atpatchAcc, r.seconds(), verdict(r, atpatchAcc, atpatchDefect), settings);
        }
    }

    /**
     * @return {@code beats AtPatch on ...} naming where the baseline is strictly better (lower defect,
     *     higher accuracy), {@code no} when it is not, {@code n/a} without AtPatch
     */
    static String verdict(BaselineRun r, double atpatchAcc, double atpatchDefect) {
        if (Double.isNaN(atpatchAcc) || Double.isNaN(atpatchDefect)) {
            return "n/a";
        }
        boolean defect = r.defect() < atpatchDefect;
        boolean acc = r.acc() > atpatchAcc;
        if (!defect && !acc) {
            return "no";
        }
        return String.format(Locale.ROOT, "beats AtPatch on %s", defect && acc ? "defect rate and accuracy"
                : defect ? "defect rate" : "accuracy");
    }

    /**
     * @param methods the outcome labels of one configuration, original first
     * @return the index of the product's default rule ({@code (default)}), else of the first rule, else -1
     */
    static int defaultRule(List<String> methods) {
        for (int i = 0; i < methods.size(); i++) {
            if (methods.get(i).endsWith("(default)")) {
                return i;
            }
        }
        return methods.size() > 1 ? 1 : -1;
    }
}
