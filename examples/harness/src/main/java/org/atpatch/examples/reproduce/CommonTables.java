package org.atpatch.examples.reproduce;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atpatch.core.PrCurve;
import org.atpatch.detector.DetectorEvaluation;

/**
 * The tables both reproduction reports fill per configuration: Table 4 (the detector) with its PR
 * curves, efficiency, and over-attention (per layer and head, and its maxima). Parts a configuration
 * did not measure (no detector, no timings, no over-attention) are left out of its rows.
 */
final class CommonTables {

    final ResultTable detector = DetectorRows.table();
    final ResultTable efficiency;
    final ResultTable overAttention = new ResultTable(OverAttention.header());
    final ResultTable overSummary = new ResultTable("configuration", "max ratio, all rows", "max ratio, CLS row");
    private final List<String> online;
    private final Map<String, List<PrCurve.Point>> curves = new LinkedHashMap<>();

    /**
     * @param online the online timings' keys, in column order (e.g. {@code unpatched, atpatch_clean,
     *     atpatch_triggered})
     */
    CommonTables(String... online) {
        this.online = List.of(online);
        List<String> header = new ArrayList<>(List.of("configuration", "debugging_set_s", "attention_capture_s",
                "detector_training_s"));
        this.online.forEach(k -> header.add("ms_per_sample_" + k));
        efficiency = new ResultTable(header.toArray(String[]::new));
    }

    /**
     * Adds one configuration and writes its PR curve to {@code pr-<configuration>.csv}.
     *
     * @param dir the results folder
     * @param configuration the row label
     * @param d the detector on the balanced evaluation set, or null
     * @param evalPairs pairs in that set
     * @param seconds offline phases ({@link Timing#offlineSeconds}), empty when not measured
     * @param msPerSample online timings by key, read when {@code seconds} is not empty
     * @param over the over-attention, or null
     * @throws IOException when the PR curve cannot be written
     */
    void add(Path dir, String configuration, DetectorEvaluation d, int evalPairs, Map<String, Double> seconds,
            Map<String, Double> msPerSample, OverAttention over) throws IOException {
        if (d != null) {
            DetectorRows.add(detector, configuration, d, evalPairs);
            curves.put(configuration, d.curve());
            d.writePrCurveCsv(dir.resolve("pr-" + configuration + ".csv"));
        }
        if (!seconds.isEmpty()) {
            List<Object> row = new ArrayList<>(List.of(configuration, seconds.get("debugging_set"),
                    seconds.get("attention_capture"), seconds.get("detector_training")));
            online.forEach(k -> row.add(msPerSample.get(k)));
            efficiency.add(row.toArray());
        }
        if (over != null) {
            over.addTo(overAttention, configuration);
            overSummary.add(configuration, over.maxRatioAll(), over.maxRatioCls());
        }
    }

    /**
     * Writes {@code table4.csv}, {@code efficiency.csv}, {@code over-attention.csv} and {@code
     * pr-curves.png}.
     *
     * @param dir the results folder
     * @throws IOException when a file cannot be written
     */
    void write(Path dir) throws IOException {
        detector.writeCsv(dir.resolve("table4.csv"));
        efficiency.writeCsv(dir.resolve("efficiency.csv"));
        overAttention.writeCsv(dir.resolve("over-attention.csv"));
        Charts.prCurves(dir.resolve("pr-curves.png"), "Detector precision-recall over tau (Table 4)", curves);
    }
}
