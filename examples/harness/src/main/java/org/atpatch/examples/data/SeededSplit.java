package org.atpatch.examples.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A seeded, disjoint split of {@code n} rows into train, debugging and test parts. The row indices
 * are shuffled with {@link Collections#shuffle(List, Random)} seeded by {@code seed} (the same order on
 * every JVM); the first {@code round(n · testFraction)} go to test, the next
 * {@code round(n · debugFraction)} to debugging, the rest to train. Each part is returned in row order.
 *
 * @param seed the shuffle's seed
 * @param debugFraction the debugging part's share, in {@code [0, 1)}
 * @param testFraction the test part's share, in {@code [0, 1)} (0 when the test rows come from a
 *     separate file, as Adult's {@code adult.test})
 */
public record SeededSplit(long seed, double debugFraction, double testFraction) {

    /** The default seed of the reproduction harness. */
    public static final long DEFAULT_SEED = 42L;

    /** Validates the fractions. */
    public SeededSplit {
        if (!(debugFraction >= 0 && testFraction >= 0 && debugFraction + testFraction < 1)) {
            throw new IllegalArgumentException("debug and test fractions must be non-negative with a sum below 1,"
                    + " got " + debugFraction + " and " + testFraction);
        }
    }

    /**
     * @param n the number of rows
     * @return {@code {train, debug, test}} row indices, disjoint, covering {@code [0, n)}, each ascending
     */
    public int[][] split(int n) {
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed));
        int nTest = (int) Math.round(n * testFraction);
        int nDebug = (int) Math.round(n * debugFraction);
        int[] test = sorted(order.subList(0, nTest));
        int[] debug = sorted(order.subList(nTest, nTest + nDebug));
        int[] train = sorted(order.subList(nTest + nDebug, n));
        return new int[][] {train, debug, test};
    }

    private static int[] sorted(List<Integer> part) {
        int[] a = part.stream().mapToInt(Integer::intValue).toArray();
        Arrays.sort(a);
        return a;
    }
}
