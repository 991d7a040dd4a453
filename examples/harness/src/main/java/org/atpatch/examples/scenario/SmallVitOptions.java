package org.atpatch.examples.scenario;

import java.nio.file.Path;
import java.util.Locale;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.examples.data.PatchTrigger;
import org.atpatch.examples.reproduce.DetectorOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options the small-ViT backdoor experiments share (out of domain, adaptive attacker): the
 * victims' training images, epochs, poison rate and target, how the defender identifies the target
 * ({@link TargetIdentification}), the seed, the victim cache and the detector. Their victims are
 * {@link BackdoorVictim}s backdoored with {@link #backdoor()}. A picocli mixin.
 */
public final class SmallVitOptions {

    @Option(names = "--train", description = "Training images per victim (default ${DEFAULT-VALUE}).")
    int train = 20000;

    @Option(names = "--epochs", description = "Victim training epochs (default ${DEFAULT-VALUE}).")
    int epochs = 10;

    @Option(names = "--poison-rate", description = "Share of the training images poisoned (default ${DEFAULT-VALUE}).")
    double poisonRate = 0.1;

    @Option(names = "--target", description = "The backdoor's target class (default ${DEFAULT-VALUE}).")
    int target = 1;

    @Option(names = "--identification", description = "how each victim's debugging set finds its trigger: search"
            + " (TargetSearch), mad (trigger inversion and the MAD test, the README's path) or search-else-mad (the"
            + " search, and where it finds nothing, the MAD test of its inversion) (default ${DEFAULT-VALUE}).")
    String identification = "search-else-mad";

    @Option(names = "--seed", description = "Seed of victims, inversion, debugging sets, detectors and attacker"
            + " (default ${DEFAULT-VALUE}).")
    long seed = 42;

    @Mixin
    DetectorOptions detector = new DetectorOptions();

    @Option(names = "--cache", description = "Victim cache (default ${DEFAULT-VALUE}).")
    Path cache = Path.of(System.getProperty("user.home"), ".cache", "atpatch", "victims");

    /** @return training images per victim */
    public int train() {
        return train;
    }

    /** @return victim training epochs */
    public int epochs() {
        return epochs;
    }

    /** @return the share of non-target training images poisoned */
    public double poisonRate() {
        return poisonRate;
    }

    /** @return the backdoor's target class */
    public int target() {
        return target;
    }

    /**
     * @return one of {@link TargetIdentification#NAMES}
     * @throws IllegalArgumentException when the option holds another name
     */
    public String identification() {
        if (!TargetIdentification.NAMES.contains(identification)) {
            throw new IllegalArgumentException("--identification: " + String.join(", ", TargetIdentification.NAMES)
                    + ", got " + identification);
        }
        return identification;
    }

    /** @return the seed */
    public long seed() {
        return seed;
    }

    /** @return the victim cache folder */
    public Path cache() {
        return cache;
    }

    /** @return the BadNets backdoor the victims are trained with: a 4 × 4 checkerboard at (24, 24) */
    public PatchTrigger backdoor() {
        return new PatchTrigger(24, 24, 4, 1f, true, target);
    }

    /** @return the detector configuration the options describe, at this seed */
    public DetectorConfig.Builder detectorConfig() {
        return detector.applyTo(DetectorConfig.builder()).optSeed(seed);
    }

    /** @return these options as command-line arguments, for a results file's command */
    public String args() {
        return String.format(Locale.ROOT, "--train %d --epochs %d --poison-rate %s --target %d --identification %s --seed %d %s",
                train, epochs, poisonRate, target, identification, seed, String.join(" ", detector.args()));
    }
}
