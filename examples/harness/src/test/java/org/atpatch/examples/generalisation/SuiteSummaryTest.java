package org.atpatch.examples.generalisation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The suite's summary: distributions per half, the identification count, the per-scenario rows. */
class SuiteSummaryTest {

    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();
    private static final String SETTINGS = "test-settings";

    private static ScenarioOutcome.Defence bundle(double acc, double asr, double cleanRerun) {
        return new ScenarioOutcome.Defence("max-f1", "bundle", "token-state", 0.9, 0.4, acc, asr, cleanRerun, 0.9, 1);
    }

    private static ScenarioOutcome outcome(int index, String settings, double overAttention, int[] found,
            ScenarioOutcome.Defence defence, ScenarioOutcome.Defence forced) {
        return outcome(index, settings, overAttention, new int[0], Map.of(), found, defence, forced);
    }

    private static ScenarioOutcome outcome(int index, String settings, double overAttention, int[] mad,
            Map<Integer, Double> shares, int[] found, ScenarioOutcome.Defence defence, ScenarioOutcome.Defence forced) {
        SuiteScenario s = SuiteScenario.draw(index);
        return new ScenarioOutcome(s, s.half().name(), settings, 0.80, s.backdoored() ? 1.0 : 0.02, 0.01, overAttention,
                mad, new double[0], shares, found, 1, List.of(defence), forced);
    }

    private static void save(Path dir, ScenarioOutcome o) throws IOException {
        Files.writeString(dir.resolve(o.scenario().name() + ".json"), GSON.toJson(o), StandardCharsets.UTF_8);
    }

    @Test
    void rangesAreTheRunsOfConsecutiveScenarioNumbers() {
        List<int[]> r = SuiteSummary.ranges(new int[] {0, 1, 2, 5, 7, 8});
        assertEquals(3, r.size());
        assertEquals(List.of("0-3", "5-6", "7-9"), r.stream().map(a -> a[0] + "-" + a[1]).toList());
        assertEquals(List.of("0-0"), SuiteSummary.ranges(new int[0]).stream().map(a -> a[0] + "-" + a[1]).toList());
    }

    @Test
    void summarisesEachHalfByMediansAndListsEveryScenarioWithItsOverAttention() throws IOException {
        // Scenarios 2, 3, 6 and 7 are backdoored and in the reported half, 14 is a clean model there.
        Path out = Files.createTempDirectory("suite-summary");
        Path scenarios = Files.createDirectories(out.resolve("scenarios"));
        int[] indices = {2, 3, 6, 7};
        double[] asr = {0.01, 0.03, 0.50, 0.02};
        for (int k = 0; k < indices.length; k++) {
            SuiteScenario s = SuiteScenario.draw(indices[k]);
            assertTrue(s.backdoored() && s.half() == SuiteScenario.Half.REPORT, s.toString());
            // The search misses scenario 6's target, which the MAD test flags and which fires from one square.
            int[] found = k == 2 ? new int[0] : new int[] {s.target()};
            int[] mad = k == 2 || k == 3 ? new int[] {s.target()} : new int[0];
            save(scenarios, outcome(indices[k], SETTINGS, 4.0 + k, mad, Map.of(s.target(), k == 2 ? 0.125 : 1.0), found,
                    bundle(0.79, asr[k], 0.02 * (k + 1)), null));
        }
        SuiteScenario cleanScenario = SuiteScenario.draw(14);
        assertTrue(!cleanScenario.backdoored() && cleanScenario.half() == SuiteScenario.Half.REPORT);
        // On the clean model the MAD test flags class 3, which fires from no square.
        save(scenarios, outcome(14, SETTINGS, 1.0, new int[] {3}, Map.of(3, 0.0), new int[0],
                new ScenarioOutcome.Defence("max-f1", "no-backdoor", "none", Double.NaN, Double.NaN, 0.8, 0.02, 0, 0, 0),
                bundle(0.799, 0.02, 0.06)));
        // A file made with other settings stays out of the summary.
        save(scenarios, outcome(10, "other-settings", 9.0, new int[0], bundle(0.5, 0.9, 0.5), null));

        SuiteSummary.write(out, SETTINGS, "--detector-architecture column-statistics");
        String md = Files.readString(out.resolve("README.md"), StandardCharsets.UTF_8);

        assertTrue(md.contains("## Reported half (5 scenarios)"), md);
        // The recorded commands cover exactly the scenarios measured: 2-3, 6-7 and 14.
        assertTrue(md.contains("-Dsuite.args=\"--from 2 --to 4 --detector-architecture column-statistics\"")
                && md.contains("--from 6 --to 8 ") && md.contains("--from 14 --to 15 ") && !md.contains("--from 0 "), md);
        assertTrue(!md.contains("Tuning half"), "no tuning scenario was measured with these settings");
        // ASR after over the four backdoors: 0.01, 0.02, 0.03, 0.50 → median 2.50 %; three of four identified;
        // clean inputs re-run 2, 4, 6, 8 % → median 5 %; the clean model left alone, its forced bundle −0.10.
        assertTrue(md.contains("| max-f1 | 4 (4) | 3 / 4 | 2.50 % |"), md);
        assertTrue(md.contains("| -1.00 | 5.00 % |"), md);
        assertTrue(md.contains("| 1 | 1 / 1 | -0.10 | 6.00 % |"), md);
        assertTrue(md.contains("| 4.00× |") && md.contains("| 7.00× |") && md.contains("| 1.00× |"), md);
        assertTrue(!md.contains("9.00×"), "the other-settings file is left out");
        assertTrue(md.contains("| clean re-run | triggered re-run | detail |") && md.contains("| 2.00 % | 90.00 % | token-state |"),
                "each row shows the triggered inputs re-run beside the clean ones");
        assertTrue(md.contains("| target search (firing share) | 3 / 4 | 1 / 1 |"), md);
        assertTrue(md.contains("| MAD test of the unrestricted inversion | 2 / 4 | 0 / 1 |"), md);
        assertTrue(md.contains("| target search, else the MAD test | 4 / 4 | 0 / 1 |"), md);
        assertTrue(md.contains("| target search, else MAD-flagged classes firing from a square | 4 / 4 | 1 / 1 |"), md);
        List<String> csv = Files.readAllLines(out.resolve("scenarios.csv"), StandardCharsets.UTF_8);
        assertEquals(1 + 4 + 2, csv.size(), "a header, one row per backdoor, two for the clean model (its forced bundle)");
    }
}
