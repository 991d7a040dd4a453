package org.atpatch.examples.reproduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.debugset.InversionReport;
import org.atpatch.djl.debugset.InvertedTrigger;
import org.atpatch.djl.debugset.NoFlagPolicy;
import org.atpatch.djl.debugset.RegionInversion;
import org.atpatch.djl.debugset.TargetSearch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TargetSearchCacheTest {

    /** A search as {@code TargetSearch} makes one: the scan's selection, then the same class's unrestricted trigger. */
    private static TargetSearch.Result search() {
        List<InvertedTrigger> unrestricted = List.of(RegionScanCacheTest.trigger(0, 0.25f), RegionScanCacheTest.trigger(1, 0.5f),
                RegionScanCacheTest.trigger(2, 2f));
        InversionReport inversion = InversionReport.analyse(unrestricted, 2.0, NoFlagPolicy.EMPTY, Map.of("rounds", "100"), 12.5);
        RegionInversion.Result scan = RegionScanCacheTest.scan();
        return new TargetSearch.Result(inversion, scan, List.of(scan.selected().get(0), inversion.triggers().get(1)), 99.5);
    }

    @Test
    void aSearchSurvivesTheJsonRoundTrip() throws IOException {
        TargetSearch.Result r = search();
        TargetSearch.Result back = TargetSearchCache.fromJson(TargetSearchCache.toJson(r, "k"), "k", RegionScanCacheTest.IMAGE);
        assertArrayEquals(r.targets(), back.targets());
        assertEquals(r.evidence(), back.evidence());
        assertEquals(r.seconds(), back.seconds());
        assertEquals(r.backdoorFound(), back.backdoorFound());
        assertArrayEquals(r.inversion().flaggedClasses(), back.inversion().flaggedClasses());
        assertEquals(r.inversion().threshold(), back.inversion().threshold());
        assertEquals(r.inversion().seconds(), back.inversion().seconds());
        assertEquals(r.inversion().configuration(), back.inversion().configuration());
        for (int c = 0; c < 3; c++) {
            assertArrayEquals(r.inversion().trigger(c).mask(), back.inversion().trigger(c).mask(), "masks bit for bit");
            assertEquals(r.inversion().anomalyIndex(c), back.inversion().anomalyIndex(c));
        }
        assertEquals(2, back.selected().size());
        assertSame(back.scan().attempts().get(1).trigger(), back.selected().get(0), "the first pick is the scan's attempt");
        assertSame(back.inversion().triggers().get(1), back.selected().get(1), "the second, the unrestricted trigger");
    }

    @Test
    void aCachedSearchIsLoadedAndADamagedOneIsRunAgain(@TempDir Path dir) throws IOException {
        DjlOffline.configure();
        AtomicInteger runs = new AtomicInteger();
        TargetSearchCache cache = new TargetSearchCache(dir);
        try (Model m = RegionScanCacheTest.model()) {
            Pair<TargetSearch.Result, Boolean> first = cache.searchOrLoad(m, RegionScanCacheTest.pool(0), "seed=1", () -> {
                runs.incrementAndGet();
                return search();
            });
            assertFalse(first.getValue());
            Pair<TargetSearch.Result, Boolean> second = cache.searchOrLoad(m, RegionScanCacheTest.pool(0), "seed=1", () -> {
                throw new AssertionError("a cached search must not run again");
            });
            assertTrue(second.getValue());
            assertArrayEquals(first.getKey().selected().get(1).pattern(), second.getKey().selected().get(1).pattern());
            assertFalse(cache.searchOrLoad(m, RegionScanCacheTest.pool(0), "seed=2", () -> {
                runs.incrementAndGet();
                return search();
            }).getValue(), "another seed is another entry");

            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.writeString(file, "{\"format\":1}", StandardCharsets.UTF_8);
                }
            }
            assertFalse(cache.searchOrLoad(m, RegionScanCacheTest.pool(0), "seed=1", () -> {
                runs.incrementAndGet();
                return search();
            }).getValue(), "a damaged entry is run again");
            assertTrue(cache.searchOrLoad(m, RegionScanCacheTest.pool(0), "seed=1", () -> {
                throw new AssertionError("rewritten whole");
            }).getValue());
            assertEquals(3, runs.get());
        }
    }

    @Test
    void aSelectionFromNeitherSourceIsRefused() {
        TargetSearch.Result r = search();
        TargetSearch.Result foreign = new TargetSearch.Result(r.inversion(), r.scan(), List.of(RegionScanCacheTest.trigger(1, 9f)),
                1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TargetSearchCache.toJson(foreign, "k"));
        assertTrue(e.getMessage().contains("neither a scan attempt nor an unrestricted trigger"), e.getMessage());
    }
}
