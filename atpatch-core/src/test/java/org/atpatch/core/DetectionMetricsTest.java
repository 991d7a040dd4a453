package org.atpatch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DetectionMetricsTest {

    private static boolean[] cols(String s) {
        boolean[] b = new boolean[s.length()];
        for (int i = 0; i < b.length; i++) {
            b[i] = s.charAt(i) == '1';
        }
        return b;
    }

    @Test
    void strictRuleOnHandPickedMaps() {
        List<boolean[]> truth = List.of(
                cols("0110"), // exact → TP
                cols("0110"), // misses column 2 → FN
                cols("0110"), // extra column 3 → FN
                cols("0110"), // nothing predicted → FN
                cols("0000"), // nothing predicted → TN
                cols("0000"), // one flag → FP
                cols("0000")); // all flagged → FP
        List<boolean[]> pred = List.of(
                cols("0110"),
                cols("0100"),
                cols("0111"),
                cols("0000"),
                cols("0000"),
                cols("1000"),
                cols("1111"));
        assertEquals(new DetectionMetrics(1, 2, 1, 3), DetectionMetrics.strict(pred, truth));
    }

    @Test
    void strictAcceptsNonRandomAccessLists() {
        var pred = new LinkedList<boolean[]>(List.of(cols("10"), cols("00")));
        var truth = new LinkedList<boolean[]>(List.of(cols("10"), cols("00")));
        assertEquals(new DetectionMetrics(1, 0, 1, 0), DetectionMetrics.strict(pred, truth));
    }

    @Test
    void ratesFromCounts() {
        var d = new DetectionMetrics(8, 2, 18, 2);
        assertEquals(0.8, d.precision(), 1e-12);
        assertEquals(0.8, d.recall(), 1e-12);
        assertEquals(0.8, d.f1(), 1e-12);
        assertEquals(0.1, d.fpr(), 1e-12);
        assertEquals(0.2, d.fnr(), 1e-12);

        var e = new DetectionMetrics(3, 1, 0, 0);
        assertEquals(0.75, e.precision(), 1e-12);
        assertEquals(1.0, e.recall(), 1e-12);
        assertEquals(2 * 0.75 / 1.75, e.f1(), 1e-12);
    }

    @Test
    void zeroDenominatorsGiveZero() {
        var none = new DetectionMetrics(0, 0, 0, 0);
        assertEquals(0.0, none.precision());
        assertEquals(0.0, none.recall());
        assertEquals(0.0, none.f1());
        assertEquals(0.0, none.fpr());
        assertEquals(0.0, none.fnr());
        var onlyFn = new DetectionMetrics(0, 0, 5, 4);
        assertEquals(0.0, onlyFn.precision());
        assertEquals(0.0, onlyFn.f1());
        assertEquals(1.0, onlyFn.fnr());
    }

    @Test
    void negativeCountsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> new DetectionMetrics(1, -1, 0, 0));
        assertTrue(e.getMessage().contains("non-negative"), e.getMessage());
    }

    @Test
    void toStringHasThreeDecimals() {
        assertEquals("P=0.800 R=0.800 F1=0.800 FPR=0.100 FNR=0.200 (tp=8 fp=2 tn=18 fn=2)",
                new DetectionMetrics(8, 2, 18, 2).toString());
        assertTrue(new DetectionMetrics(1, 2, 0, 0).toString().startsWith("P=0.333 "));
    }

    @Test
    void strictOnProbabilitiesFlagsStrictlyAboveTau() {
        float[][] p = {
            {0.05f, 0.9f, 0.2f},  // truth {1} with τ=0.1: col 2 (0.2) is a false alarm → FN
            {0.05f, 0.9f, 0.1f},  // 0.1f > 0.1? 0.1f ≈ 0.10000000149 > 0.1 → flagged → FN
            {0.05f, 0.9f, 0.0f},  // exact → TP
            {0.0f, 0.05f, 0.1f},  // clean, 0.1f > 0.1 → FP
            {0.0f, 0.05f, 0.09f}, // clean, nothing above τ → TN
        };
        boolean[][] t = {cols("010"), cols("010"), cols("010"), cols("000"), cols("000")};
        assertEquals(new DetectionMetrics(1, 1, 1, 2), DetectionMetrics.strict(p, t, 0.1));
        // At τ = 0.5 every map's flags equal its truth: 3 TP, 2 TN.
        assertEquals(new DetectionMetrics(3, 0, 2, 0), DetectionMetrics.strict(p, t, 0.5));
    }

    @Test
    void probabilityEqualToTauIsNotFlagged() {
        float[][] p = {{0.5f, 0.25f}};
        boolean[][] t = {cols("10")};
        // 0.5f == 0.5 exactly: not > τ → anomalous column missed → FN.
        assertEquals(new DetectionMetrics(0, 0, 0, 1), DetectionMetrics.strict(p, t, 0.5));
        assertEquals(new DetectionMetrics(1, 0, 0, 0), DetectionMetrics.strict(p, t, 0.3));
    }

    @Test
    void columnLevelCountsEveryCell() {
        float[][] p = {
            {0.3f, 0.8f, 0.1f}, // truth {1, 2} at τ 0.2: col 0 false alarm, col 1 found, col 2 missed
            {0.25f, 0.1f, 0.1f}, // clean: col 0 false alarm
        };
        boolean[][] t = {cols("011"), cols("000")};
        assertEquals(new DetectionMetrics(1, 2, 2, 1), DetectionMetrics.columnLevel(p, t, 0.2));
        // The strict rule gives nothing here: map 0 is never exactly right.
        assertEquals(new DetectionMetrics(0, 1, 0, 1), DetectionMetrics.strict(p, t, 0.2));
        assertEquals(new DetectionMetrics(1, 0, 4, 1), DetectionMetrics.columnLevel(p, t, 0.35));
        var e = assertThrows(IllegalArgumentException.class,
                () -> DetectionMetrics.columnLevel(new float[][] {{Float.NaN}}, new boolean[][] {cols("1")}, 0.5));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DetectionMetrics.columnLevel(p, t, 1.0));
        assertTrue(e.getMessage().contains("τ"), e.getMessage());
    }

    @Test
    void rejectsNanAndBadTau() {
        boolean[][] t = {cols("01")};
        var e = assertThrows(IllegalArgumentException.class,
                () -> DetectionMetrics.strict(new float[][] {{0.1f, Float.NaN}}, t, 0.1));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        assertTrue(e.getMessage().contains("map 0, column 1"), e.getMessage());
        for (double tau : new double[] {0, 1, -0.1, 1.5, Double.NaN}) {
            e = assertThrows(IllegalArgumentException.class,
                    () -> DetectionMetrics.strict(new float[][] {{0.1f, 0.2f}}, t, tau));
            assertTrue(e.getMessage().contains("τ"), e.getMessage());
        }
    }

    @Test
    void rejectsMismatchedAndEmptyInput() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> DetectionMetrics.strict(List.of(cols("01")), List.of(cols("01"), cols("00"))));
        assertTrue(e.getMessage().contains("length mismatch"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DetectionMetrics.strict(List.of(cols("01")), List.of(cols("011"))));
        assertTrue(e.getMessage().contains("map 0") && e.getMessage().contains("columns"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DetectionMetrics.strict(List.of(), List.of()));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DetectionMetrics.strict(new float[][] {{0.1f}}, new boolean[][] {cols("01")}, 0.1));
        assertTrue(e.getMessage().contains("length mismatch in map 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DetectionMetrics.strict(new float[0][], new boolean[0][], 0.1));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DetectionMetrics.strict(new float[][] {{0.1f}, {0.2f}}, new boolean[][] {cols("1")}, 0.1));
        assertTrue(e.getMessage().contains("probabilities has 2 maps but truth has 1"), e.getMessage());
    }
}
