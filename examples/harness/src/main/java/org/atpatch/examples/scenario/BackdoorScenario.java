package org.atpatch.examples.scenario;

import ai.djl.Model;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.debugset.BackdoorDebuggingSetBuilder;
import org.atpatch.djl.debugset.InversionReport;
import org.atpatch.djl.debugset.NoFlagPolicy;
import org.atpatch.djl.debugset.RegionInversion;
import org.atpatch.djl.debugset.TriggerInversion;
import org.atpatch.examples.data.EmbeddedFashionMnist;
import org.atpatch.examples.data.PatchTrigger;
import org.atpatch.examples.reproduce.InversionFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backdoor experiment end to end, for the harness's comparisons: a {@link BackdoorVictim}, the
 * debugging set built by trigger inversion on a clean pool (never from the attack's trigger), and
 * AtPatch trained on it with the library's default detector settings. Close it to free the victim.
 * Not thread-safe.
 */
public final class BackdoorScenario implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BackdoorScenario.class);

    private final BackdoorVictim victim;
    private final InversionReport inversion;
    private final DebuggingSet debugSet;

    /**
     * Trains (or loads) the victim and builds the debugging set from the unrestricted inversion.
     *
     * @param name a name for logs and the cache key
     * @param train training images (clean; poisoned here)
     * @param pool the defender's clean pool for inversion and the debugging set
     * @param eval held-out evaluation images, disjoint from both
     * @param trigger the attack
     * @param epochs victim training epochs
     * @param seed the seed
     * @param cache the victim cache folder
     * @param reportDir where the inversion report goes
     * @throws IOException when the cache or report cannot be written
     */
    public BackdoorScenario(String name, LabelledData train, LabelledData pool, LabelledData eval, PatchTrigger trigger,
            int epochs, long seed, Path cache, Path reportDir) throws IOException {
        this(name, train, pool, eval, trigger, epochs, seed, cache, reportDir, 0);
    }

    /**
     * Trains (or loads) the victim and builds the debugging set, from a region scan after the
     * unrestricted inversion when {@code regions > 0} ({@link RegionInversion}: its selected classes'
     * triggers, or the unrestricted inversion's when it selects none).
     *
     * @param name a name for logs and the cache key
     * @param train training images (clean; poisoned here)
     * @param pool the defender's clean pool for inversion and the debugging set
     * @param eval held-out evaluation images, disjoint from both
     * @param trigger the attack
     * @param epochs victim training epochs
     * @param seed the seed
     * @param cache the victim cache folder
     * @param reportDir where the inversion report goes
     * @param regions blankest squares the region scan inverts in; 0 for the unrestricted inversion alone
     * @throws IOException when the cache or report cannot be written
     */
    public BackdoorScenario(String name, LabelledData train, LabelledData pool, LabelledData eval, PatchTrigger trigger,
            int epochs, long seed, Path cache, Path reportDir, int regions) throws IOException {
        if (regions < 0) {
            throw new IllegalArgumentException("regions must be >= 0 (0: no region scan), got " + regions);
        }
        this.victim = new BackdoorVictim(name, train, eval, trigger, epochs, seed, cache);
        boolean ok = false;
        try {
            Model model = victim.model();
            // A scenario is known to be backdoored: the smallest-mask class stands in where the MAD test flags nothing.
            inversion = TriggerInversion.builder().optSeed(seed).optNoFlagPolicy(NoFlagPolicy.USE_SMALLEST_NORM).build()
                    .invert(model, pool);
            InversionFiles.write(inversion, pool, reportDir, EmbeddedFashionMnist.CLASS_NAMES);
            LOG.info("{}: trigger inversion flagged classes {} (true target {}); report in {}", name,
                    Arrays.toString(inversion.flaggedClasses()), trigger.target(), reportDir.toAbsolutePath());
            BackdoorDebuggingSetBuilder debug = BackdoorDebuggingSetBuilder.of(model, pool)
                    .optLayout(victim.vit().tokenLayout())
                    .optSeed(seed);
            if (regions > 0) {
                RegionInversion.Result scan = RegionInversion.builder().optRegionCount(regions)
                        .optInversion(() -> TriggerInversion.builder().optSeed(seed)).build().invert(model, pool, inversion);
                debug.addTriggers(scan, inversion);
                LOG.info("{}: region scan selected classes {}", name,
                        scan.selected().stream().map(t -> t.target()).toList());
            } else {
                debug.addTriggers(inversion);
            }
            debugSet = debug.build();
            LOG.info("{}: {}", name, debugSet);
            ok = true;
        } finally {
            if (!ok) {
                victim.close();
            }
        }
    }

    /**
     * Trains AtPatch on the debugging set with the library's default detector settings.
     *
     * @param seed the detector's seed
     * @return the bundle (detector, Q, token states) with the rule AtPatch chose
     */
    public PatchBundle trainBundle(long seed) {
        return AtPatch.builder().setModel(victim.model())
                .optDetectorConfig(DetectorConfig.builder().optSeed(seed).build()).build().trainBundle(debugSet);
    }

    /**
     * @param patched the patched model
     * @return clean accuracy, ASR and patched shares through it ({@link BackdoorVictim#evaluate})
     */
    public BackdoorVictim.Evaluation evaluate(PatchedModel patched) {
        return victim.evaluate(patched);
    }

    /** @return the victim and its measures */
    public BackdoorVictim victim() {
        return victim;
    }

    /** @return the victim model */
    public Model model() {
        return victim.model();
    }

    /** @return the inversion report */
    public InversionReport inversion() {
        return inversion;
    }

    /** @return the debugging set built from the inversion (never from the attack's trigger) */
    public DebuggingSet debugSet() {
        return debugSet;
    }

    @Override
    public void close() {
        victim.close();
    }
}
