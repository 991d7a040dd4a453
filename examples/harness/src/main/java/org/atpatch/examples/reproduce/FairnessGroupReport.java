package org.atpatch.examples.reproduce;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.atpatch.examples.reproduce.FairnessGroupExperiment.Outcome;
import org.atpatch.examples.reproduce.FairnessGroupExperiment.Result;
import org.atpatch.examples.reproduce.FairnessGroupExperiment.Sight;

/**
 * Writes the results of {@link ReproduceFairnessGroups} under one folder: {@code decisions.csv}
 * (accuracy, UF per attribute and joint, patched share, McNemar's z per decision), {@code sight.csv}
 * (the detector and the over-attention on the protected group, inputs as given and canonical views),
 * {@code debugging-sets.csv}, {@code results.json} and {@code README.md} with the command that made them.
 */
public final class FairnessGroupReport {

    private final Path dir;
    private final String command;

    /**
     * @param dir the results folder (created when needed)
     * @param command the command line that reproduces the run
     */
    public FairnessGroupReport(Path dir, String command) {
        this.dir = dir;
        this.command = command;
    }

    /**
     * @param results the configurations run so far
     * @return one row per configuration and decision, percentages
     */
    public ResultTable decisions(List<Result> results) {
        ResultTable t = new ResultTable("configuration", "family", "decision", "Acc %", "Acc change (points)",
                "UF % per attribute", "UF % joint", "patched %", "turned right", "turned wrong", "McNemar z");
        for (Result r : results) {
            double acc0 = r.outcomes().get(0).acc();
            for (Outcome o : r.outcomes()) {
                String perAttribute = r.config().attributes().stream()
                        .map(a -> a + " " + ResultTable.percent(o.uf().get(a))).collect(Collectors.joining(", "));
                t.add(r.config().name(), r.family(), o.method(), ResultTable.percent(o.acc()),
                        String.format(Locale.ROOT, "%+.2f", 100 * (o.acc() - acc0)), perAttribute,
                        ResultTable.percent(o.uf().get("joint")), ResultTable.percent(o.patchedShare()), o.gained(), o.lost(),
                        String.format(Locale.ROOT, "%.2f", o.accuracyChangeZ()));
            }
        }
        return t;
    }

    /**
     * @param results the configurations run so far
     * @return the detector and over-attention per view
     */
    public ResultTable sight(List<Result> results) {
        ResultTable t = new ResultTable("configuration", "view", "tau", "precision", "recall", "f1", "column_roc_auc",
                "over_attention_max_ratio_all_rows", "over_attention_max_ratio_cls_row");
        for (Result r : results) {
            for (Sight s : r.sights()) {
                t.add(r.config().name(), s.view(), s.tau(), s.detector().metrics().precision(), s.detector().metrics().recall(),
                        s.detector().metrics().f1(), s.detector().rocAuc(), s.overAttention().maxRatioAll(),
                        s.overAttention().maxRatioCls());
            }
        }
        return t;
    }

    /**
     * @param results the configurations run so far
     * @return the logit-margin baseline and the online cost per configuration
     */
    public ResultTable marginAndCost(List<Result> results) {
        ResultTable t = new ResultTable("configuration", "divergent % of test", "margin ROC-AUC",
                "margin: patched % for 99 % recall", "margin: patched % for 100 % recall", "ms/sample unpatched",
                "ms/sample per-input", "ms/sample invariant", "invariant / per-input", "ms/sample orbit averaging",
                "orbit averaging / unpatched");
        for (Result r : results) {
            Map<String, Double> ms = r.msPerSample();
            t.add(r.config().name(), ResultTable.percent(r.divergentShare()), r.margin().rocAuc(),
                    ResultTable.percent(r.margin().shareForRecall99()), ResultTable.percent(r.margin().shareForRecall100()),
                    ms.get("unpatched"), ms.get(FairnessGroupExperiment.PER_INPUT), ms.get(FairnessGroupExperiment.INVARIANT),
                    ms.get(FairnessGroupExperiment.INVARIANT) / ms.get(FairnessGroupExperiment.PER_INPUT),
                    ms.get(FairnessGroupExperiment.ORBIT), ms.get(FairnessGroupExperiment.ORBIT) / ms.get("unpatched"));
        }
        return t;
    }

