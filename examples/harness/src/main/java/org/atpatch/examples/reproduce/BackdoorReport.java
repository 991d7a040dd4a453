package org.atpatch.examples.reproduce;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.atpatch.core.AtomicFiles;
import org.atpatch.examples.reproduce.BackdoorExperiment.Outcome;
import org.atpatch.examples.reproduce.BackdoorExperiment.Result;

/**
 * Writes the backdoor results under one folder: {@code table2.csv} and {@code table2.md} (Acc and ASR,
 * original vs AtPatch with each rule, in percent), {@code table4.csv} (the detector on the balanced
 * evaluation set), {@code ablation.csv} (RQ3), {@code debugging-sets.csv} (where each debugging set's
 * triggers came from), {@code efficiency.csv}, {@code over-attention.csv},
 * {@code victims.csv}, {@code results.json} (everything), {@code pr-<configuration>.csv}, the plots
 * {@code acc.png}, {@code asr.png}, {@code pr-curves.png}, and {@code README.md} with the tables in
 * markdown and the command that made them. Inversion reports go to {@code inversion/<configuration>/},
 * each with its overview picture ({@link InversionFiles}).
 */
public final class BackdoorReport {

    /** Table 2: the column of the first method, after configuration, family, target and ASR floor. */
    private static final int FIRST_METHOD = 4;

    private final Path dir;
    private final String command;
    /** The harness's bar for an attack: at least this ASR ... */
    static final double ATTACK_MIN_ASR = 0.95;
    /** ... with clean accuracy at most this far below the clean model's. */
    static final double ATTACK_MAX_ACC_DROP = 0.02;

    private final ResultTable victims = new ResultTable("configuration", "family", "target", "clean_acc", "asr",
            "train_images", "train_seconds", "cached", "clean_model_acc", "attack_bar");
    private final Map<String, Object> victimJson = new LinkedHashMap<>();
    private final ResultTable noBackdoor = new ResultTable("dataset", "family", "clean_acc", "mad_flagged", "mad_path",
            "target_search", "firing_shares", "forced_class", "forced_quality_gates", "forced_acc", "forced_acc_change_points",
            "forced_patched", "seconds");

    /**
     * @param dir the results folder (created when needed)
     * @param command the command line that reproduces the run, recorded in the README
     */
    public BackdoorReport(Path dir, String command) {
        this.dir = dir;
        this.command = command;
    }

    /** @return the results folder */
    public Path dir() {
        return dir;
    }

    /**
     * Records a victim.
     *
     * @param config its configuration
     * @param v the victim
     * @param original its unpatched Acc and ASR
     * @param trainImages the training images it saw
     * @param clean the dataset's clean model, or null when not measured
     */
    public void victim(BackdoorConfig config, ImageVictim v, Outcome original, int trainImages, ImageVictim.CleanModel clean) {
        String family = ImageFamily.forDataset(config.dataset()).name();
        double cleanAcc = clean == null ? Double.NaN : clean.accuracy();
        String bar = attackBar(original, clean);
        victims.add(config.name(), family, v.attack().target(), original.acc(), original.asr(), trainImages,
                v.trainSeconds(), v.cached(), cleanAcc, bar);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("family", family);
        o.put("attack", v.attack().fingerprint());
        o.put("clean_acc", original.acc());
        o.put("asr", original.asr());
        o.put("train_images", trainImages);
        o.put("train_seconds", v.trainSeconds());
        o.put("cached", v.cached());
        o.put("clean_model_acc", cleanAcc);
        o.put("attack_bar", bar);
        victimJson.put(config.name(), o);
    }

    /**
     * Records what the pipeline did on a dataset's clean model.
     *
     * @param row the check's result
     */
    public void noBackdoor(NoBackdoorCheck.Row row) {
        noBackdoor.add(row.dataset(), row.family(), row.accuracy(), java.util.Arrays.toString(row.madFlagged()),
                row.madPath(), row.searchPath(), row.firing(), row.forcedClass(), row.gates(), row.forcedAccuracy(),
                100 * (row.forcedAccuracy() - row.accuracy()), row.forcedPatched(), row.seconds());
    }

