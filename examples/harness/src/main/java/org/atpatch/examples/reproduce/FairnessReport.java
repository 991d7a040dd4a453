package org.atpatch.examples.reproduce;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atpatch.examples.reproduce.FairnessExperiment.Outcome;
import org.atpatch.examples.reproduce.FairnessExperiment.Result;

/**
 * Writes the fairness results under one folder: {@code table3.csv} (Acc and UF, original vs AtPatch
 * with each rule), {@code table4.csv} (the detector, RQ2's strict map-level metrics on the balanced
 * evaluation set), {@code ablation.csv} (RQ3), {@code efficiency.csv}, {@code over-attention.csv},
 * {@code victims.csv}, {@code results.json} (everything), {@code pr-<configuration>.csv}, the plots
 * {@code acc.png}, {@code uf.png}, {@code pr-curves.png}, and {@code README.md} with the tables in
 * markdown and the command that made them.
 */
public final class FairnessReport {

    private final Path dir;
    private final String command;
    private final ResultTable victims = new ResultTable("dataset", "family", "test_acc", "train_or_load_seconds", "cached");
    private final Map<String, Object> victimJson = new LinkedHashMap<>();

    /**
     * @param dir the results folder (created when needed)
     * @param command the command line that reproduces the run, recorded in the README
     */
    public FairnessReport(Path dir, String command) {
        this.dir = dir;
        this.command = command;
    }

    /**
     * Records a victim.
     *
     * @param dataset its dataset
     * @param v the victim
     */
    public void victim(String dataset, TabularVictim v) {
        double acc = v.testAccuracy();
        victims.add(dataset, v.family().name(), acc, v.trainSeconds(), v.cached());
        victimJson.put(dataset, Map.of("family", v.family().name(), "test_acc", acc, "train_seconds", v.trainSeconds(),
                "cached", v.cached()));
    }

    /**
     * @param results the configurations run so far
     * @return Table 3 in the paper's layout (percentages), one column pair per method, and the share of
     *     test inputs the detector flagged (the same detector serves every rule)
     */
    public ResultTable table3(List<Result> results) {
        List<String> methods = results.get(0).outcomes().stream().map(Outcome::method).toList();
        String[] header = new String[2 + 2 * methods.size() + 1];
        header[0] = "configuration";
        header[1] = "family";
        for (int m = 0; m < methods.size(); m++) {
            header[2 + 2 * m] = "Acc % (" + methods.get(m) + ")";
            header[3 + 2 * m] = "UF % (" + methods.get(m) + ")";
        }
        header[header.length - 1] = "patched % of test";
        ResultTable t = new ResultTable(header);
        for (Result r : results) {
            Object[] row = new Object[header.length];
            row[0] = r.config().name();
            row[1] = r.family();
            for (int m = 0; m < methods.size(); m++) {
                row[2 + 2 * m] = ResultTable.percent(r.outcomes().get(m).acc());
                row[3 + 2 * m] = ResultTable.percent(r.outcomes().get(m).uf());
            }
            row[row.length - 1] = ResultTable.percent(r.outcomes().get(1).patchedShare());
            t.add(row);
        }
        return t;
    }