    /**
     * @param results the configurations run so far
     * @return the debugging sets' pairs (in total and per attribute) and the share of divergent test inputs
     */
    public ResultTable debuggingSets(List<Result> results) {
        ResultTable t = new ResultTable("configuration", "pairs", "pairs per attribute", "joint-flip set: pairs (of them joint)",
                "clean-only", "divergent % of test (joint flips)", "seconds");
        for (Result r : results) {
            Map<String, String> p = r.debugProvenance();
            String per = r.config().attributes().stream().map(a -> a + " " + p.get("attribute." + a + ".pairs"))
                    .collect(Collectors.joining(", "));
            String joint = p.containsKey("jointSet.pairs") ? p.get("jointSet.pairs") + " (" + p.getOrDefault("jointSet.joint.pairs", "0")
                    + ")" : p.get("pairs");
            t.add(r.config().name(), p.get("pairs"), per, joint, p.get("cleanOnly"), ResultTable.percent(r.divergentShare()),
                    String.format(Locale.ROOT, "%.0f", r.seconds()));
        }
        return t;
    }

    /**
     * Rewrites every file from the results so far.
     *
     * @param results the configurations run so far
     * @throws IOException when a file cannot be written
     */
    public void write(List<Result> results) throws IOException {
        Files.createDirectories(dir);
        ResultTable decisions = decisions(results);
        ResultTable sight = sight(results);
        ResultTable sets = debuggingSets(results);
        ResultTable margin = marginAndCost(results);
        margin.writeCsv(dir.resolve("margin-and-cost.csv"));
        decisions.writeCsv(dir.resolve("decisions.csv"));
        sight.writeCsv(dir.resolve("sight.csv"));
        sets.writeCsv(dir.resolve("debugging-sets.csv"));
        Map<String, ResultTable> sections = new LinkedHashMap<>();
        sections.put("Decisions: accuracy, UF per attribute and under joint flips, patched share", decisions);
        sections.put("What the detector sees: balanced evaluation set from the test split, protected group's columns", sight);
        sections.put("Logit margin as a decision, and the online cost (batch 256, medians of 5 interleaved rounds)", margin);
        sections.put("Debugging sets", sets);
        ReportFiles.readme(dir, "Fairness with several protected attributes and flip-invariant decisions", command,
                sections, "\nThe row \"" + FairnessGroupExperiment.ORBIT + "\" is OrbitAveraging, which needs no detector: an input"
                        + " whose flip orbit is divergent under the unpatched model gets the model's class probabilities averaged over"
                        + " the orbit, any other input its own output. Its \"patched %\" is the share of test inputs whose orbit is"
                        + " divergent, the inputs it changes. The row \"" + FairnessGroupExperiment.ORBIT_WEIGHTED + "\" averages"
                        + " with each combination of protected values weighted by its share of the debugging split.\n");
        Map<String, Object> json = new LinkedHashMap<>();
        for (Result r : results) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("attributes", r.config().attributes());
            c.put("family", r.family());
            c.put("outcomes", r.outcomes());
            c.put("divergentShare", r.divergentShare());
            c.put("margin", r.margin());
            c.put("msPerSample", r.msPerSample());
            c.put("debuggingSet", r.debugProvenance());
            c.put("overAttention", r.sights().stream().collect(Collectors.toMap(Sight::view, s -> s.overAttention().cells(),
                    (a, b) -> a, LinkedHashMap::new)));
            json.put(r.config().name(), c);
        }
        ReportFiles.json(dir, json);
    }
}