    /**
     * The harness's bar for an attacked victim: ASR at least {@value #ATTACK_MIN_ASR} with clean accuracy
     * at most {@value #ATTACK_MAX_ACC_DROP} below the clean model's.
     *
     * @param original the victim's unpatched accuracy and ASR
     * @param clean the dataset's clean model, or null
     * @return {@code met}, {@code missed (...)} naming the shortfall, or {@code n/a} without a clean model
     */
    static String attackBar(Outcome original, ImageVictim.CleanModel clean) {
        if (clean == null) {
            return "n/a";
        }
        List<String> missed = new ArrayList<>();
        if (!(original.asr() >= ATTACK_MIN_ASR)) {
            missed.add(String.format(Locale.ROOT, "ASR %.2f %% < %.0f %%", 100 * original.asr(), 100 * ATTACK_MIN_ASR));
        }
        double drop = clean.accuracy() - original.acc();
        if (!(drop <= ATTACK_MAX_ACC_DROP + 1e-9)) { // 1e-9 absorbs the subtraction's rounding only
            missed.add(String.format(Locale.ROOT, "accuracy %.2f points below the clean model", 100 * drop));
        }
        return missed.isEmpty() ? "met" : "missed (" + String.join("; ", missed) + ")";
    }

    /**
     * @param results the configurations run so far
     * @return Table 2 in the paper's layout (percentages): the ASR floor (clean non-target images the
     *     victim already classifies as the target), one Acc/ASR column pair per method, then the shares of
     *     clean and triggered images the first AtPatch rule patched, and a note
     */
    public static ResultTable table2(List<Result> results) {
        List<String> methods = methods(results);
        String[] header = new String[FIRST_METHOD + 2 * methods.size() + 3];
        header[0] = "configuration";
        header[1] = "family";
        header[2] = "target";
        header[3] = "ASR floor % (clean)";
        for (int m = 0; m < methods.size(); m++) {
            header[FIRST_METHOD + 2 * m] = "Acc % (" + methods.get(m) + ")";
            header[FIRST_METHOD + 1 + 2 * m] = "ASR % (" + methods.get(m) + ")";
        }
        String first = methods.size() > 1 ? methods.get(1) : "AtPatch";
        header[header.length - 3] = "clean patched % (" + first + ")";
        header[header.length - 2] = "triggered patched % (" + first + ")";
        header[header.length - 1] = "note";
        ResultTable t = new ResultTable(header);
        for (Result r : results) {
            Object[] row = new Object[header.length];
            row[0] = r.config().name();
            row[1] = r.family();
            row[2] = r.target();
            row[3] = ResultTable.percent(r.asrFloor());
            for (int m = 0; m < methods.size(); m++) {
                Optional<Outcome> o = outcome(r, methods.get(m));
                row[FIRST_METHOD + 2 * m] = ResultTable.percent(o.map(Outcome::acc).orElse(Double.NaN));
                row[FIRST_METHOD + 1 + 2 * m] = ResultTable.percent(o.map(Outcome::asr).orElse(Double.NaN));
            }
            Optional<Outcome> o = methods.size() > 1 ? outcome(r, first) : Optional.empty();
            row[row.length - 3] = ResultTable.percent(o.map(Outcome::cleanPatched).orElse(Double.NaN));
            row[row.length - 2] = ResultTable.percent(o.map(Outcome::triggeredPatched).orElse(Double.NaN));
            row[row.length - 1] = r.note();
            t.add(row);
        }
        return t;
    }

    /** The methods of every result, in order of first appearance, the ablations last. */
    static List<String> methods(List<Result> results) {
        Set<String> all = new LinkedHashSet<>(List.of(BackdoorExperiment.ORIGINAL));
        results.forEach(r -> r.outcomes().forEach(o -> all.add(o.method())));
        List<String> ablations = List.of(PatchVariants.WITHOUT_DETECTOR, PatchVariants.WITHOUT_RESCALING);
        all.removeAll(ablations);
        List<String> out = new java.util.ArrayList<>(all);
        ablations.stream().filter(a -> results.stream().anyMatch(r -> outcome(r, a).isPresent())).forEach(out::add);
        return out;
    }

    private static Optional<Outcome> outcome(Result r, String method) {
        return r.outcomes().stream().filter(o -> o.method().equals(method)).findFirst();
    }

