package org.atpatch.djl.patch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.atpatch.core.HotPatch;
import org.atpatch.core.RandomMaps;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Holds the device Γ to core's reference. */
class DeviceHotPatchTest {

    static {
        org.atpatch.detector.DjlOffline.configure();
    }

    private static NDArray toDevice(NDManager m, INDArray a) {
        return m.create(a.dup().data().asFloat(), new Shape(a.shape()));
    }

    private static NDArray mask(NDManager m, boolean[][] f) {
        boolean[] flat = new boolean[f.length * f[0].length];
        for (int i = 0; i < f.length; i++) {
            System.arraycopy(f[i], 0, flat, i * f[0].length, f[0].length);
        }
        return m.create(flat, new Shape(f.length, f[0].length));
    }

    private static void assertMatchesReference(INDArray a, INDArray q, boolean[][] f) {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] expected = new HotPatch().apply(a, q, f).dup().data().asFloat();
            float[] actual = new DeviceHotPatch().apply(toDevice(m, a), toDevice(m, q), mask(m, f), 0).toFloatArray();
            assertArrayEquals(expected, actual, 1e-6f);
            NDArray overwritten = toDevice(m, a);
            NDArray inPlace = new DeviceHotPatch().applyInPlace(overwritten, toDevice(m, q), mask(m, f), 0);
            assertArrayEquals(expected, inPlace.toFloatArray(), 1e-6f, "in place");
        }
    }

    @Test
    void matchesReferenceOnRandomMaps() {
        Random r = new Random(3);
        for (int trial = 0; trial < 20; trial++) {
            int b = 1 + r.nextInt(4);
            int h = 1 + r.nextInt(3);
            int n = 2 + r.nextInt(12);
            INDArray a = RandomMaps.softmaxMaps(trial, 0.5 + 3 * r.nextDouble(), b, h, n, n);
            INDArray q = RandomMaps.softmaxMaps(100 + trial, 1.0, h, n, n);
            boolean[][] f = new boolean[b][n];
            for (int s = 0; s < b; s++) {
                for (int j = 0; j < n; j++) {
                    f[s][j] = r.nextDouble() < 0.2;
                }
            }
            assertMatchesReference(a, q, f);
        }
    }

    @Test
    void matchesReferenceOnEdgeCases() {
        int n = 5;
        // Degenerate: all mass on flagged columns 0 and 1; plus an all-flagged sample; plus a clean one.
        INDArray a = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 3, 1, n, n);
        for (int s = 0; s < 3; s++) {
            for (int i = 0; i < n; i++) {
                a.putScalar(new long[] {s, 0, i, 0}, 0.6);
                a.putScalar(new long[] {s, 0, i, 1}, 0.4);
            }
        }
        INDArray q = RandomMaps.softmaxMaps(1, 1.0, 1, n, n);
        boolean[][] f = {{true, true, false, false, false}, {true, true, true, true, true}, new boolean[n]};
        assertMatchesReference(a, q, f);
        // Q that is zero outside K too: the uniform fallback.
        INDArray qOnK = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, n, n);
        for (int i = 0; i < n; i++) {
            qOnK.putScalar(new long[] {0, i, 0}, 1.0);
        }
        assertMatchesReference(a, qOnK, new boolean[][] {{true, true, false, false, false}, {true, false, false, false, false}, new boolean[n]});
    }

    @Test
    void rowsSumToOneAndUnflaggedSamplesAreBitwise() {
        int n = 7;
        INDArray a = RandomMaps.softmaxMaps(5, 2.0, 4, 2, n, n);
        INDArray q = RandomMaps.softmaxMaps(6, 1.0, 2, n, n);
        boolean[][] f = new boolean[4][n];
        f[1][3] = true;
        f[3][0] = f[3][5] = true;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray in = toDevice(m, a);
            NDArray out = new DeviceHotPatch().apply(in, toDevice(m, q), mask(m, f), 0);
            NDArray sums = out.sum(new int[] {-1});
            assertTrue(sums.sub(1).abs().max().getFloat() < 1e-5f);
            assertArrayEquals(in.get(0).toFloatArray(), out.get(0).toFloatArray(), 0f);
            assertArrayEquals(in.get(2).toFloatArray(), out.get(2).toFloatArray(), 0f);
            // Drop-and-renormalise (Q := 0) is finite and row-stochastic too.
            NDArray dropped = new DeviceHotPatch().apply(in, null, mask(m, f), 0);
            assertEquals(0f, dropped.get(1).get(":, :, 3").abs().max().getFloat(), 0f);
            assertTrue(dropped.sum(new int[] {-1}).sub(1).abs().max().getFloat() < 1e-5f);
        }
    }

    @Test
    void inPlaceOverwritesTheMapAndKeepsUnflaggedSamples() {
        int n = 9;
        INDArray a = RandomMaps.softmaxMaps(7, 2.0, 4, 3, n, n);
        INDArray q = RandomMaps.softmaxMaps(8, 1.0, 3, n, n);
        boolean[][] f = new boolean[4][n];
        f[0][2] = true;
        f[2][1] = f[2][4] = f[2][8] = true;
        try (NDManager m = NDManager.newBaseManager()) {
            for (boolean drop : new boolean[] {false, true}) {
                NDArray qd = drop ? null : toDevice(m, q);
                float[] expected = new DeviceHotPatch().apply(toDevice(m, a), qd, mask(m, f), 0).toFloatArray();
                NDArray maps = toDevice(m, a);
                NDArray out = new DeviceHotPatch().applyInPlace(maps, qd, mask(m, f), 0);
                assertTrue(out == maps, "a batch without degenerate rows is patched in place");
                assertArrayEquals(expected, out.toFloatArray(), 1e-6f, drop ? "Q := 0" : "Q");
                NDArray before = toDevice(m, a);
                assertArrayEquals(before.get(1).toFloatArray(), out.get(1).toFloatArray(), 0f);
                assertArrayEquals(before.get(3).toFloatArray(), out.get(3).toFloatArray(), 0f);
            }
            // Every sample flagged, with different counts (the padded write), and all with the same count.
            for (boolean[][] g : new boolean[][][] {
                {{true, false, false, false, false, false, false, false, true}, {false, true, false, false, false, false, false, false, false},
                    {false, false, true, true, true, false, false, false, false}, {false, false, false, false, false, false, false, true, false}},
                {{false, true, false, false, false, false, false, false, false}, {false, false, false, false, false, true, false, false, false},
                    {false, false, false, false, false, false, false, false, true},
                    {false, true, false, false, false, false, false, false, false}}}) {
                float[] expected = new DeviceHotPatch().apply(toDevice(m, a), toDevice(m, q), mask(m, g), 0).toFloatArray();
                NDArray maps = toDevice(m, a);
                NDArray out = new DeviceHotPatch().applyInPlace(maps, toDevice(m, q), mask(m, g), 0);
                assertTrue(out == maps);
                assertArrayEquals(expected, out.toFloatArray(), 1e-6f);
            }
            // Nothing flagged anywhere: the map is returned as it is.
            NDArray maps = toDevice(m, a);
            float[] before = maps.toFloatArray();
            NDArray out = new DeviceHotPatch().applyInPlace(maps, toDevice(m, q), mask(m, new boolean[4][n]), 0);
            assertArrayEquals(before, out.toFloatArray(), 0f);
        }
    }

    @Test
    void preparedGammaGivesTheSameBitsAsPerLayerGammaAtEveryLayer() {
        int n = 9;
        Random r = new Random(11);
        try (NDManager m = NDManager.newBaseManager()) {
            // Every sample flags a column (a re-run's batch): the same count, and different counts.
            for (boolean sameCount : new boolean[] {true, false}) {
                boolean[][] f = new boolean[4][n];
                for (int s = 0; s < 4; s++) {
                    f[s][r.nextInt(n - 1) + 1] = true;
                    if (!sameCount && s % 2 == 1) {
                        f[s][0] = true;
                    }
                }
                NDArray flagged = mask(m, f);
                DeviceHotPatch gamma = new DeviceHotPatch();
                NDList qs = new NDList();
                for (int layer = 0; layer < 3; layer++) {
                    qs.add(toDevice(m, RandomMaps.softmaxMaps(30 + layer, 1.0, 3, n, n)));
                }
                for (boolean drop : new boolean[] {false, true}) {
                    DeviceHotPatch.Prepared prepared = gamma.prepare(flagged, drop ? null : NDArrays.stack(qs));
                    assertTrue(prepared != null && prepared.flagged() == flagged);
                    for (int layer = 0; layer < 3; layer++) {
                        INDArray a = RandomMaps.softmaxMaps(20 + layer, 2.0, 4, 3, n, n);
                        NDArray qd = drop ? null : qs.get(layer);
                        float[] expected = gamma.applyInPlace(toDevice(m, a), qd, flagged, layer).toFloatArray();
                        NDArray maps = toDevice(m, a);
                        NDArray out = prepared.applyInPlace(maps, qd, layer);
                        assertTrue(out == maps, "patched in place");
                        assertArrayEquals(expected, out.toFloatArray(), 0f, "layer " + layer + (drop ? ", Q := 0" : ""));
                    }
                }
            }
            // A degenerate row: the general formulation, as per layer, into a new array; the map keeps
            // everything but its flagged columns, which are zeroed.
            INDArray a = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 1, 5, 5);
            for (int s = 0; s < 2; s++) {
                for (int i = 0; i < 5; i++) {
                    a.putScalar(new long[] {s, 0, i, 0}, 1.0);
                }
            }
            INDArray q = RandomMaps.softmaxMaps(2, 1.0, 1, 5, 5);
            boolean[][] g = {{true, false, false, false, false}, {false, true, false, false, false}};
            float[] expected = new HotPatch().apply(a, q, g).dup().data().asFloat();
            NDArray maps = toDevice(m, a);
            float[] before = maps.toFloatArray();
            NDArray qd = toDevice(m, q);
            NDArray out = new DeviceHotPatch().prepare(mask(m, g), qd.expandDims(0)).applyInPlace(maps, qd, 0);
            assertTrue(out != maps, "a batch with a degenerate row gets a new array");
            assertArrayEquals(expected, out.toFloatArray(), 1e-6f);
            assertArrayEquals(withColumnsZeroed(before, g, 5), maps.toFloatArray(), 0f);
            NDArray perLayerMaps = toDevice(m, a);
            NDArray perLayer = new DeviceHotPatch().applyInPlace(perLayerMaps, qd, mask(m, g), 0);
            assertArrayEquals(out.toFloatArray(), perLayer.toFloatArray(), 0f, "per layer, the same bits");
            assertArrayEquals(withColumnsZeroed(before, g, 5), perLayerMaps.toFloatArray(), 0f);
            // Per layer, beside a sample that flags nothing: that sample comes back with its bits.
            INDArray mixed = Nd4j.concat(0, a, RandomMaps.softmaxMaps(3, 1.0, 1, 1, 5, 5));
            boolean[][] h = {g[0], g[1], new boolean[5]};
            NDArray mixedMaps = toDevice(m, mixed);
            NDArray mixedOut = new DeviceHotPatch().applyInPlace(mixedMaps, qd, mask(m, h), 0);
            assertArrayEquals(new HotPatch().apply(mixed, q, h).dup().data().asFloat(), mixedOut.toFloatArray(), 1e-6f);
            assertArrayEquals(toDevice(m, mixed).get(2).toFloatArray(), mixedOut.get(2).toFloatArray(), 0f);
            // A sample with nothing flagged: nothing to prepare, the per-layer form serves the call.
            assertTrue(new DeviceHotPatch().prepare(mask(m, new boolean[][] {{true, false}, {false, false}}), null) == null);
            // Prepared for other columns than the maps have: named.
            DeviceHotPatch.Prepared wrong = new DeviceHotPatch().prepare(mask(m, g), null);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> wrong.applyInPlace(toDevice(m, RandomMaps.softmaxMaps(1, 1.0, 2, 1, 4, 4)), null, 3));
            assertTrue(e.getMessage().contains("layer 3"), e.getMessage());
            // Prepared with Q of one layer: another layer, Q := 0 at patch time, or Q of another N are named.
            DeviceHotPatch.Prepared one = new DeviceHotPatch().prepare(mask(m, g), qd.expandDims(0));
            IllegalArgumentException beyond = assertThrows(IllegalArgumentException.class,
                    () -> one.applyInPlace(toDevice(m, a), qd, 1));
            assertTrue(beyond.getMessage().contains("prepared for 1 layers"), beyond.getMessage());
            IllegalArgumentException dropped = assertThrows(IllegalArgumentException.class,
                    () -> one.applyInPlace(toDevice(m, a), null, 0));
            assertTrue(dropped.getMessage().contains("Q := 0"), dropped.getMessage());
            IllegalArgumentException otherN = assertThrows(IllegalArgumentException.class,
                    () -> new DeviceHotPatch().prepare(mask(m, g), m.zeros(new Shape(1, 1, 4, 4))));
            assertTrue(otherN.getMessage().contains("N = 5"), otherN.getMessage());
        }
    }

    /** {@code maps} (B, H, N, N) row-major, with each sample's flagged columns set to 0. */
    private static float[] withColumnsZeroed(float[] maps, boolean[][] flagged, int n) {
        float[] out = maps.clone();
        int perSample = out.length / flagged.length;
        for (int i = 0; i < out.length; i++) {
            if (flagged[i / perSample][i % n]) {
                out[i] = 0f;
            }
        }
        return out;
    }

    @Test
    void mismatchedQIsNamed() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = toDevice(m, RandomMaps.softmaxMaps(1, 1.0, 1, 2, 4, 4));
            NDArray q = toDevice(m, RandomMaps.softmaxMaps(1, 1.0, 2, 5, 5));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new DeviceHotPatch().apply(a, q, m.create(new boolean[4], new Shape(1, 4)), 2));
            assertTrue(e.getMessage().contains("layer 2"), e.getMessage());
            IllegalArgumentException inPlace = assertThrows(IllegalArgumentException.class,
                    () -> new DeviceHotPatch().applyInPlace(a, q, m.create(new boolean[4], new Shape(1, 4)), 2));
            assertTrue(inPlace.getMessage().contains("layer 2"), inPlace.getMessage());
        }
    }
}
