package org.atpatch.examples.reproduce;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.atpatch.core.AtomicFiles;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.InvertedTrigger;
import org.atpatch.djl.debugset.RegionInversion;
import org.atpatch.djl.debugset.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Region scans ({@link RegionInversion}) cached by a hash of what determines them: the victim's
 * parameter values, the defender's pool (inputs and labels) and every scan and inversion setting. An
 * exhaustive scan of a CIFAR-10 victim is slow on CPU cores; with the cache a rerun that only
 * changes the detector's or the labelling's settings starts from the same triggers. Entries are JSON,
 * written atomically; an unreadable or mismatched entry is reported and the scan is run again.
 *
 * <p>A loaded result keeps the seconds measured when the scan ran, so the efficiency table still
 * reports the scan's cost.
 */
final class RegionScanCache {

    private static final Logger LOG = LoggerFactory.getLogger(RegionScanCache.class);
    /** Enters every key: raise it when the JSON layout or a default of the scan or the inversion changes. */
    private static final int FORMAT = 1;
    private static final Gson GSON = new Gson();

    private final Path dir;

    /**
     * @param dir the cache folder (created when needed)
     */
    RegionScanCache(Path dir) {
        this.dir = dir;
    }

    /**
     * Loads the scan for this victim, pool and settings, or runs and stores it.
     *
     * @param model the victim
     * @param pool the clean inputs the scan inverts on
     * @param settings every setting that shapes the scan (regions, candidates, inversion rounds, seed, ...)
     * @param scan runs the scan
     * @return the result, and whether it came from the cache
     * @throws IOException when the cache cannot be written
     */
    Pair<RegionInversion.Result, Boolean> scanOrLoad(Model model, LabelledData pool, String settings,
            Supplier<RegionInversion.Result> scan) throws IOException {
        String key = key(model, pool, settings);
        return loadOrRun(dir.resolve(key + ".json"), "region scan (" + settings + ")",
                json -> fromJson(json, key, pool.sampleShape()), r -> toJson(r, key), scan);
    }

    /** Reads a cache entry's JSON back; throws on anything it cannot trust. */
    interface Decoder<T> {
        T decode(String json) throws IOException;
    }

