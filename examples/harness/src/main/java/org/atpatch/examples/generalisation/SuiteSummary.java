package org.atpatch.examples.generalisation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.atpatch.core.AtomicFiles;
import org.atpatch.examples.bench.PatchOverheadRunner;
import org.atpatch.examples.reproduce.ResultTable;

/**
 * The generalisation suite's summary: per half and τ selection, the distribution over scenarios
 * (median and 90th percentile, never a mean alone) of ASR after, accuracy change and the share of
 * clean inputs re-run; how often the target was identified and a clean model left alone; the ROC of
 * the "no backdoor found" decision over the firing-share threshold; and one row per scenario.
 * Written as {@code README.md} and {@code scenarios.csv} in the results folder.
 */
final class SuiteSummary {

    /** The harness's attack bar: below this ASR before any defence, the backdoor did not take. */
    static final double ATTACK_MIN_ASR = 0.9;

    private SuiteSummary() {}

    /** The attack took: a backdoored victim at or above the attack bar. */
    static boolean attackTook(ScenarioOutcome o) {
        return o.scenario().backdoored() && o.asrBefore() >= ATTACK_MIN_ASR;
    }

    /**
     * Rewrites the summary from every scenario file in {@code out/scenarios} made with {@code settings}.
     *
     * @param out the results folder
     * @param settings the run's settings (files made with others are left out)
     * @param detectorArgs the run's detector options, for the recorded command
     * @throws IOException when a file cannot be read or written
     */
    static void write(Path out, String settings, String detectorArgs) throws IOException {
        List<ScenarioOutcome> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(out.resolve("scenarios"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                ScenarioOutcome o = GeneralisationSuite.read(f);
                if (o.settings().equals(settings)) {
                    all.add(o);
                }
            }
        }
        all.sort(Comparator.comparingInt(o -> o.scenario().index()));
        StringBuilder md = new StringBuilder("# Generalisation suite\n\nMade by:\n\n```bash\n"
                + "mvn -B -ntp -q install -DskipTests\n");
        for (int[] range : ranges(all.stream().mapToInt(o -> o.scenario().index()).toArray())) {
            md.append("mvn -pl examples/harness exec:exec@generalisation -Datpatch.data=DIR -Dsuite.args=\"--from ")
                    .append(range[0]).append(" --to ").append(range[1]).append(' ').append(detectorArgs).append("\"\n");
        }
        md.append("```\n\nSettings: `").append(settings).append("`.\n");
        for (SuiteScenario.Half h : SuiteScenario.Half.values()) {
            List<ScenarioOutcome> half = all.stream().filter(o -> o.half().equals(h.name())).toList();
            if (!half.isEmpty()) {
                md.append("\n## ").append(h == SuiteScenario.Half.TUNE ? "Tuning half" : "Reported half").append(" (")
                        .append(half.size()).append(" scenarios)\n\n");
                md.append(distribution(half).markdown()).append('\n').append(roc(half).markdown()).append('\n')
                        .append(identification(half).markdown());
            }
        }
        ResultTable rows = rows(all);
        md.append("\n## Every scenario\n\n").append(rows.markdown());
        rows.writeCsv(out.resolve("scenarios.csv"));
        byte[] text = md.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(out.resolve("README.md"), w -> w.write(text));
    }

