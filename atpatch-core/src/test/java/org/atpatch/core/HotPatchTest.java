package org.atpatch.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class HotPatchTest {

    private static final int B = 3;
    private static final int H = 2;
    private static final int N = 6;

    private final HotPatch gamma = new HotPatch();

    private static boolean[][] flags(int[]... columnsPerSample) {
        boolean[][] f = new boolean[columnsPerSample.length][N];
        for (int s = 0; s < columnsPerSample.length; s++) {
            for (int c : columnsPerSample[s]) {
                f[s][c] = true;
            }
        }
        return f;
    }

    @Test
    void rowsSumToOneAndFlaggedColumnsEqualQ() {
        INDArray a = RandomMaps.softmaxMaps(1, 1.5, B, H, N, N);
        INDArray q = RandomMaps.softmaxMaps(2, 1.0, H, N, N);
        boolean[][] f = flags(new int[] {2}, new int[] {1, 4, 5}, new int[] {0});
        INDArray out = gamma.apply(a, q, f);
        for (int s = 0; s < B; s++) {
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < N; i++) {
                    double sum = 0;
                    for (int j = 0; j < N; j++) {
                        double v = out.getDouble(s, h, i, j);
                        sum += v;
                        if (f[s][j]) {
                            assertEquals(q.getDouble(h, i, j), v, 0, "flagged column must equal Q");
                        }
                    }
                    assertEquals(1.0, sum, 1e-5, "row sum");
                }
            }
        }
    }

    @Test
    void columnsOutsideKKeepTheirProportions() {
        INDArray a = RandomMaps.softmaxMaps(3, 1.0, 1, 1, N, N);
        INDArray q = RandomMaps.softmaxMaps(4, 1.0, 1, N, N);
        INDArray out = gamma.apply(a, q, flags(new int[] {3}));
        for (int i = 0; i < N; i++) {
            double ratioIn = a.getDouble(0, 0, i, 0) / a.getDouble(0, 0, i, 1);
            double ratioOut = out.getDouble(0, 0, i, 0) / out.getDouble(0, 0, i, 1);
            assertEquals(ratioIn, ratioOut, 1e-4 * Math.abs(ratioIn));
        }
    }

    @Test
    void unflaggedSamplesAreBitwiseUnchanged() {
        INDArray a = RandomMaps.softmaxMaps(5, 2.0, B, H, N, N);
        INDArray q = RandomMaps.softmaxMaps(6, 1.0, H, N, N);
        INDArray out = gamma.apply(a, q, flags(new int[] {}, new int[] {1}, new int[] {}));
        assertArrayEquals(a.slice(0).dup().data().asFloat(), out.slice(0).dup().data().asFloat());
        assertArrayEquals(a.slice(2).dup().data().asFloat(), out.slice(2).dup().data().asFloat());
        assertTrue(!a.slice(1).equals(out.slice(1)));
    }

    @Test
    void degenerateRowsStayFiniteAndSumToOne() {
        // All of every row's mass on column 0, which is flagged.
        INDArray a = org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, 1, N, N);
        for (int i = 0; i < N; i++) {
            a.putScalar(new long[] {0, 0, i, 0}, 1.0);
        }
        INDArray q = RandomMaps.softmaxMaps(7, 1.0, 1, N, N);
        INDArray out = gamma.apply(a, q, flags(new int[] {0}));
        for (int i = 0; i < N; i++) {
            double sum = 0;
            for (int j = 0; j < N; j++) {
                double v = out.getDouble(0, 0, i, j);
                assertTrue(Double.isFinite(v));
                sum += v;
            }
            assertEquals(1.0, sum, 1e-5);
            // Remaining mass follows Q's proportions outside K.
            double r = out.getDouble(0, 0, i, 1) / out.getDouble(0, 0, i, 2);
            assertEquals(q.getDouble(0, i, 1) / q.getDouble(0, i, 2), r, 1e-4 * r);
        }
    }

    @Test
    void everyColumnFlaggedGivesQ() {
        INDArray a = RandomMaps.softmaxMaps(8, 1.0, 1, 1, N, N);
        INDArray q = RandomMaps.softmaxMaps(9, 1.0, 1, N, N);
        boolean[][] all = new boolean[1][N];
        java.util.Arrays.fill(all[0], true);
        INDArray out = gamma.apply(a, q, all);
        assertArrayEquals(q.dup().data().asFloat(), out.dup().data().asFloat(), 1e-7f);
    }

    @Test
    void badInputIsNamed() {
        INDArray a = RandomMaps.softmaxMaps(10, 1.0, 1, 1, N, N);
        INDArray q = RandomMaps.softmaxMaps(11, 1.0, 1, N, N);
        INDArray nan = a.dup();
        nan.putScalar(new long[] {0, 0, 1, 1}, Double.NaN);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> gamma.apply(nan, q, flags(new int[] {1})))
                .getMessage().contains("non-finite"));
        INDArray wrongQ = RandomMaps.softmaxMaps(12, 1.0, 1, N - 1, N - 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> gamma.apply(a, wrongQ, flags(new int[] {1})))
                .getMessage().contains("Q must be shaped"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> gamma.apply(a, q, new boolean[1][N + 1]))
                .getMessage().contains("columns"));
        assertThrows(IllegalArgumentException.class, () -> new HotPatch(0.5, 0.1));
    }
}
