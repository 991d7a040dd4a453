package org.atpatch.djl.debugset;

import org.junit.jupiter.api.Test;

class PlantedProbe {
    @Test
    void probe() throws Exception {
        PlantedBackdoor b = PlantedBackdoor.get();
        System.out.printf("PROBE train %.1fs acc %.4f asr %.4f%n", b.trainSeconds, b.cleanAccuracy, b.attackSuccess);
        for (long seed = 0; seed < Integer.getInteger("probe.seeds", 4); seed++) {
            long w0 = System.nanoTime();
            InversionReport r = TriggerInversion.builder().optMaxRounds(Integer.getInteger("probe.rounds", 100))
                    .optBatchesPerRound(Integer.getInteger("probe.bpr", 2))
                    .optEarlyStopPatience(Integer.getInteger("probe.esp", 8))
                    .optEarlyStopNeedsCostSwing(!Boolean.getBoolean("probe.loose"))
                    .optPatience(Integer.getInteger("probe.pat", 3)).optSeed(seed)
                    .optBatchSize(Integer.getInteger("probe.bs", 32)).build().invert(b.model, b.test);
            int steps = r.triggers().stream().mapToInt(InvertedTrigger::steps).max().orElse(0);
            System.out.printf("PROBE seed %d (%.1fs, max steps %d): %s%n", seed, (System.nanoTime() - w0) / 1e9, steps, r.toString().replaceAll("Trigger inversion \\([^)]*\\): ", ""));
        }
    }
}
