package org.atpatch.examples.scenario;

import ai.djl.Model;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.BackdoorDebuggingSetBuilder;
import org.atpatch.djl.debugset.InversionReport;
import org.atpatch.djl.debugset.NoFlagPolicy;
import org.atpatch.djl.debugset.TargetSearch;
import org.atpatch.djl.debugset.TriggerInversion;

/**
 * How a defender who is not told the trigger finds it, as the out-of-domain and adaptive-attack
 * programs do: {@code search} ({@link TargetSearch}), {@code mad} (trigger inversion and the MAD
 * test, the README's path) or {@code search-else-mad} (the search, and where it finds nothing, the
 * MAD test of its inversion).
 */
public final class TargetIdentification {

    /** The accepted names, in the order the help lists them. */
    public static final List<String> NAMES = List.of("search", "mad", "search-else-mad");

    private TargetIdentification() {}

    /**
     * Identifies the target on the defender's pool and adds the selected triggers to a debugging-set builder.
     *
     * @param model the victim
     * @param pool the defender's clean images
     * @param identification one of {@link #NAMES}
     * @param seed the seed of the inversion and search
     * @param builder receives the selected triggers
     * @return what was found, e.g. {@code search [1]} or {@code MAD [1] (search: none)}; empty when neither
     *     decision names a target (nothing is added then)
     * @throws IllegalArgumentException on an unknown identification
     */
    public static Optional<String> addTriggers(Model model, LabelledData pool, String identification, long seed,
            BackdoorDebuggingSetBuilder builder) {
        if (!NAMES.contains(identification)) {
            throw new IllegalArgumentException("identification: " + String.join(", ", NAMES) + ", got " + identification);
        }
        if (identification.equals("mad")) {
            InversionReport inversion = TriggerInversion.builder().optSeed(seed).build().invert(model, pool);
            builder.addTriggers(inversion);
            return Optional.of("MAD " + Arrays.toString(inversion.flaggedClasses()));
        }
        boolean fallBack = identification.equals("search-else-mad");
        TargetSearch.Result search = TargetSearch.builder().optSeed(seed)
                .optNoFlagPolicy(fallBack ? NoFlagPolicy.EMPTY : NoFlagPolicy.FAIL).build().search(model, pool);
        if (search.backdoorFound()) {
            builder.addTriggers(search);
            return Optional.of("search " + Arrays.toString(search.targets()));
        }
        if (search.inversion().flaggedClasses().length > 0) {
            builder.addTriggers(search.inversion());
            return Optional.of("MAD " + Arrays.toString(search.inversion().flaggedClasses()) + " (search: none)");
        }
        return Optional.empty();
    }
}