    /** Configuration → the paper's {original, AtPatch} accuracy (or UF), where Table 3 has the configuration. */
    private static Map<String, double[]> paperValues(List<Result> results, boolean accuracy) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Result r : results) {
            PaperTables.table3(r.config().name()).ifPresent(p -> out.put(r.config().name(), accuracy
                    ? new double[] {p.originalAcc(), p.atpatchAcc()} : new double[] {p.original(), p.atpatch()}));
        }
        return out;
    }

    /**
     * Rewrites every file for the results so far.
     *
     * @param results the configurations run so far (non-empty)
     * @throws IOException when a file cannot be written
     */
    public void write(List<Result> results) throws IOException {
        Files.createDirectories(dir);
        ResultTable t3 = table3(results);
        CommonTables common = new CommonTables("unpatched", "atpatch_clean", "atpatch_divergent");
        ResultTable ablation = new ResultTable("configuration", "method", "acc", "uf", "patched_share", "turned_right",
                "turned_wrong", "mcnemar_z");
        Map<String, Map<String, Double>> acc = new LinkedHashMap<>();
        Map<String, Map<String, Double>> uf = new LinkedHashMap<>();
        ResultTable baselines = BaselineRows.table("uf");
        for (Result r : results) {
            String c = r.config().name();
            if (!r.baselines().isEmpty()) {
                List<Outcome> own = r.outcomes().stream()
                        .filter(o -> r.baselines().stream().noneMatch(b -> b.method().equals(o.method()))).toList();
                int at = BaselineRows.defaultRule(own.stream().map(Outcome::method).toList());
                BaselineRows.add(baselines, c, r.baselines(), r.outcomes().get(0).acc(), at < 1 ? Double.NaN
                        : own.get(at).acc(), at < 1 ? Double.NaN : own.get(at).uf());
            }
            for (Outcome o : r.outcomes()) {
                ablation.add(c, o.method(), o.acc(), o.uf(), o.patchedShare(), o.gained(), o.lost(), o.accuracyChangeZ());
                acc.computeIfAbsent(o.method(), k -> new LinkedHashMap<>()).put(c, 100 * o.acc());
                uf.computeIfAbsent(o.method(), k -> new LinkedHashMap<>()).put(c, 100 * o.uf());
            }
            common.add(dir, c, r.detector(), r.evalPairs(), r.seconds(), r.msPerSample(), r.overAttention());
        }
        t3.writeCsv(dir.resolve("table3.csv"));
        ablation.writeCsv(dir.resolve("ablation.csv"));
        if (baselines.size() > 0) {
            baselines.writeCsv(dir.resolve("baselines.csv"));
        }
        common.write(dir);
        victims.writeCsv(dir.resolve("victims.csv"));
        Charts.bars(dir.resolve("acc.png"), "Clean accuracy (Table 3)", "Acc (%)", acc,
                paperValues(results, true));
        Charts.bars(dir.resolve("uf.png"), "Unfairness rate (Table 3)", "UF (%)", uf,
                paperValues(results, false));
        writeJson(results);
        Map<String, ResultTable> sections = new LinkedHashMap<>();
        sections.put("Victims", victims);
        sections.put("Table 3: accuracy and unfairness on the test split", t3);
        sections.put("Table 4: detector on the balanced evaluation set (strict map-level)", common.detector);
        if (baselines.size() > 0) {
            sections.put("Baselines beside AtPatch (its default rule): Acc, UF, wall seconds, settings", baselines);
        }
        sections.put("RQ3 ablation", ablation);
        sections.put("Efficiency", common.efficiency);
        sections.put("Over-attention on the protected attribute's columns (divergent / clean maps)",
                common.overSummary);
        ReportFiles.readme(dir, "Fairness reproduction (Table 3, Table 4 tabular rows, RQ3)", command, sections,
                "\nPer layer and head: `over-attention.csv`.\n");
    }

    private void writeJson(List<Result> results) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("command", command);
        json.put("victims", victimJson);
        json.put("results", results.stream().map(r -> {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("configuration", r.config());
            o.put("family", r.family());
            o.put("outcomes", r.outcomes());
            o.put("detector", DetectorRows.json(r.detector()));
            o.put("eval_pairs", r.evalPairs());
            o.put("debug_pairs", r.debugPairs());
            o.put("debug_clean_only", r.debugCleanOnly());
            o.put("seconds", r.seconds());
            o.put("ms_per_sample", r.msPerSample());
            o.put("over_attention", r.overAttention().cells());
            o.put("baselines", r.baselines());
            return o;
        }).toList());
        ReportFiles.json(dir, json);
    }
}
