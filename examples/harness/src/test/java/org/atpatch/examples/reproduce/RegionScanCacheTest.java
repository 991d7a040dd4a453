package org.atpatch.examples.reproduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.InvertedTrigger;
import org.atpatch.djl.debugset.RegionInversion;
import org.atpatch.djl.debugset.Trigger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegionScanCacheTest {

    static final Shape IMAGE = new Shape(1, 4, 4);

    static InvertedTrigger trigger(int target, float seed) {
        float[] mask = new float[16];
        float[] pattern = new float[16];
        for (int i = 0; i < 16; i++) {
            mask[i] = (i * 7 % 16) / 15f;
            pattern[i] = seed * i + 0.1f / (i + 3);
        }
        return new InvertedTrigger(Trigger.of(target, mask, pattern, IMAGE), 3.25 + seed, 0.875, true, 40, 1e-3);
    }

    static RegionInversion.Result scan() {
        RegionInversion.Region a = new RegionInversion.Region(0, 0, 2, 2);
        RegionInversion.Region b = new RegionInversion.Region(2, 2, 2, 2);
        InvertedTrigger best = trigger(1, 0.5f);
        List<RegionInversion.Attempt> attempts = List.of(new RegionInversion.Attempt(a, trigger(0, 0.25f), false),
                new RegionInversion.Attempt(a, best, true), new RegionInversion.Attempt(b, trigger(0, 0.75f), false),
                new RegionInversion.Attempt(b, trigger(1, 1.5f), true));
        return new RegionInversion.Result(new int[] {0, 1}, List.of(a, b), attempts, List.of(best), 0.5, 123.5);
    }

    static LabelledData pool(float first) {
        float[] inputs = new float[2 * 16];
        inputs[0] = first;
        return new LabelledData(inputs, new int[] {0, 1}, IMAGE);
    }

    static Model model() {
        Model m = Model.newInstance("scan-cache-test");
        Linear block = Linear.builder().setUnits(2).build();
        block.initialize(m.getNDManager(), DataType.FLOAT32, new Shape(1, 16));
        m.setBlock(block);
        return m;
    }

    @Test
    void aScanSurvivesTheJsonRoundTripExactly() throws IOException {
        RegionInversion.Result r = scan();
        RegionInversion.Result back = RegionScanCache.fromJson(RegionScanCache.toJson(r, "k"), "k", IMAGE);
        assertArrayEquals(r.candidates(), back.candidates());
        assertEquals(r.regions(), back.regions());
        assertEquals(r.minFiringShare(), back.minFiringShare());
        assertEquals(r.seconds(), back.seconds());
        assertEquals(r.attempts().size(), back.attempts().size());
        for (int i = 0; i < r.attempts().size(); i++) {
            RegionInversion.Attempt x = r.attempts().get(i);
            RegionInversion.Attempt y = back.attempts().get(i);
            assertEquals(x.region(), y.region());
            assertEquals(x.fired(), y.fired());
            assertEquals(x.trigger().target(), y.trigger().target());
            assertArrayEquals(x.trigger().mask(), y.trigger().mask(), "masks bit for bit");
            assertArrayEquals(x.trigger().pattern(), y.trigger().pattern(), "patterns bit for bit");
            assertEquals(x.trigger().maskL1(), y.trigger().maskL1());
            assertEquals(x.trigger().attackSuccess(), y.trigger().attackSuccess());
            assertEquals(x.trigger().steps(), y.trigger().steps());
        }
        assertEquals(1, back.selected().size());
        assertSame(back.attempts().get(1).trigger(), back.selected().get(0), "the selection points at its attempt");
        assertEquals(2, back.firedRegions(1));
    }

    @Test
    void theKeyFollowsTheWeightsThePoolAndTheSettings() {
        DjlOffline.configure();
        try (Model m = model()) {
            String k = RegionScanCache.key(m, pool(0), "regions=8");
            assertEquals(k, RegionScanCache.key(m, pool(0), "regions=8"));
            assertNotEquals(k, RegionScanCache.key(m, pool(0.5f), "regions=8"), "another pool");
            assertNotEquals(k, RegionScanCache.key(m, pool(0), "regions=64"), "other settings");
            var w = m.getBlock().getParameters().get(0).getValue().getArray();
            w.set(new float[(int) w.size()]);
            assertNotEquals(k, RegionScanCache.key(m, pool(0), "regions=8"), "other weights");
        }
    }

    @Test
    void aCachedScanIsLoadedAndADamagedOneIsScannedAgain(@TempDir Path dir) throws IOException {
        DjlOffline.configure();
        AtomicInteger runs = new AtomicInteger();
        RegionScanCache cache = new RegionScanCache(dir);
        try (Model m = model()) {
            Pair<RegionInversion.Result, Boolean> first = cache.scanOrLoad(m, pool(0), "s", () -> {
                runs.incrementAndGet();
                return scan();
            });
            assertFalse(first.getValue());
            Pair<RegionInversion.Result, Boolean> second = cache.scanOrLoad(m, pool(0), "s", () -> {
                throw new AssertionError("a cached scan must not run again");
            });
            assertTrue(second.getValue());
            assertArrayEquals(first.getKey().attempts().get(3).trigger().pattern(),
                    second.getKey().attempts().get(3).trigger().pattern());

            Path file = dir.resolve(RegionScanCache.key(m, pool(0), "s") + ".json");
            String json = Files.readString(file, StandardCharsets.UTF_8);
            for (String damaged : new String[] {json.substring(0, json.length() / 2), "{}",
                    json.replace("\"selected\":[1]", "\"selected\":[9]")}) {
                Files.writeString(file, damaged, StandardCharsets.UTF_8);
                Pair<RegionInversion.Result, Boolean> again = cache.scanOrLoad(m, pool(0), "s", () -> {
                    runs.incrementAndGet();
                    return scan();
                });
                assertFalse(again.getValue(), "a damaged entry is scanned again: " + damaged.length());
                assertEquals(json, Files.readString(file, StandardCharsets.UTF_8), "and rewritten whole");
            }
            assertEquals(4, runs.get());
        }
    }

    @Test
    void aSelectionOutsideTheAttemptsIsRefused() {
        RegionInversion.Result r = scan();
        RegionInversion.Result foreign = new RegionInversion.Result(r.candidates(), r.regions(), r.attempts(),
                List.of(trigger(1, 9f)), 0.5, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RegionScanCache.toJson(foreign, "k"));
        assertTrue(e.getMessage().contains("none of the scan's attempts"), e.getMessage());
    }
}
