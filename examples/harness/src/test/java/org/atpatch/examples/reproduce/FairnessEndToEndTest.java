package org.atpatch.examples.reproduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.debugset.ProtectedAttribute;
import org.atpatch.examples.data.Compas;
import org.atpatch.examples.data.SharedDatasets;
import org.atpatch.examples.data.TabularDataset;
import org.atpatch.examples.reproduce.FairnessExperiment.Outcome;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fairness pipeline on the real COMPAS data (read from {@code shared/datasets}, skipped without
 * it): a TaBERT-style victim trained from scratch, the fairness debugging set, AtPatch, and the
 * harness's report files.
 */
class FairnessEndToEndTest {

    private static TabularDataset compas;

    @BeforeAll
    static void load() throws IOException {
        DjlOffline.configure();
        compas = Compas.load(SharedDatasets.require(), Compas.DEFAULT_SPLIT);
    }

    @Test
    void eachFamilyPlacesTheProtectedAttributeOnItsOwnTokens() {
        // COMPAS inputs: 5 numeric, then c_charge_degree, sex, race.
        int sexInput = compas.inputIndex("sex");
        assertEquals(6, sexInput);
        ProtectedAttribute tab = compas.protectedAttribute(TabularFamily.TAB_TRANSFORMER.build(compas, 1, 8, 2), "sex");
        assertArrayEquals(new int[] {1}, tab.columns(), "TabTransformer: categorical tokens only, no CLS");
        ProtectedAttribute ft = compas.protectedAttribute(TabularFamily.FT_TRANSFORMER.build(compas, 1, 8, 2), "sex");
        assertArrayEquals(new int[] {7}, ft.columns(), "FT-Transformer: CLS, then every feature");
        ProtectedAttribute tabert = compas.protectedAttribute(TabularFamily.TABERT.build(compas, 1, 8, 2), "sex");
        assertArrayEquals(new int[] {13, 14}, tabert.columns(), "TaBERT-style: CLS, then name and value per feature");
        for (ProtectedAttribute a : List.of(tab, ft, tabert)) {
            assertEquals(sexInput, a.index());
            assertEquals(compas.vocabulary("sex").values().size(), a.valueCount());
        }
    }

    @Test
    void theDefaultRuleRemovesMostUnfairnessAndTheReportIsWritten(@TempDir Path dir) throws IOException {
        FairnessConfig config = new FairnessConfig("compas-gender", "compas", "sex");
        TabularVictim.Settings victimSettings = new TabularVictim.Settings(3, 32, 4, 20, 256, 1e-3f, 42);
        try (TabularVictim victim = TabularVictim.trainOrLoad(compas, TabularFamily.TABERT, victimSettings,
                dir.resolve("cache"))) {
            FairnessExperiment.Result r = FairnessExperiment.run(victim, config,
                    new FairnessExperiment.Settings(42, DetectorConfig.builder().optEpochs(30).optSeed(42).build(), 2000, 300,
                            256, List.of(), Double.NaN, List.of(org.atpatch.examples.baseline.Care.fairness().withMaxClean(200))));
            Outcome original = r.outcomes().get(0);
            Outcome gamma = r.outcomes().get(1);
            Outcome product = r.outcomes().stream().filter(o -> o.method().endsWith("(default)")).findFirst()
                    .orElseThrow();
            assertEquals("original", original.method());
            assertEquals("gamma", gamma.method());
            assertTrue(original.uf() > 0.05, "the victim must be unfair on sex to test anything: UF " + original.uf());
            assertTrue(product.uf() < original.uf() / 4, "default rule UF " + product.uf() + " vs " + original.uf());
            assertTrue(product.uf() < gamma.uf(), "default " + product.uf() + " vs Γ " + gamma.uf());
            // On 926 test rows a one-point accuracy change is within chance, so the accuracy check is
            // McNemar's: the predictions the rule turned wrong must not outnumber those it turned right
            // beyond chance (z > -2), a bar that w/o Det (every input patched at random columns) fails.
            assertTrue(product.accuracyChangeZ() > -2, "default rule turned " + product.lost() + " test predictions wrong"
                    + " and " + product.gained() + " right: " + original.acc() + " -> " + product.acc());
            assertEquals(1.0, r.outcomes().stream().filter(o -> o.method().equals("w/o Det")).findFirst()
                    .orElseThrow().patchedShare(), "w/o Det patches every input");
            assertEquals(r.evalPairs() > 0, true);
            // The baseline is measured beside AtPatch, on a copy: the victim's own row is unchanged.
            assertEquals(1, r.baselines().size());
            Outcome care = r.outcomes().stream().filter(o -> o.method().equals("CARE")).findFirst().orElseThrow();
            assertEquals(r.baselines().get(0).defect(), care.uf());
            assertEquals(original.acc(), victim.testAccuracy());
            assertTrue(r.overAttention().cells().size() == 3 * 4, "one cell per layer and head");

            FairnessReport report = new FairnessReport(dir.resolve("out"), "test");
            report.victim("compas", victim);
            report.write(List.of(r));
        }
        Path out = dir.resolve("out");
        List<String> table3 = Files.readAllLines(out.resolve("table3.csv"));
        assertEquals(2, table3.size(), "header and one configuration");
        assertTrue(table3.get(1).startsWith("compas-gender,TABERT,"));
        for (String png : List.of("acc.png", "uf.png", "pr-curves.png")) {
            byte[] head = Files.readAllBytes(out.resolve(png));
            assertEquals((byte) 0x89, head[0], png);
            assertEquals('P', head[1], png);
        }
        assertTrue(Files.readString(out.resolve("results.json")).contains("\"compas-gender\""));
        assertTrue(Files.readString(out.resolve("README.md")).contains("| compas-gender |"));
        List<String> baselines = Files.readAllLines(out.resolve("baselines.csv"));
        assertEquals(2, baselines.size(), "header and CARE: " + baselines);
        assertTrue(baselines.get(1).startsWith("compas-gender,CARE,"), baselines.get(1));
    }
}