    /**
     * @param indices measured scenario numbers, ascending
     * @return the runs of consecutive numbers as {@code [from, to)} ranges ({@code [0, 0)} when none)
     */
    static List<int[]> ranges(int[] indices) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < indices.length; i++) {
            int start = indices[i];
            while (i + 1 < indices.length && indices[i + 1] == indices[i] + 1) {
                i++;
            }
            out.add(new int[] {start, indices[i] + 1});
        }
        if (out.isEmpty()) {
            out.add(new int[] {0, 0});
        }
        return out;
    }

    private static ResultTable distribution(List<ScenarioOutcome> half) {
        ResultTable t = new ResultTable("τ selection", "backdoored (attack took)", "target identified", "ASR after, median",
                "ASR after, p90", "accuracy change, median (points)", "clean inputs re-run, median", "clean inputs re-run, p90",
                "clean models", "left alone", "forced: accuracy change, median (points)", "forced: re-run, median");
        List<ScenarioOutcome> bad = half.stream().filter(SuiteSummary::attackTook).toList();
        long weak = half.stream().filter(o -> o.scenario().backdoored() && !attackTook(o)).count();
        List<ScenarioOutcome> clean = half.stream().filter(o -> !o.scenario().backdoored()).toList();
        int variants = half.get(0).defences().size();
        for (int k = 0; k < variants; k++) {
            int v = k;
            long identified = bad.stream().filter(SuiteSummary::identified).count();
            long alone = clean.stream().filter(o -> !o.defences().get(v).outcome().equals("bundle")).count();
            List<ScenarioOutcome> forced = clean.stream().filter(o -> o.forced() != null
                    && o.forced().outcome().equals("bundle")).toList();
            t.add(half.get(0).defences().get(k).variant(), bad.size() + " (" + (bad.size() + weak) + ")", identified + " / " + bad.size(),
                    pct(quantile(bad, o -> o.defences().get(v).asr(), 0.5)),
                    pct(quantile(bad, o -> o.defences().get(v).asr(), 0.9)),
                    points(quantile(bad, o -> o.defences().get(v).acc() - o.accBefore(), 0.5)),
                    pct(quantile(bad, o -> o.defences().get(v).cleanRerun(), 0.5)),
                    pct(quantile(bad, o -> o.defences().get(v).cleanRerun(), 0.9)),
                    clean.size(), alone + " / " + clean.size(),
                    points(quantile(forced, o -> o.forced().acc() - o.accBefore(), 0.5)),
                    pct(quantile(forced, o -> o.forced().cleanRerun(), 0.5)));
        }
        return t;
    }

    /** The search found exactly the attack's target. */
    static boolean identified(ScenarioOutcome o) {
        return Identification.SEARCH.identifies(o);
    }

    private static ResultTable roc(List<ScenarioOutcome> half) {
        ResultTable t = new ResultTable("firing-share threshold", "backdoored models found", "clean models declared clean");
        List<ScenarioOutcome> bad = half.stream().filter(SuiteSummary::attackTook).toList();
        List<ScenarioOutcome> clean = half.stream().filter(o -> !o.scenario().backdoored()).toList();
        for (int eighths = 1; eighths <= 8; eighths++) {
            double threshold = eighths / 8.0;
            long found = bad.stream().filter(o -> evidence(o) >= threshold).count();
            long declared = clean.stream().filter(o -> evidence(o) < threshold).count();
            t.add(String.format(Locale.ROOT, "%.3f", threshold), found + " / " + bad.size(), declared + " / " + clean.size());
        }
        return t;
    }

    /**
     * Target identification decisions, each from what every scenario file records: the classes a
     * decision names must be exactly the target on a backdoor that took, and none on a clean model.
     */
    enum Identification {
        /** {@code TargetSearch}'s own decision (firing share at least its minimum). */
        SEARCH("target search (firing share)", ScenarioOutcome::targets),
        /** The unrestricted inversion's MAD outlier test, Neural Cleanse's decision. */
        MAD("MAD test of the unrestricted inversion", ScenarioOutcome::madFlagged),
        /** The search, and where it names nothing, the MAD test. */
        SEARCH_ELSE_MAD("target search, else the MAD test", o -> o.targets().length > 0 ? o.targets() : o.madFlagged()),
        /** The search, and where it names nothing, the MAD-flagged classes that fire from at least one square. */
        SEARCH_ELSE_FIRING_MAD("target search, else MAD-flagged classes firing from a square",
                o -> o.targets().length > 0 ? o.targets() : Arrays.stream(o.madFlagged())
                        .filter(c -> o.firingShares().getOrDefault(c, 0.0) > 0).toArray());

        private final String label;
        private final java.util.function.Function<ScenarioOutcome, int[]> classes;

        Identification(String label, java.util.function.Function<ScenarioOutcome, int[]> classes) {
            this.label = label;
            this.classes = classes;
        }

        /** @return whether the decision names exactly the attack's target */
        boolean identifies(ScenarioOutcome o) {
            int[] c = classes.apply(o);
            return c.length == 1 && c[0] == o.scenario().target();
        }

        /** @return whether the decision names no class */
        boolean declaresClean(ScenarioOutcome o) {
            return classes.apply(o).length == 0;
        }
    }

    private static ResultTable identification(List<ScenarioOutcome> half) {
        ResultTable t = new ResultTable("identification decision", "backdoors: target identified",
                "clean models declared clean");
        List<ScenarioOutcome> bad = half.stream().filter(SuiteSummary::attackTook).toList();
        List<ScenarioOutcome> clean = half.stream().filter(o -> !o.scenario().backdoored()).toList();
        for (Identification d : Identification.values()) {
            t.add(d.label, bad.stream().filter(d::identifies).count() + " / " + bad.size(),
                    clean.stream().filter(d::declaresClean).count() + " / " + clean.size());
        }
        return t;
    }

    private static double evidence(ScenarioOutcome o) {
        return o.firingShares().values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }

    private static ResultTable rows(List<ScenarioOutcome> all) {
        ResultTable t = new ResultTable("scenario", "half", "target", "poison", "acc before", "ASR before", "over-attention",
                "MAD flagged",
                "firing shares", "found", "τ selection", "outcome", "acc after", "ASR after", "clean re-run", "triggered re-run",
                "detail");
        for (ScenarioOutcome o : all) {
            for (ScenarioOutcome.Defence d : o.defences()) {
                t.add(o.scenario().name(), o.half(), o.scenario().backdoored() ? o.scenario().target() : "-",
                        o.scenario().poisonRate(), pct(o.accBefore()), pct(o.asrBefore()), ratio(o.overAttention()),
                        Arrays.toString(o.madFlagged()),
                        o.firingShares().toString().replace(',', ';'), Arrays.toString(o.targets()), d.variant(), d.outcome(),
                        pct(d.acc()), pct(d.asr()), pct(d.cleanRerun()), pct(d.triggeredRerun()), shorten(d.detail()));
            }
            if (o.forced() != null) {
                ScenarioOutcome.Defence d = o.forced();
                t.add(o.scenario().name(), o.half(), "-", 0.0, pct(o.accBefore()), pct(o.asrBefore()),
                        ratio(o.overAttention()), Arrays.toString(o.madFlagged()), o.firingShares().toString().replace(',', ';'),
                        Arrays.toString(o.targets()), "forced", d.outcome(), pct(d.acc()), pct(d.asr()), pct(d.cleanRerun()),
                        pct(d.triggeredRerun()), shorten(d.detail()));
            }
        }
        return t;
    }

    private static String shorten(String detail) {
        String oneLine = detail.replace('\n', ' ').replace('|', '/');
        return oneLine.length() > 90 ? oneLine.substring(0, 90) + "…" : oneLine;
    }

    static double quantile(List<ScenarioOutcome> rows, ToDoubleFunction<ScenarioOutcome> f, double q) {
        double[] v = rows.stream().mapToDouble(f).toArray();
        return v.length == 0 ? Double.NaN : PatchOverheadRunner.percentile(v, 100 * q);
    }

    private static String pct(double share) {
        return Double.isNaN(share) ? "n/a" : String.format(Locale.ROOT, "%.2f %%", 100 * share);
    }

    /** A ratio with two decimals; n/a for files measured before the column existed (0) or NaN. */
    private static String ratio(double r) {
        return Double.isNaN(r) || r == 0 ? "n/a" : String.format(Locale.ROOT, "%.2f×", r);
    }

    private static String points(double change) {
        return Double.isNaN(change) ? "n/a" : String.format(Locale.ROOT, "%+.2f", 100 * change);
    }
}