    /**
     * The cache's one rule: a readable entry is returned as it is; a missing or unreadable one is
     * computed and written atomically.
     *
     * @param file the entry
     * @param what what it holds, for the log
     * @param decoder reads an entry, throwing on a damaged or foreign one
     * @param encoder writes an entry
     * @param run computes what the entry holds
     * @return the value, and whether it came from the cache
     * @throws IOException when the entry cannot be written
     */
    static <T> Pair<T, Boolean> loadOrRun(Path file, String what, Decoder<T> decoder, Function<T, String> encoder,
            Supplier<T> run) throws IOException {
        if (Files.exists(file)) {
            try {
                T r = decoder.decode(Files.readString(file, StandardCharsets.UTF_8));
                LOG.info("{} loaded from cache {}", what, file);
                return new Pair<>(r, true);
            } catch (IOException | JsonParseException | IllegalArgumentException e) {
                LOG.warn("cached {} in {} is unreadable ({}); computing it again", what, file, e.getMessage());
            }
        }
        T r = run.get();
        byte[] json = encoder.apply(r).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(json));
        LOG.info("{} cached as {}", what, file);
        return new Pair<>(r, false);
    }

    /**
     * @param model the victim
     * @param pool the defender's pool
     * @param settings the scan's settings
     * @return a SHA-256 over the format, the settings, every parameter's name, shape and values, and the pool
     */
    static String key(Model model, LabelledData pool, String settings) {
        MessageDigest d = sha256();
        d.update(("format=" + FORMAT + "|" + settings).getBytes(StandardCharsets.UTF_8));
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            d.update((p.getKey() + "=" + p.getValue().getArray().getShape()).getBytes(StandardCharsets.UTF_8));
            d.update(p.getValue().getArray().toByteArray());
        }
        d.update(("pool=" + pool.sampleShape()).getBytes(StandardCharsets.UTF_8));
        ByteBuffer inputs = ByteBuffer.allocate(4 * pool.inputs().length).order(ByteOrder.LITTLE_ENDIAN);
        inputs.asFloatBuffer().put(pool.inputs());
        d.update(inputs);
        ByteBuffer labels = ByteBuffer.allocate(4 * pool.labels().length).order(ByteOrder.LITTLE_ENDIAN);
        labels.asIntBuffer().put(pool.labels());
        d.update(labels);
        return HexFormat.of().formatHex(d.digest());
    }

    static String toJson(RegionInversion.Result r, String key) {
        List<int[]> regions = r.regions().stream().map(g -> new int[] {g.top(), g.left(), g.height(), g.width()}).toList();
        List<AttemptJson> attempts = new ArrayList<>();
        for (RegionInversion.Attempt a : r.attempts()) {
            attempts.add(new AttemptJson(r.regions().indexOf(a.region()), TriggerJson.of(a.trigger()), a.fired()));
        }
        int[] selected = new int[r.selected().size()];
        for (int i = 0; i < selected.length; i++) {
            InvertedTrigger t = r.selected().get(i);
            selected[i] = indexOf(r.attempts(), t);
        }
        return GSON.toJson(new ScanJson(FORMAT, key, r.candidates(), regions, attempts, selected, r.minFiringShare(),
                r.seconds()));
    }

    static RegionInversion.Result fromJson(String json, String key, Shape sampleShape) throws IOException {
        ScanJson s = GSON.fromJson(json, ScanJson.class);
        if (s == null || s.format() != FORMAT || !key.equals(s.key())) {
            throw new IOException("format or key does not match (format " + (s == null ? "none" : s.format()) + ")");
        }
        if (s.candidates() == null || s.regions() == null || s.attempts() == null || s.selected() == null) {
            throw new IOException("a field is missing");
        }
        List<RegionInversion.Region> regions = new ArrayList<>();
        for (int[] g : s.regions()) {
            if (g == null || g.length != 4) {
                throw new IOException("a region needs top, left, height and width");
            }
            regions.add(new RegionInversion.Region(g[0], g[1], g[2], g[3]));
        }
        List<RegionInversion.Attempt> attempts = new ArrayList<>();
        for (AttemptJson a : s.attempts()) {
            if (a == null || a.trigger() == null || a.region() < 0 || a.region() >= regions.size()) {
                throw new IOException("an attempt has no trigger or names no region");
            }
            attempts.add(new RegionInversion.Attempt(regions.get(a.region()), a.trigger().toTrigger(sampleShape), a.fired()));
        }
        List<InvertedTrigger> selected = new ArrayList<>();
        for (int i : s.selected()) {
            if (i < 0 || i >= attempts.size()) {
                throw new IOException("a selected trigger names attempt " + i + " of " + attempts.size());
            }
            selected.add(attempts.get(i).trigger());
        }
        return new RegionInversion.Result(s.candidates(), regions, attempts, selected, s.minFiringShare(), s.seconds());
    }

    private static int indexOf(List<RegionInversion.Attempt> attempts, InvertedTrigger t) {
        int i = identityIndex(triggers(attempts), t);
        if (i < 0) {
            throw new IllegalArgumentException("a selected trigger is none of the scan's attempts: " + t);
        }
        return i;
    }

    /** @return the scan's attempted triggers, in attempt order */
    static List<InvertedTrigger> triggers(List<RegionInversion.Attempt> attempts) {
        return attempts.stream().map(RegionInversion.Attempt::trigger).toList();
    }

    /** @return the index of the very object {@code t} in {@code list}, or -1 (triggers have no value equality) */
    static int identityIndex(List<InvertedTrigger> list, InvertedTrigger t) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == t) {
                return i;
            }
        }
        return -1;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private record ScanJson(int format, String key, int[] candidates, List<int[]> regions, List<AttemptJson> attempts,
            int[] selected, double minFiringShare, double seconds) {}

    private record AttemptJson(int region, TriggerJson trigger, boolean fired) {}

    /** An inverted trigger as JSON: its mask and pattern in full, bit for bit. */
    record TriggerJson(int target, float[] mask, float[] pattern, double maskL1, double attackSuccess,
            boolean reachedThreshold, int steps, double finalCost) {

        static TriggerJson of(InvertedTrigger t) {
            return new TriggerJson(t.target(), t.mask(), t.pattern(), t.maskL1(), t.attackSuccess(), t.reachedThreshold(),
                    t.steps(), t.finalCost());
        }

        InvertedTrigger toTrigger(Shape sampleShape) throws IOException {
            if (mask == null || pattern == null) {
                throw new IOException("a trigger has no mask or pattern");
            }
            return new InvertedTrigger(Trigger.of(target, mask, pattern, sampleShape), maskL1, attackSuccess,
                    reachedThreshold, steps, finalCost);
        }
    }
}