    /** Configuration → the paper's {original, AtPatch} accuracy (or ASR), where Table 2 has the configuration. */
    private static Map<String, double[]> paperValues(List<Result> results, boolean accuracy) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Result r : results) {
            PaperTables.table2(r.config().name()).ifPresent(p -> out.put(r.config().name(), accuracy
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
        ResultTable t2 = table2(results);
        CommonTables common = new CommonTables("unpatched", "atpatch_clean", "atpatch_triggered");
        ResultTable ablation = new ResultTable("configuration", "method", "acc", "asr", "clean_patched",
                "triggered_patched");
        Map<String, Map<String, Double>> acc = new LinkedHashMap<>();
        Map<String, Map<String, Double>> asr = new LinkedHashMap<>();
        ResultTable debugging = new ResultTable("configuration", "flagged_classes", "debug_pairs", "debug_clean_only",
                "source");
        ResultTable baselines = BaselineRows.table("asr");
        for (Result r : results) {
            String c = r.config().name();
            if (!r.baselines().isEmpty()) {
                List<Outcome> own = r.outcomes().stream()
                        .filter(o -> r.baselines().stream().noneMatch(b -> b.method().equals(o.method()))).toList();
                int at = BaselineRows.defaultRule(own.stream().map(Outcome::method).toList());
                Outcome atpatch = at < 1 ? null : own.get(at);
                BaselineRows.add(baselines, c, r.baselines(), r.outcomes().get(0).acc(),
                        atpatch == null ? Double.NaN : atpatch.acc(), atpatch == null ? Double.NaN : atpatch.asr());
            }
            debugging.add(c, java.util.Arrays.toString(r.flaggedClasses()), r.debugPairs(), r.debugCleanOnly(),
                    r.debugSource());
            for (Outcome o : r.outcomes()) {
                ablation.add(c, o.method(), o.acc(), o.asr(), o.cleanPatched(), o.triggeredPatched());
                acc.computeIfAbsent(o.method(), k -> new LinkedHashMap<>()).put(c, 100 * o.acc());
                asr.computeIfAbsent(o.method(), k -> new LinkedHashMap<>()).put(c, 100 * o.asr());
            }
            common.add(dir, c, r.detector(), r.evalPairs(), r.seconds(), r.msPerSample(), r.overAttention());
        }
        t2.writeCsv(dir.resolve("table2.csv"));
        AtomicFiles.write(dir.resolve("table2.md"), out -> out.write(t2.markdown().getBytes(StandardCharsets.UTF_8)));
        ablation.writeCsv(dir.resolve("ablation.csv"));
        if (baselines.size() > 0) {
            baselines.writeCsv(dir.resolve("baselines.csv"));
        }
        debugging.writeCsv(dir.resolve("debugging-sets.csv"));
        common.write(dir);
        victims.writeCsv(dir.resolve("victims.csv"));
        if (noBackdoor.size() > 0) {
            noBackdoor.writeCsv(dir.resolve("no-backdoor.csv"));
        }
        Charts.bars(dir.resolve("acc.png"), "Clean accuracy (Table 2)", "Acc (%)", acc,
                paperValues(results, true));
        Charts.bars(dir.resolve("asr.png"), "Attack success rate (Table 2)", "ASR (%)", asr,
                paperValues(results, false));
        writeJson(results);
        Map<String, ResultTable> sections = new LinkedHashMap<>();
        sections.put("Victims", victims);
        sections.put("Table 2: accuracy and attack success rate on the evaluation images", t2);
        sections.put("Table 4: detector on the balanced evaluation set (real trigger, strict map-level)", common.detector);
        sections.put("Debugging sets (MAD-flagged classes of the unrestricted inversion; where the triggers came from)",
                debugging);
        if (baselines.size() > 0) {
            sections.put("Baselines beside AtPatch (its default rule): Acc, ASR, wall seconds, settings", baselines);
        }
        if (noBackdoor.size() > 0) {
            sections.put("No backdoor: the pipeline on each dataset's clean model (the forced bundle: the smallest inverted "
                    + "mask, applied with the gates off)", noBackdoor);
        }
        sections.put("RQ3 ablation", ablation);
        sections.put("Efficiency", common.efficiency);
        sections.put("Over-attention on the real trigger's columns (triggered / clean maps)", common.overSummary);
        ReportFiles.readme(dir, "Backdoor reproduction (Table 2, Table 4 image rows, RQ3)", command, sections,
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
            o.put("target", r.target());
            if (!Double.isNaN(r.asrFloor())) {
                o.put("asr_floor", r.asrFloor());
            }
            o.put("outcomes", r.outcomes());
            if (r.detector() != null) {
                o.put("detector", DetectorRows.json(r.detector()));
            }
            o.put("eval_pairs", r.evalPairs());
            o.put("debug_pairs", r.debugPairs());
            o.put("debug_clean_only", r.debugCleanOnly());
            o.put("flagged_classes", r.flaggedClasses());
            o.put("debugging_source", r.debugSource());
            o.put("seconds", r.seconds());
            o.put("ms_per_sample", r.msPerSample());
            o.put("over_attention", r.overAttention() == null ? List.of() : r.overAttention().cells());
            o.put("note", r.note());
            o.put("baselines", r.baselines());
            return o;
        }).toList());
        ReportFiles.json(dir, json);
    }
}
