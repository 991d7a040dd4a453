package org.atpatch.examples.attack;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;

/** The seeded draws of the attacks: poisoned samples, targets, search batches. */
final class SeededDraws {

    /** Mixed into the seed of {@link Attack#drawTarget}: the bytes of "target". */
    static final long TARGET_STREAM = 0x746172676574L;

    /** Mixed into the seed of the Trojan search's batch draws, so they are independent of its starting pattern's. */
    static final long BATCH_STREAM = 0x6261746368L;

    /** Mixed into the seed of the clean-label Hidden's test positions: the bytes of "position". */
    static final long POSITION_STREAM = 0x706f736974696f6eL;

    private SeededDraws() {}

    /**
     * The non-target samples {@link Attack#poison} poisons.
     *
     * @param labels the labels
     * @param target the target class
     * @param rate the fraction of non-target samples to draw, in {@code (0, 1)}
     * @param seed the seed
     * @return {@code Math.round(rate · m)} of the {@code m} non-target indices, ascending
     */
    static int[] poisoned(int[] labels, int target, double rate, long seed) {
        if (!(rate > 0 && rate < 1)) {
            throw new IllegalArgumentException("poison rate must lie in (0, 1), got " + rate);
        }
        int[] pool = IntStream.range(0, labels.length).filter(i -> labels[i] != target).toArray();
        int[] chosen = draw(pool, (int) Math.round(rate * pool.length), new Random(seed));
        Arrays.sort(chosen);
        return chosen;
    }

    /**
     * A uniform draw without replacement, by a partial Fisher–Yates shuffle.
     *
     * @param pool the candidates (shuffled in place)
     * @param count how many to draw, at most {@code pool.length}
     * @param random the generator
     * @return the drawn candidates, in draw order
     */
    static int[] draw(int[] pool, int count, Random random) {
        for (int i = 0; i < count; i++) {
            int j = i + random.nextInt(pool.length - i);
            int t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
        }
        return Arrays.copyOf(pool, count);
    }
}
