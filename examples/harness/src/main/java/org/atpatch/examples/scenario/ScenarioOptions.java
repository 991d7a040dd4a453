package org.atpatch.examples.scenario;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.atpatch.djl.LabelledData;
import org.atpatch.examples.data.EmbeddedFashionMnist;
import picocli.CommandLine.Option;

/**
 * The command-line options and the data split that the backdoor programs share (the quickstart and
 * the patch-rule comparison): seed, victim epochs and victim cache, and the embedded Fashion-MNIST
 * subset cut into training images, the defender's debugging pool (the first {@value #POOL} test
 * images) and the evaluation images after them. A picocli mixin.
 */
public final class ScenarioOptions {

    /** Debugging pool: the first test images, disjoint from the evaluation images after them. */
    public static final int POOL = 800;

    @Option(names = "--seed", description = "Seed for the target class, poisoning, training and defence (default ${DEFAULT-VALUE}).")
    long seed = 7;

    @Option(names = "--epochs", description = "Victim training epochs (default ${DEFAULT-VALUE}).")
    int epochs = 8;

    @Option(names = "--cache", description = "Cache of trained victims, keyed by configuration hash (default ${DEFAULT-VALUE}).")
    Path cache = Path.of(System.getProperty("user.home"), ".cache", "atpatch", "victims");

    /** @return the seed */
    public long seed() {
        return seed;
    }

    /** @return victim training epochs */
    public int epochs() {
        return epochs;
    }

    /** @return the victim cache folder */
    public Path cache() {
        return cache;
    }

    /** @return the attack's target class, drawn from the seed */
    public int target() {
        return new Random(seed).nextInt(10);
    }

    /**
     * Reads the embedded subset once and splits it.
     *
     * @return training images, debugging pool and evaluation images
     * @throws IOException when the embedded files cannot be read
     */
    public Data data() throws IOException {
        LabelledData test = EmbeddedFashionMnist.test();
        return new Data(EmbeddedFashionMnist.train(), test.range(0, POOL), test.range(POOL, test.size()));
    }

    /**
     * @param train training images (poisoned by the scenario)
     * @param pool the defender's clean pool for inversion and the debugging set
     * @param eval held-out evaluation images, disjoint from both
     */
    public record Data(LabelledData train, LabelledData pool, LabelledData eval) {}
}
