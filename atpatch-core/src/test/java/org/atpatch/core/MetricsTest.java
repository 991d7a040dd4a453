package org.atpatch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MetricsTest {

    @Test
    void accuracyCountsMatches() {
        assertEquals(0.75, Metrics.accuracy(new int[] {1, 2, 3, 4}, new int[] {1, 2, 3, 0}), 0);
        assertEquals(1.0, Metrics.accuracy(new int[] {7}, new int[] {7}), 0);
        assertEquals(0.0, Metrics.accuracy(new int[] {1, 1}, new int[] {0, 2}), 0);
    }

    @Test
    void accuracyRejectsMismatchedAndEmpty() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Metrics.accuracy(new int[] {1, 2}, new int[] {1}));
        assertTrue(e.getMessage().contains("length mismatch"), e.getMessage());
        assertTrue(e.getMessage().contains("2") && e.getMessage().contains("1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Metrics.accuracy(new int[0], new int[0]));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void asrExcludesInputsWhoseTrueLabelIsTheTarget() {
        int target = 0;
        // Inputs 0 and 1 are truly class 0: excluded whatever they are predicted as.
        int[] truth = {0, 0, 1, 2, 3, 4};
        int[] pred = {0, 5, 0, 0, 3, 0};
        // Eligible: indices 2..5 (4 inputs); hits on target: 2, 3, 5 → 3/4.
        assertEquals(0.75, Metrics.attackSuccessRate(pred, truth, target), 1e-12);
    }

    @Test
    void asrZeroWhenNoHit() {
        assertEquals(0.0, Metrics.attackSuccessRate(new int[] {1, 2}, new int[] {1, 2}, 0), 0);
    }

    @Test
    void asrUndefinedWhenEveryTrueLabelIsTarget() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Metrics.attackSuccessRate(new int[] {3, 3}, new int[] {3, 3}, 3));
        assertTrue(e.getMessage().contains("ASR is undefined"), e.getMessage());
        assertTrue(e.getMessage().contains("target label 3"), e.getMessage());
    }

    @Test
    void asrRejectsBadShapes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Metrics.attackSuccessRate(new int[] {1}, new int[] {1, 2}, 0));
        assertTrue(e.getMessage().contains("length mismatch"), e.getMessage());
        assertTrue(e.getMessage().contains("trueLabels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Metrics.attackSuccessRate(new int[0], new int[0], 0));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void unfairnessWithMultipleFlipsAndEmptyFlipSets() {
        int[] original = {1, 0, 1, 0, 1};
        int[][] flipped = {
            {1, 1, 1},   // all agree → fair
            {0, 1},      // second flip differs → unfair
            {},          // no flip → fair
            {2, 0, 0},   // first flip differs → unfair (counted once)
            {0, 0},      // both differ → unfair (counted once)
        };
        assertEquals(3.0 / 5, Metrics.unfairnessRate(original, flipped), 1e-12);
    }

    @Test
    void unfairnessRejectsBadInput() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Metrics.unfairnessRate(new int[] {1, 2}, new int[][] {{1}}));
        assertTrue(e.getMessage().contains("length mismatch"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Metrics.unfairnessRate(new int[0], new int[0][]));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Metrics.unfairnessRate(new int[] {1, 2}, new int[][] {{1}, null}));
        assertTrue(e.getMessage().contains("flipped[1] is null"), e.getMessage());
    }
}
