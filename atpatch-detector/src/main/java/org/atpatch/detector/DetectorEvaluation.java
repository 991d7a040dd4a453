package org.atpatch.detector;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.atpatch.core.AtomicFiles;
import org.atpatch.core.DetectionMetrics;
import org.atpatch.core.PrCurve;

/**
 * The detector's RQ2 evaluation on one data set: strict map-level P/R/F1/FPR/FNR at τ, the
 * column-level ROC-AUC, and the precision-recall curve over τ (the paper's Figure 3).
 *
 * @param tau the threshold the metrics are taken at
 * @param metrics strict map-level counts at {@code tau}
 * @param rocAuc column-level ROC-AUC, NaN when the data hold only one class of column
 * @param curve strict map-level metrics at each of {@link PrCurve#defaultTaus()}
 */
public record DetectorEvaluation(double tau, DetectionMetrics metrics, double rocAuc, List<PrCurve.Point> curve) {

    /** Copies the curve. */
    public DetectorEvaluation {
        curve = List.copyOf(curve);
    }

    /**
     * Evaluates probabilities against the truth.
     *
     * @param probabilities per map the column probabilities
     * @param truth per map the true anomalous columns
     * @param tau the operating threshold
     * @return the evaluation
     */
    public static DetectorEvaluation of(float[][] probabilities, boolean[][] truth, double tau) {
        DetectionMetrics m = DetectionMetrics.strict(probabilities, truth, tau);
        return new DetectorEvaluation(tau, m, rocAuc(probabilities, truth),
                PrCurve.points(probabilities, truth, PrCurve.defaultTaus()));
    }

    /** @return the column-level ROC-AUC, or NaN when only one class of column is present */
    static double rocAuc(float[][] probabilities, boolean[][] truth) {
        boolean pos = false;
        boolean neg = false;
        for (boolean[] t : truth) {
            for (boolean v : t) {
                pos |= v;
                neg |= !v;
            }
        }
        return pos && neg ? PrCurve.columnRocAuc(probabilities, truth) : Double.NaN;
    }

    /** @return the PR curve as CSV ({@link PrCurve#toCsv}) */
    public String prCurveCsv() {
        return PrCurve.toCsv(curve);
    }

    /**
     * Writes the PR curve as CSV, atomically.
     *
     * @param file the target
     * @throws IOException on failure
     */
    public void writePrCurveCsv(Path file) throws IOException {
        byte[] bytes = prCurveCsv().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    @Override
    public String toString() {
        return "τ=" + tau + " " + metrics + " AUC=" + String.format(java.util.Locale.ROOT, "%.4f", rocAuc);
    }
}
