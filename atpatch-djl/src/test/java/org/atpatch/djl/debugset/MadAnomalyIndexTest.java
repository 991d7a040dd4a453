package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MadAnomalyIndexTest {

    @Test
    void smallOutlierIsFlaggedWithTheConsistencyConstant() {
        // sorted 1, 10, 11, 12, 13, 14: median 11.5; |deviations| sorted 0.5, 0.5, 1.5, 1.5, 2.5, 10.5: MAD 1.5
        MadAnomalyIndex m = MadAnomalyIndex.of(new double[] {10, 11, 12, 13, 14, 1});
        assertEquals(11.5, m.median(), 1e-12);
        assertEquals(1.5, m.mad(), 1e-12);
        assertEquals(10.5 / (1.4826 * 1.5), m.index(5), 1e-12);
        assertEquals(1.5 / (1.4826 * 1.5), m.index(0), 1e-12);
        assertArrayEquals(new int[] {5}, m.flagged(2.0));
        assertTrue(m.isFlagged(5, 2.0));
        assertFalse(m.isFlagged(5, 5.0));
    }

    @Test
    void largeOutlierIsNeverFlagged() {
        MadAnomalyIndex m = MadAnomalyIndex.of(new double[] {1, 2, 3, 4, 100});
        assertEquals(3, m.median(), 1e-12);
        assertEquals(1, m.mad(), 1e-12);
        assertEquals(97 / 1.4826, m.index(4), 1e-9);
        assertFalse(m.belowMedian(4));
        assertEquals(0, m.flagged(2.0).length, "an abnormally large trigger is not a backdoor sign");
    }

    @Test
    void flaggedAreOrderedBySmallestValue() {
        MadAnomalyIndex m = MadAnomalyIndex.of(new double[] {50, 2, 51, 52, 1, 49, 50, 53});
        assertArrayEquals(new int[] {4, 1}, m.flagged(2.0));
    }

    @Test
    void zeroMadGivesInfiniteIndexOffTheMedianOnly() {
        MadAnomalyIndex m = MadAnomalyIndex.of(new double[] {5, 5, 5, 1});
        assertEquals(0, m.mad(), 0);
        assertEquals(Double.POSITIVE_INFINITY, m.index(3));
        assertEquals(0, m.index(0));
        assertArrayEquals(new int[] {3}, m.flagged(2.0));
        assertEquals(0, MadAnomalyIndex.of(new double[] {4, 4, 4}).flagged(0).length);
        assertEquals(0, MadAnomalyIndex.of(new double[] {7}).index(0));
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> MadAnomalyIndex.of(new double[0]));
        assertThrows(IllegalArgumentException.class, () -> MadAnomalyIndex.of(null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MadAnomalyIndex.of(new double[] {1, Double.NaN}));
        assertTrue(e.getMessage().contains("value 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MadAnomalyIndex.of(new double[] {1, 2}).flagged(-1));
    }
}
