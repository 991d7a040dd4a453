package org.atpatch.examples.reproduce;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Pair;
import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.InversionReport;
import org.atpatch.djl.debugset.InvertedTrigger;
import org.atpatch.djl.debugset.NoFlagPolicy;
import org.atpatch.djl.debugset.RegionInversion;
import org.atpatch.djl.debugset.TargetSearch;

/**
 * Target searches ({@link TargetSearch}: the unrestricted inversion, then the region scan of its
 * candidates) cached by a hash of what determines them: the victim's parameter values, the
 * defender's pool and every search setting. A search takes minutes per victim on CPU cores; with the
 * cache, a rerun of the generalisation suite that changes only the detector or τ starts from the same
 * triggers. Entries are JSON, written atomically; an unreadable or mismatched entry is reported and
 * the search is run again (the rule of {@link RegionScanCache}, whose key and scan format it shares).
 *
 * <p>A loaded result keeps the seconds measured when the search ran. The unrestricted report is
 * rebuilt with {@link InversionReport#analyse} from the stored triggers under
 * {@link NoFlagPolicy#EMPTY}, the policy the search runs its inversion with.
 *
 * <p>Instances hold only the folder and are safe to share.
 */
public final class TargetSearchCache {

    /** Enters every key: raise it when the JSON layout or a default of the search or the inversion changes. */
    private static final int FORMAT = 1;
    private static final Gson GSON = new Gson();
    /** A selected trigger's source in {@link SearchJson#selected}: an attempt of the scan, or an unrestricted trigger. */
    private static final int FROM_SCAN = 0;
    private static final int FROM_UNRESTRICTED = 1;

    private final Path dir;

    /**
     * @param dir the cache folder (created when needed)
     */
    public TargetSearchCache(Path dir) {
        this.dir = dir;
    }

    /**
     * Loads the search for this victim, pool and settings, or runs and stores it.
     *
     * @param model the victim
     * @param pool the clean inputs the search inverts on
     * @param settings every setting that shapes the search (seed, no-flag policy, region and inversion settings)
     * @param search runs the search
     * @return the result, and whether it came from the cache
     * @throws IOException when the cache cannot be written
     */
    public Pair<TargetSearch.Result, Boolean> searchOrLoad(Model model, LabelledData pool, String settings,
            Supplier<TargetSearch.Result> search) throws IOException {
        String key = RegionScanCache.key(model, pool, "target-search-format=" + FORMAT + "|" + settings);
        return RegionScanCache.loadOrRun(dir.resolve(key + ".json"), "target search (" + settings + ")",
                json -> fromJson(json, key, pool.sampleShape()), r -> toJson(r, key), search);
    }

    static String toJson(TargetSearch.Result r, String key) {
        List<InvertedTrigger> unrestricted = r.inversion().triggers();
        List<InvertedTrigger> attempted = RegionScanCache.triggers(r.scan().attempts());
        List<int[]> selected = new ArrayList<>();
        for (InvertedTrigger t : r.selected()) {
            int attempt = RegionScanCache.identityIndex(attempted, t);
            int own = RegionScanCache.identityIndex(unrestricted, t);
            if (attempt < 0 && own < 0) {
                throw new IllegalArgumentException("a selected trigger is neither a scan attempt nor an unrestricted trigger: "
                        + t);
            }
            selected.add(attempt >= 0 ? new int[] {FROM_SCAN, attempt} : new int[] {FROM_UNRESTRICTED, own});
        }
        return GSON.toJson(new SearchJson(FORMAT, key,
                unrestricted.stream().map(RegionScanCache.TriggerJson::of).toList(), r.inversion().threshold(),
                r.inversion().configuration(), r.inversion().seconds(), RegionScanCache.toJson(r.scan(), key), selected,
                r.seconds()));
    }

    static TargetSearch.Result fromJson(String json, String key, Shape sampleShape) throws IOException {
        SearchJson s = GSON.fromJson(json, SearchJson.class);
        if (s == null || s.format() != FORMAT || !key.equals(s.key())) {
            throw new IOException("format or key does not match (format " + (s == null ? "none" : s.format()) + ")");
        }
        if (s.unrestricted() == null || s.unrestricted().isEmpty() || s.scan() == null || s.selected() == null
                || s.configuration() == null) {
            throw new IOException("a field is missing");
        }
        List<InvertedTrigger> triggers = new ArrayList<>();
        for (RegionScanCache.TriggerJson t : s.unrestricted()) {
            if (t == null) {
                throw new IOException("an unrestricted trigger is missing");
            }
            triggers.add(t.toTrigger(sampleShape));
        }
        InversionReport inversion = InversionReport.analyse(triggers, s.threshold(), NoFlagPolicy.EMPTY, s.configuration(),
                s.inversionSeconds());
        RegionInversion.Result scan = RegionScanCache.fromJson(s.scan(), key, sampleShape);
        List<InvertedTrigger> selected = new ArrayList<>();
        for (int[] ref : s.selected()) {
            if (ref == null || ref.length != 2) {
                throw new IOException("a selected trigger needs a source and an index");
            }
            List<InvertedTrigger> from = ref[0] == FROM_SCAN ? RegionScanCache.triggers(scan.attempts())
                    : ref[0] == FROM_UNRESTRICTED ? inversion.triggers() : null;
            if (from == null || ref[1] < 0 || ref[1] >= from.size()) {
                throw new IOException("a selected trigger names source " + ref[0] + ", index " + ref[1]);
            }
            selected.add(from.get(ref[1]));
        }
        return new TargetSearch.Result(inversion, scan, selected, s.seconds());
    }

    private record SearchJson(int format, String key, List<RegionScanCache.TriggerJson> unrestricted, double threshold,
            Map<String, String> configuration, double inversionSeconds, String scan, List<int[]> selected, double seconds) {}
}
