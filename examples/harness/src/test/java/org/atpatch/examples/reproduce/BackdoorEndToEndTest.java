package org.atpatch.examples.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.DjlOffline;
import org.atpatch.detector.TauSelection;
import org.atpatch.examples.attack.CleanLabelHiddenTrigger;
import org.atpatch.examples.data.SharedDatasets;
import org.atpatch.examples.reproduce.BackdoorExperiment.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image backdoor harness end to end on real MNIST (read from {@code shared/datasets}), at a size
 * the tests can afford: a BadNets ViT victim trained on 3,000 images, trigger inversion on the
 * defender's pool, AtPatch, every method of Table 2, and the report files; plus a configuration that
 * did not run in the same report. This checks the harness, not the defence: a victim this small and
 * this briefly trained is flipped by small masks toward every class, so inversion flags no class; the
 * defence's effect is measured by the harness runs in {@code docs/results/backdoor} and the
 * quickstart.
 */
class BackdoorEndToEndTest {

    @Test
    void mnistBadNetsRunsEndToEndAndTheReportIsWritten(@TempDir Path dir) throws IOException {
        DjlOffline.configure();
        BackdoorConfig config = BackdoorConfig.select(List.of("mnist-badnets")).get(0);
        ImageSplits splits = ImageSplits.load(SharedDatasets.require(), "mnist", 3000, 300, 400);
        BackdoorExperiment.Settings settings = new BackdoorExperiment.Settings(42,
                DetectorConfig.builder().optEpochs(10).optSeed(42).build(), 200, 100, 64, List.of(),
                dir.resolve("inversion"), 20, 4, 2, 3, 0.25, 0, dir.resolve("scans"), true, TauSelection.maxF1(),
                List.of(org.atpatch.examples.baseline.Idnn.of(20, 1000)));
        BackdoorReport report = new BackdoorReport(dir.resolve("out"), "test");
        BackdoorExperiment.Result r;
        ImageVictim.CleanModel clean;
        try (ImageVictim victim = ImageVictim.trainOrLoad(config, splits, ImageVictim.Settings.of(3, 42),
                dir.resolve("cache"))) {
            r = BackdoorExperiment.run(victim, config, splits, settings);
            clean = ImageVictim.cleanModel(config, splits, ImageVictim.Settings.of(3, 42), dir.resolve("cache"));
            report.victim(config, victim, r.outcomes().get(0), splits.train().size(), clean);
        }
        // The clean model is trained once, then loaded with the same weights.
        assertTrue(!clean.cached() && clean.accuracy() > 0.3 && clean.accuracy() <= 1, clean.toString());
        ImageVictim.CleanModel again = ImageVictim.cleanModel(config, splits, ImageVictim.Settings.of(3, 42),
                dir.resolve("cache"));
        assertTrue(again.cached(), "the clean model comes from the cache the second time");
        assertEquals(clean.accuracy(), again.accuracy());
        // The pipeline a user runs, on the clean model: a search, the README's MAD path, a forced bundle.
        NoBackdoorCheck.Row none;
        try (ImageVictim.Opened m = ImageVictim.openCleanModel(config, splits, ImageVictim.Settings.of(3, 42),
                dir.resolve("cache"))) {
            assertTrue(m.cached());
            none = NoBackdoorCheck.run("mnist", m.model(), splits, settings);
        }
        assertEquals(clean.accuracy(), none.accuracy(), "the same clean model");
        assertTrue(none.forcedClass() >= 0 && none.forcedClass() < 10 && none.forcedPatched() >= 0
                && none.forcedPatched() <= 1 && none.forcedAccuracy() >= 0 && none.forcedAccuracy() <= 1, none.toString());
        assertTrue(none.gates().equals("passed") || none.gates().startsWith("refused (")
                || none.gates().startsWith("no pairs"), none.gates());
        assertTrue(none.firing().split("; ").length >= 3, "a firing share per scanned candidate: " + none.firing());
        assertEquals(none.madFlagged().length == 0, none.madPath().equals("left alone"), none.madPath());
        report.noBackdoor(none);
        // A clean-label Hidden victim starts from the same cached clean model: poisons crafted on it, then a
        // fine-tuning. On a victim this small the attack does not take, and the harness runs no defence on it.
        BackdoorConfig cleanLabel = BackdoorConfig.select(List.of("mnist-hidden-clean-label")).get(0);
        try (ImageVictim v = ImageVictim.trainOrLoad(cleanLabel, splits, ImageVictim.Settings.of(3, 42),
                new ImageVictim.AttackSettings(0.2, 0.5), dir.resolve("cache"))) {
            assertTrue(v.attack() instanceof CleanLabelHiddenTrigger && !v.cached(), v.attack().fingerprint());
            BackdoorExperiment.Result failed = BackdoorExperiment.run(v, cleanLabel, splits, settings);
            assertTrue(failed.outcomes().get(0).asr() < BackdoorExperiment.ATTACK_TOOK, failed.outcomes().toString());
            assertEquals(1, failed.outcomes().size(), "only the original row");
            assertTrue(failed.note().startsWith("the attack did not take") && failed.detector() == null, failed.note());
        }
        List<String> methods = r.outcomes().stream().map(Outcome::method).toList();
        assertEquals(List.of("original", "gamma", "token-state (default)", "IDNN", "w/o Det", "w/o Rec"), methods);
        assertEquals(1, r.baselines().size());
        assertTrue(r.baselines().get(0).settings().containsKey("K") && r.baselines().get(0).seconds() > 0,
                r.baselines().toString());
        Outcome original = r.outcomes().get(0);
        assertTrue(original.asr() > 0.9, "the victim must carry the backdoor to test anything: ASR " + original.asr());
        assertTrue(r.asrFloor() >= 0 && r.asrFloor() < 0.1, "ASR floor " + r.asrFloor());
        Outcome withoutDet = r.outcomes().get(4);
        assertEquals(1.0, withoutDet.cleanPatched(), "w/o Det patches every clean input");
        assertEquals(1.0, withoutDet.triggeredPatched(), "w/o Det patches every triggered input");
        for (Outcome o : r.outcomes()) {
            assertTrue(o.acc() >= 0 && o.acc() <= 1 && o.asr() >= 0 && o.asr() <= 1, o.toString());
        }
        assertTrue(r.evalPairs() > 0 && r.debugPairs() > 0, "pairs: eval " + r.evalPairs() + ", debug " + r.debugPairs());
        assertTrue(r.detector() != null && r.seconds().size() == 3 && r.msPerSample().size() == 3, r.toString());
        // The region scan ran (2 squares × its candidate classes) and says where the triggers came from.
        List<String> scan = Files.readAllLines(dir.resolve("inversion").resolve("mnist-badnets").resolve("regions.csv"));
        assertTrue(scan.size() >= 1 + 2 * 3 && (scan.size() - 1) % 2 == 0, "regions.csv: " + scan);
        assertTrue(r.debugSource().startsWith("region scan: ") || r.debugSource().contains("the region scan selected no class"),
                r.debugSource());
        try (var cached = Files.list(dir.resolve("scans"))) {
            assertEquals(1, cached.filter(f -> f.toString().endsWith(".json")).count(), "the scan is cached once");
        }
        List<String> layers = Files.readAllLines(dir.resolve("inversion").resolve("mnist-badnets")
                .resolve("detector-layers.csv"));
        assertEquals(1 + 3, layers.size(), "a header and one row per layer: " + layers);

        // A configuration that could not run (the harness reports one when a family lacks what an attack
        // needs) still gets its row.
        BackdoorConfig notRun = BackdoorConfig.select(List.of("fashion-mnist-trojan")).get(0);
        report.write(List.of(r, BackdoorExperiment.Result.unsupported(notRun, 42, "not run in this test")));
        Path out = dir.resolve("out");
        List<String> table2 = Files.readAllLines(out.resolve("table2.csv"));
        assertEquals(3, table2.size(), "header and two configurations: " + table2);
        assertTrue(table2.get(0).startsWith("configuration,family,target,ASR floor % (clean),Acc % (original),"),
                table2.get(0));
        String floor = String.format(java.util.Locale.ROOT, "%.2f", 100 * r.asrFloor());
        assertTrue(table2.get(1).startsWith("mnist-badnets,VIT," + r.target() + "," + floor + ","), table2.get(1));
        assertTrue(table2.get(2).startsWith("fashion-mnist-trojan,SWIN,") && table2.get(2).contains("n/a")
                && table2.get(2).endsWith("not run in this test"),
                table2.get(2));
        for (String png : List.of("acc.png", "asr.png", "pr-curves.png")) {
            byte[] head = Files.readAllBytes(out.resolve(png));
            assertEquals((byte) 0x89, head[0], png);
            assertEquals('P', head[1], png);
        }
        String json = Files.readString(out.resolve("results.json"));
        assertTrue(json.contains("\"asr_floor\"") && json.contains("\"fashion-mnist-trojan\"")
                && json.contains("\"debugging_source\""), "results.json");
        assertEquals(3, Files.readAllLines(out.resolve("debugging-sets.csv")).size(), "debugging-sets.csv");
        List<String> victims = Files.readAllLines(out.resolve("victims.csv"));
        assertTrue(victims.get(0).endsWith(",clean_model_acc,attack_bar"), victims.get(0));
        assertTrue(victims.get(1).contains(String.format(java.util.Locale.ROOT, ",%.4f,", clean.accuracy()))
                && victims.get(1).endsWith(BackdoorReport.attackBar(r.outcomes().get(0), clean)), victims.get(1));
        String readme = Files.readString(out.resolve("README.md"));
        assertTrue(readme.contains("| mnist-badnets |"), readme.lines().limit(20).collect(Collectors.joining("\n")));
        assertTrue(readme.contains("## No backdoor: the pipeline on each dataset's clean model"), "no-backdoor section");
        List<String> noBackdoor = Files.readAllLines(out.resolve("no-backdoor.csv"));
        assertEquals(2, noBackdoor.size(), "a header and the MNIST clean model: " + noBackdoor);
        assertTrue(noBackdoor.get(1).startsWith("mnist,VisionTransformer,"), noBackdoor.get(1));
    }
}
