package org.atpatch.examples.reproduce;

import java.util.Map;
import org.atpatch.core.DetectionMetrics;
import org.atpatch.detector.DetectorEvaluation;

/** Table 4 (the detector on a balanced evaluation set) as table rows and JSON, shared by the reproduction reports. */
final class DetectorRows {

    private DetectorRows() {}

    /** @return an empty Table 4: configuration, strict map-level P/R/F1/FPR/FNR, column ROC-AUC, τ, pairs */
    static ResultTable table() {
        return new ResultTable("configuration", "precision", "recall", "f1", "fpr", "fnr", "column_roc_auc", "tau",
                "eval_pairs");
    }

    /**
     * @param table a table from {@link #table()}
     * @param configuration the row label
     * @param d the evaluation
     * @param pairs pairs in the evaluation set
     */
    static void add(ResultTable table, String configuration, DetectorEvaluation d, int pairs) {
        DetectionMetrics m = d.metrics();
        table.add(configuration, m.precision(), m.recall(), m.f1(), m.fpr(), m.fnr(), d.rocAuc(), d.tau(), pairs);
    }

    /**
     * @param d the evaluation
     * @return its metrics and confusion counts for {@code results.json}
     */
    static Map<String, Object> json(DetectorEvaluation d) {
        DetectionMetrics m = d.metrics();
        return Map.of("tau", d.tau(), "precision", m.precision(), "recall", m.recall(), "f1", m.f1(), "fpr", m.fpr(),
                "fnr", m.fnr(), "column_roc_auc", d.rocAuc(), "confusion", m);
    }
}
