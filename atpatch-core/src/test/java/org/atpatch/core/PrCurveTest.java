package org.atpatch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PrCurveTest {

    @Test
    void defaultTausAre001To099() {
        double[] taus = PrCurve.defaultTaus();
        assertEquals(99, taus.length);
        assertEquals(0.01, taus[0]);
        assertEquals(0.1, taus[9]);
        assertEquals(0.5, taus[49]);
        assertEquals(0.07, taus[6]); // i / 100.0, not an accumulated sum
        assertTrue(taus != PrCurve.defaultTaus(), "a fresh array each call");
        assertEquals(0.99, taus[98]);
        for (int i = 1; i < taus.length; i++) {
            assertTrue(taus[i] > taus[i - 1]);
        }
    }

    @Test
    void pointsOnHandComputedCase() {
        float[][] p = {
            {0.9f, 0.3f}, // truth {0}: TP for τ ∈ [0.3, 0.9)
            {0.6f, 0.0f}, // clean: TN for τ ≥ 0.6
        };
        boolean[][] t = {{true, false}, {false, false}};
        List<PrCurve.Point> pts = PrCurve.points(p, t, new double[] {0.2, 0.5, 0.7, 0.95});
        assertEquals(4, pts.size());
        assertEquals(0.2, pts.get(0).tau());
        assertEquals(new DetectionMetrics(0, 1, 0, 1), pts.get(0).metrics());
        assertEquals(new DetectionMetrics(1, 1, 0, 0), pts.get(1).metrics());
        assertEquals(new DetectionMetrics(1, 0, 1, 0), pts.get(2).metrics());
        assertEquals(new DetectionMetrics(0, 0, 1, 1), pts.get(3).metrics());
    }

    @Test
    void pointsAgreeWithStrictAtEveryTau() {
        Random rnd = new Random(42);
        int maps = 200;
        float[][] p = new float[maps][];
        boolean[][] t = new boolean[maps][];
        for (int m = 0; m < maps; m++) {
            int cols = 1 + rnd.nextInt(8);
            p[m] = new float[cols];
            t[m] = new boolean[cols];
            boolean anomalousMap = rnd.nextBoolean();
            for (int c = 0; c < cols; c++) {
                t[m][c] = anomalousMap && rnd.nextInt(3) == 0;
                // Coarse grid so many probabilities coincide with a τ exactly.
                p[m][c] = t[m][c] ? rnd.nextInt(101) / 100f : (float) Math.pow(rnd.nextInt(101) / 100.0, 3);
            }
        }
        double[] taus = PrCurve.defaultTaus();
        List<PrCurve.Point> pts = PrCurve.points(p, t, taus);
        for (int i = 0; i < taus.length; i++) {
            assertEquals(DetectionMetrics.strict(p, t, taus[i]), pts.get(i).metrics(), "τ=" + taus[i]);
        }
    }

    @Test
    void pointsRejectBadInput() {
        float[][] p = {{0.5f}};
        boolean[][] t = {{true}};
        var e = assertThrows(IllegalArgumentException.class, () -> PrCurve.points(p, t, new double[0]));
        assertTrue(e.getMessage().contains("taus is empty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PrCurve.points(p, t, new double[] {0.5, 1.0}));
        assertTrue(e.getMessage().contains("taus[1]") && e.getMessage().contains("τ"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PrCurve.points(new float[][] {{Float.NaN}}, t, new double[] {0.5}));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PrCurve.points(new float[][] {{0.1f, 0.2f}}, t, new double[] {0.5}));
        assertTrue(e.getMessage().contains("length mismatch"), e.getMessage());
    }

    @Test
    void csvHeaderAndRows() {
        var pts = List.of(
                new PrCurve.Point(0.1, new DetectionMetrics(8, 2, 18, 2)),
                new PrCurve.Point(0.5, new DetectionMetrics(0, 0, 0, 0)));
        String csv = PrCurve.toCsv(pts);
        String[] lines = csv.split("\n", -1);
        assertEquals(4, lines.length); // header, two rows, trailing empty after final newline
        assertEquals("tau,precision,recall,f1,fpr,fnr,tp,fp,tn,fn", lines[0]);
        assertEquals("0.1,0.800000,0.800000,0.800000,0.100000,0.200000,8,2,18,2", lines[1]);
        assertEquals("0.5,0.000000,0.000000,0.000000,0.000000,0.000000,0,0,0,0", lines[2]);
        assertEquals("", lines[3]);
        assertEquals("tau,precision,recall,f1,fpr,fnr,tp,fp,tn,fn\n", PrCurve.toCsv(List.of()));
    }

    @Test
    void pointRejectsBadTau() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new PrCurve.Point(0, new DetectionMetrics(0, 0, 0, 0)));
        assertTrue(e.getMessage().contains("τ"), e.getMessage());
    }

    @Test
    void aucPerfectlySeparated() {
        float[][] p = {{0.9f, 0.1f, 0.2f}, {0.3f, 0.8f}};
        boolean[][] t = {{true, false, false}, {false, true}};
        assertEquals(1.0, PrCurve.columnRocAuc(p, t), 0);
    }

    @Test
    void aucPerfectlyInverted() {
        float[][] p = {{0.1f, 0.9f}};
        boolean[][] t = {{true, false}};
        assertEquals(0.0, PrCurve.columnRocAuc(p, t), 0);
    }

    @Test
    void aucConstantScoresIsHalf() {
        float[][] p = {{0.4f, 0.4f, 0.4f}, {0.4f}};
        boolean[][] t = {{true, false, false}, {true}};
        assertEquals(0.5, PrCurve.columnRocAuc(p, t), 0);
    }

    @Test
    void aucWithTiesHandComputed() {
        // pos = {0.8, 0.5, 0.2}, neg = {0.5, 0.3, 0.1}
        // 0.8 beats 3; 0.5 beats 2 and ties 1 (2.5); 0.2 beats 1 → (3 + 2.5 + 1) / 9
        float[][] p = {{0.8f, 0.5f}, {0.2f, 0.5f, 0.3f, 0.1f}};
        boolean[][] t = {{true, true}, {true, false, false, false}};
        assertEquals(6.5 / 9, PrCurve.columnRocAuc(p, t), 1e-12);
    }

    @Test
    void aucMatchesBruteForce() {
        Random rnd = new Random(7);
        int maps = 60;
        float[][] p = new float[maps][];
        boolean[][] t = new boolean[maps][];
        for (int m = 0; m < maps; m++) {
            int cols = 1 + rnd.nextInt(10);
            p[m] = new float[cols];
            t[m] = new boolean[cols];
            for (int c = 0; c < cols; c++) {
                t[m][c] = rnd.nextInt(4) == 0;
                p[m][c] = rnd.nextInt(20) / 20f + (t[m][c] ? 0.1f : 0f);
            }
        }
        double num = 0;
        long pairs = 0;
        for (int a = 0; a < maps; a++) {
            for (int i = 0; i < p[a].length; i++) {
                if (!t[a][i]) {
                    continue;
                }
                for (int b = 0; b < maps; b++) {
                    for (int j = 0; j < p[b].length; j++) {
                        if (t[b][j]) {
                            continue;
                        }
                        pairs++;
                        num += p[a][i] > p[b][j] ? 1 : p[a][i] == p[b][j] ? 0.5 : 0;
                    }
                }
            }
        }
        assertEquals(num / pairs, PrCurve.columnRocAuc(p, t), 1e-12);
    }

    @Test
    void aucRejectsSingleClassAndNan() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> PrCurve.columnRocAuc(new float[][] {{0.1f, 0.2f}}, new boolean[][] {{false, false}}));
        assertTrue(e.getMessage().contains("only one class"), e.getMessage());
        assertTrue(e.getMessage().contains("0 anomalous"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PrCurve.columnRocAuc(new float[][] {{0.1f}, {0.2f}}, new boolean[][] {{true}, {true}}));
        assertTrue(e.getMessage().contains("only one class"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PrCurve.columnRocAuc(new float[][] {{Float.NaN, 0.2f}}, new boolean[][] {{true, false}}));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }
}
