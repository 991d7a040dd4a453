package org.atpatch.examples.scenario;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.atpatch.core.AtomicFiles;
import org.atpatch.core.ImageTokenLayout;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.patch.PatchRule;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.examples.attack.RealTrigger;
import org.atpatch.examples.data.ExecArgs;
import org.atpatch.examples.data.PatchTrigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * Measures every shipped patch rule side by side: for a corner, an interior and a straddling BadNets
 * trigger on the quickstart's data and victim architecture, one victim, one inversion-built
 * debugging set and one trained detector each, then ASR, clean accuracy, the share of clean inputs
 * that got patched and the accuracy on those, per rule; then the same with an
 * {@link OracleColumnDetector} on the real trigger's columns (the rules' upper bound), and each
 * victim's ASR floor. Writes a markdown table and a CSV (atomically, after every trigger). The
 * results are in docs/results/patch-rules.md; docs/architecture.md ("Design decisions": token-state
 * rule, rule selection) says what they decided.
 */
@Command(name = "patch-rules", mixinStandardHelpOptions = true,
        description = "Compare the patch rules on corner, interior and straddling triggers.")
public final class PatchRuleComparison implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(PatchRuleComparison.class);

    @Mixin
    ScenarioOptions options = new ScenarioOptions();

    @Option(names = "--out", description = "Results folder (default ${DEFAULT-VALUE}).")
    Path out = Path.of("target", "patch-rules");

    @Option(names = "--inversion-out", description = "Where the inversion reports go (default ${DEFAULT-VALUE}).")
    Path inversionOut = Path.of("target", "patch-rules");

    /**
     * @param args options; {@code --help} lists them
     */
    public static void main(String[] args) {
        DjlOffline.configure();
        System.exit(new CommandLine(new PatchRuleComparison()).execute(ExecArgs.split(args)));
    }

    @Override
    public Integer call() throws IOException {
        ScenarioOptions.Data data = options.data();
        int target = options.target();
        List<Object[]> triggers = List.of(
                new Object[] {"corner (rows/cols 24-27)", new PatchTrigger(24, 24, 4, 1f, true, target)},
                new Object[] {"interior (rows/cols 12-15)", new PatchTrigger(12, 12, 4, 1f, true, target)},
                new Object[] {"straddling 3x3 (rows/cols 22-24)", new PatchTrigger(22, 22, 3, 1f, true, target)});
        List<String> rows = new ArrayList<>();
        rows.add("trigger,detector,rule,acc_before,asr_before,asr_floor,acc_after,asr_after,clean_patched,acc_on_patched,"
                + "triggered_patched,selected");
        StringBuilder md = new StringBuilder("| trigger | acc / ASR before (ASR floor) | detector | rule | acc after | ASR after"
                + " | clean inputs patched | acc on those | triggered inputs patched |\n|---|---|---|---|---|---|---|---|---|\n");
        StringBuilder selection = new StringBuilder("\nRule selection on each debugging set (PatchRuleSelection:"
                + " score = removed - clean changed, token-state kept unless beaten by more than 0.01):\n\n");
        for (Object[] t : triggers) {
            String name = (String) t[0];
            PatchTrigger trigger = (PatchTrigger) t[1];
            try (BackdoorScenario s = new BackdoorScenario("rules-" + trigger.row() + "-" + trigger.size(), data.train(),
                    data.pool(), data.eval(), trigger, options.epochs(), options.seed(), options.cache(),
                    inversionOut.resolve("inversion-" + trigger.row()))) {
                PatchBundle bundle = s.trainBundle(options.seed());
                selection.append(String.format(Locale.ROOT, "- %s: %s selected; %s%n", name, bundle.patchRule(),
                        bundle.provenance().getOrDefault("patchRule.selection", "(no selection)")));
                ImageTokenLayout layout = ((VisionTransformer) s.model().getBlock()).tokenLayout();
                int[] real = RealTrigger.columns(RealTrigger.of(trigger, data.eval().sampleShape()), layout);
                Map<String, ColumnDetector> detectors = new LinkedHashMap<>();
                detectors.put("trained", bundle.detector());
                detectors.put("oracle " + Arrays.toString(real), new OracleColumnDetector(layout.size(), real));
                try (var detector = bundle.detector()) {
                    for (Map.Entry<String, ColumnDetector> d : detectors.entrySet()) {
                        for (Map.Entry<String, BackdoorVictim.Evaluation> r : evaluateEveryRule(s, bundle, d.getValue())
                                .entrySet()) {
                            BackdoorVictim.Evaluation e = r.getValue();
                            boolean selected = d.getValue() == bundle.detector() && r.getKey().equals(bundle.patchRule());
                            rows.add(String.format(Locale.ROOT, "%s,%s,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%b", name,
                                    d.getKey().replace(',', ' '), r.getKey(), s.victim().accBefore(), s.victim().asrBefore(), s.victim().asrFloor(),
                                    e.acc(), e.asr(), e.cleanFlagged(), e.accOnFlagged(), e.triggeredFlagged(), selected));
                            md.append(String.format(Locale.ROOT, "| %s | %s / %s (%s) | %s | %s | %s | %s | %s | %s | %s |%n",
                                    name, BackdoorVictim.pct(s.victim().accBefore()), BackdoorVictim.pct(s.victim().asrBefore()),
                                    BackdoorVictim.pct(s.victim().asrFloor()), d.getKey(), r.getKey() + (selected ? " (selected)" : ""),
                                    BackdoorVictim.pct(e.acc()),
                                    BackdoorVictim.pct(e.asr()), BackdoorVictim.pct(e.cleanFlagged()),
                                    BackdoorVictim.pct(e.accOnFlagged()), BackdoorVictim.pct(e.triggeredFlagged())));
                        }
                    }
                }
            }
            Files.createDirectories(out);
            AtomicFiles.write(out.resolve("patch-rules.csv"),
                    w -> w.write((String.join("\n", rows) + "\n").getBytes(StandardCharsets.UTF_8)));
            String text = md.toString() + selection;
            AtomicFiles.write(out.resolve("patch-rules.md"), w -> w.write(text.getBytes(StandardCharsets.UTF_8)));
        }
        System.out.print(md.toString() + selection);
        return 0;
    }

    /**
     * Evaluates every shipped patch rule with one bundle's detector, Q and τ, and logs each.
     *
     * @param s the scenario (victim and evaluation data)
     * @param bundle the trained bundle; its detector stays open (the caller's)
     * @return per rule name, its evaluation, in {@link PatchRules#all()} order
     */
    public static Map<String, BackdoorVictim.Evaluation> evaluateEveryRule(BackdoorScenario s, PatchBundle bundle) {
        return evaluateEveryRule(s, bundle, bundle.detector());
    }

    /**
     * Evaluates every shipped patch rule with a given detector and one bundle's Q and τ, and logs each.
     *
     * @param s the scenario (victim and evaluation data)
     * @param bundle the trained bundle (Q, token states, τ)
     * @param detector the column detector (the bundle's, or an {@link OracleColumnDetector})
     * @return per rule name, its evaluation, in {@link PatchRules#all()} order
     */
    public static Map<String, BackdoorVictim.Evaluation> evaluateEveryRule(BackdoorScenario s, PatchBundle bundle,
            ColumnDetector detector) {
        Map<String, BackdoorVictim.Evaluation> out = new LinkedHashMap<>();
        for (PatchRule rule : PatchRules.all()) {
            try (PatchedModel pm = PatchedModel.builder().setModel(s.model()).setDetector(detector)
                    .setBenignStatistics(bundle.benign()).optTau(bundle.tau()).optPatchRule(rule).build()) {
                BackdoorVictim.Evaluation e = s.evaluate(pm);
                LOG.info("{} / {}: acc {} ASR {} clean patched {} acc on those {}; triggered inputs patched {}",
                        s.model().getName(), rule.name(), BackdoorVictim.pct(e.acc()), BackdoorVictim.pct(e.asr()),
                        BackdoorVictim.pct(e.cleanFlagged()), BackdoorVictim.pct(e.accOnFlagged()),
                        BackdoorVictim.pct(e.triggeredFlagged()));
                out.put(rule.name(), e);
            }
        }
        return out;
    }
}
