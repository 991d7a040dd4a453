package org.atpatch.detector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The ensemble flags what any member flags at its own τ, on one scale, and nothing else. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DetectorEnsembleTest {

    private static final int B = 6;
    private static final int L = 2;
    private static final int N = 7;
    private NDManager manager;

    @BeforeAll
    void open() {
        DjlOffline.configure();
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    void close() {
        manager.close();
    }

    /** A member that answers with fixed probabilities, {@code [layer][b·N + n]}. */
    private static ColumnDetector fixed(float[][] perLayer) {
        return (maps, layer) -> maps.getManager().create(perLayer[layer], new Shape(maps.getShape().get(0), N));
    }

    private static float[][] draws(long seed) {
        Random r = new Random(seed);
        float[][] p = new float[L][B * N];
        for (float[] layer : p) {
            for (int i = 0; i < layer.length; i++) {
                layer[i] = r.nextFloat();
            }
        }
        // Values on the thresholds themselves, which must not flag, and just above them, which must.
        p[0][0] = 0.3f;
        p[0][1] = Math.nextUp(0.3f);
        p[1][1] = 0.8f;
        p[1][2] = Math.nextUp(0.8f);
        return p;
    }

    @Test
    void aColumnIsFlaggedExactlyWhenSomeMemberFlagsItAtItsOwnTau() {
        float[][] a = draws(1);
        float[][] b = draws(2);
        b[0][0] = 0.81f; // flagged by the second member only, while the first sits on its τ
        DetectorEnsemble ensemble = DetectorEnsemble.builder().addMember(fixed(a), 0.3).addMember(fixed(b), 0.8).build();
        assertEquals(DetectorEnsemble.TAU, ensemble.tau());
        try (NDManager m = manager.newSubManager()) {
            List<NDArray> maps = List.of(m.zeros(new Shape(B, N, N)), m.zeros(new Shape(B, N, N)));
            NDArray all = ensemble.detectAll(maps);
            assertEquals(new Shape(B, L, N), all.getShape());
            assertSame(m, all.getManager());
            float[] p = all.toFloatArray();
            int flagged = 0;
            for (int s = 0; s < B; s++) {
                for (int l = 0; l < L; l++) {
                    for (int n = 0; n < N; n++) {
                        float pa = a[l][s * N + n];
                        float pb = b[l][s * N + n];
                        float q = p[(s * L + l) * N + n];
                        boolean expected = pa > 0.3f || pb > 0.8f;
                        assertEquals(expected, q > DetectorEnsemble.TAU, "sample " + s + " layer " + l + " column " + n
                                + ": members " + pa + " and " + pb + ", ensemble " + q);
                        assertTrue(q >= 0 && q <= 1, "outside [0, 1]: " + q);
                        flagged += expected ? 1 : 0;
                    }
                }
            }
            assertTrue(flagged > 0 && flagged < B * L * N, "the draw exercises both outcomes");
            // Sample 0, layer 0, column 0: 0.3 on the first member's τ (0.5 on the common scale) and 0.81
            // above the second's 0.8 (0.5 + 0.5 · 0.01 / 0.2).
            assertEquals(0.525f, p[0], 1e-5f);
            float[] perLayer = ensemble.detect(maps.get(1), 1).toFloatArray();
            for (int s = 0; s < B; s++) {
                for (int n = 0; n < N; n++) {
                    assertEquals(p[(s * L + 1) * N + n], perLayer[s * N + n], 1e-7f);
                }
            }
            // The maps, the two results and the per-layer call's result: no member output or intermediate remains.
            assertEquals(4, m.getManagedArrays().size());
        }
    }

    @Test
    void theCommonScaleIsContinuousAndIncreasingWithTauAtTheMiddle() {
        try (NDManager m = manager.newSubManager()) {
            float[] p = {0f, 0.1f, 0.2f, 0.25f, 0.3f, 0.6f, 1f};
            float[] q = DetectorEnsemble.onCommonScale(m.create(p), 0.25).toFloatArray();
            float[] expected = {0f, 0.2f, 0.4f, 0.5f, 0.5f + 0.5f * 0.05f / 0.75f, 0.5f + 0.5f * 0.35f / 0.75f, 1f};
            for (int i = 0; i < p.length; i++) {
                assertEquals(expected[i], q[i], 1e-6f, "p = " + p[i]);
            }
        }
    }

    @Test
    void oneTrainedMemberFlagsWhatItFlagsAlone() {
        SyntheticAttention synthetic = new SyntheticAttention(N, 2, SyntheticAttention.THREE_LAYERS[0],
                SyntheticAttention.THREE_LAYERS[1]);
        DetectorTrainingData data = synthetic.pairs(20, 3);
        try (AttentionDetector d = new DetectorTrainer(DetectorConfig.paper().toBuilder().optEpochs(1)
                .optProgressBar(false).build()).train(data); NDManager m = manager.newSubManager()) {
            d.setTau(0.4);
            DetectorEnsemble ensemble = DetectorEnsemble.of(d);
            assertEquals(d.tokens(), ensemble.tokens());
            assertEquals(d.layers(), ensemble.layers());
            NDArray r = m.randomUniform(0.01f, 1f, new Shape(5, N, N));
            NDArray x = r.div(r.sum(new int[] {2}, true));
            float[] alone = d.detect(x, 0).toFloatArray();
            float[] together = ensemble.detect(x, 0).toFloatArray();
            for (int i = 0; i < alone.length; i++) {
                assertEquals(alone[i] > 0.4f, together[i] > DetectorEnsemble.TAU, "column " + i);
            }
        }
    }

    @Test
    void badEnsemblesAreRefusedWithAClearMessage() {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> DetectorEnsemble.builder().build());
        assertTrue(none.getMessage().contains("at least one member"), none.getMessage());
        IllegalArgumentException tau = assertThrows(IllegalArgumentException.class,
                () -> DetectorEnsemble.builder().addMember(fixed(draws(1)), 1.0));
        assertTrue(tau.getMessage().contains("τ"), tau.getMessage());
        ColumnDetector nine = forTokens(9);
        ColumnDetector seven = forTokens(7);
        IllegalArgumentException n = assertThrows(IllegalArgumentException.class,
                () -> DetectorEnsemble.builder().addMember(nine, 0.5).addMember(fixed(draws(1)), 0.5)
                        .addMember(seven, 0.5).build());
        assertTrue(n.getMessage().contains("different Ns (9 and 7)"), n.getMessage());
    }

    /** A member that only states the N it was built for. */
    private static ColumnDetector forTokens(int n) {
        return new ColumnDetector() {
            @Override
            public NDArray detect(NDArray headAveraged, int layer) {
                throw new UnsupportedOperationException();
            }

            @Override
            public int tokens() {
                return n;
            }
        };
    }
}
