package org.atpatch.detector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contrastive term of Eq. 7 in InfoNCE form (docs/architecture.md, "Design decisions":
 * contrastive loss).
 */
class ContrastiveLossTest {

    private static final int M = 40;
    private static final int D = 8;
    private static NDManager manager;

    @BeforeAll
    static void open() {
        DjlOffline.configure();
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** Labels: every fourth column anomalous. */
    private static float[] labels() {
        float[] y = new float[M];
        for (int i = 0; i < M; i += 4) {
            y[i] = 1;
        }
        return y;
    }

    /** Random embeddings, two class centres, and each embedding moved toward (α > 0) or away from (α < 0) its centre. */
    private static float[][] embeddings(float[] y, double alpha) {
        Random r = new Random(7);
        double[][] centre = new double[2][D];
        for (int c = 0; c < 2; c++) {
            for (int d = 0; d < D; d++) {
                centre[c][d] = r.nextGaussian();
            }
        }
        float[][] e = new float[M][D];
        for (int i = 0; i < M; i++) {
            int c = (int) y[i];
            for (int d = 0; d < D; d++) {
                double base = centre[c][d] + 1.5 * r.nextGaussian();
                e[i][d] = (float) (base + alpha * (centre[c][d] - base));
            }
        }
        return e;
    }

    private static double loss(ContrastiveLoss l, float[][] e, float[] y) {
        try (NDManager m = manager.newSubManager()) {
            float[] flat = new float[M * D];
            for (int i = 0; i < M; i++) {
                System.arraycopy(e[i], 0, flat, i * D, D);
            }
            return l.compute(m.create(flat, new Shape(M, D)), m.create(y)).getFloat();
        }
    }

    @Test
    void decreasesAsSameLabelColumnsMoveTogetherAndIncreasesAsTheyMoveApart() {
        ContrastiveLoss l = ContrastiveLoss.builder().build();
        float[] y = labels();
        double apart = loss(l, embeddings(y, -1.0), y);
        double base = loss(l, embeddings(y, 0.0), y);
        double closer = loss(l, embeddings(y, 0.5), y);
        double tight = loss(l, embeddings(y, 0.9), y);
        assertTrue(closer < base, "moving same-label columns together must lower the loss: " + base + " -> " + closer);
        assertTrue(tight < closer, "and further together lower it further: " + closer + " -> " + tight);
        assertTrue(apart > base, "moving them apart must raise the loss: " + base + " -> " + apart);
    }

    @Test
    void gradientStepOnTheLossPullsPositivesTogether() {
        ContrastiveLoss l = ContrastiveLoss.builder().optTemperature(0.5).build();
        float[] y = labels();
        float[][] e = embeddings(y, 0.0);
        try (NDManager m = manager.newSubManager()) {
            float[] flat = new float[M * D];
            for (int i = 0; i < M; i++) {
                System.arraycopy(e[i], 0, flat, i * D, D);
            }
            NDArray emb = m.create(flat, new Shape(M, D));
            NDArray labels = m.create(y);
            double before = l.compute(emb, labels).getFloat();
            emb.setRequiresGradient(true);
            try (var gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                gc.backward(l.compute(emb, labels));
            }
            NDArray stepped = emb.sub(emb.getGradient().mul(0.5f));
            double after = l.compute(stepped, labels).getFloat();
            assertTrue(after < before, "a gradient step must lower the loss: " + before + " -> " + after);
        }
    }

    @Test
    void isZeroWithoutNegativesAndMatchesAllAnchorsWhenGivenAll() {
        ContrastiveLoss l = ContrastiveLoss.builder().build();
        float[] y = labels();
        float[][] e = embeddings(y, 0.0);
        float[] none = new float[M];
        assertEquals(0.0, loss(l, e, none), 1e-7, "one class only: no negative, no loss");
        try (NDManager m = manager.newSubManager()) {
            float[] flat = new float[M * D];
            for (int i = 0; i < M; i++) {
                System.arraycopy(e[i], 0, flat, i * D, D);
            }
            NDArray emb = m.create(flat, new Shape(M, D));
            NDArray labels = m.create(y);
            float all = l.compute(emb, labels).getFloat();
            float anchored = l.compute(emb, labels, m.arange(0L, (long) M, 1L)).getFloat();
            assertEquals(all, anchored, 1e-5);
        }
    }

    @Test
    void rejectsBadTemperatureAndShapes() {
        assertThrows(IllegalArgumentException.class, () -> ContrastiveLoss.builder().optTemperature(0).build());
        assertThrows(IllegalArgumentException.class, () -> ContrastiveLoss.builder().optTemperature(Double.NaN).build());
        ContrastiveLoss l = ContrastiveLoss.builder().build();
        try (NDManager m = manager.newSubManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> l.compute(m.zeros(new Shape(4, 3)), m.zeros(new Shape(5))));
            assertTrue(e.getMessage().contains("labels"), e.getMessage());
        }
    }
}
