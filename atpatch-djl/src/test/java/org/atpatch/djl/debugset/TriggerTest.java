package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import org.atpatch.djl.LabelledData;
import org.junit.jupiter.api.Test;

class TriggerTest {

    private static final Shape RGB = new Shape(3, 4, 4);

    @Test
    void stampsTheMaskBroadcastOverChannels() {
        float[] mask = new float[16];
        mask[5] = 1f;
        mask[6] = 0.5f;
        float[] pattern = new float[48];
        java.util.Arrays.fill(pattern, 0.8f);
        Trigger t = Trigger.of(1, mask, pattern, RGB);
        float[] x = new float[48];
        java.util.Arrays.fill(x, 0.2f);
        float[] y = t.apply(x);
        for (int ch = 0; ch < 3; ch++) {
            assertEquals(0.8f, y[ch * 16 + 5], 1e-6);
            assertEquals(0.5f, y[ch * 16 + 6], 1e-6); // (1 − 0.5)·0.2 + 0.5·0.8
            assertEquals(0.2f, y[ch * 16 + 7], 1e-6);
        }
        assertEquals(1.5, t.maskL1(), 1e-9);
    }

    @Test
    void squareTrigger() {
        Trigger t = Trigger.square(2, 1, 2, 2, 1f, new Shape(1, 4, 4));
        float[] expected = new float[16];
        expected[6] = expected[7] = expected[10] = expected[11] = 1f;
        assertArrayEquals(expected, t.mask());
        assertArrayEquals(expected, t.pattern());
        assertEquals(2, t.target());
        assertThrows(IllegalArgumentException.class, () -> Trigger.square(0, 3, 3, 2, 1f, new Shape(1, 4, 4)));
    }

    @Test
    void shiftsMaskAndPatternTogetherAndRefusesToLeaveTheImage() {
        float[] mask = new float[16];
        mask[5] = 1f; // row 1, col 1
        mask[6] = 0.3f; // below half the peak: not part of the bounds
        float[] pattern = new float[48];
        for (int ch = 0; ch < 3; ch++) {
            pattern[ch * 16 + 5] = 0.1f * (ch + 1);
        }
        Trigger t = Trigger.of(4, mask, pattern, RGB);
        assertArrayEquals(new int[] {1, 1, 1, 1}, t.maskBounds());
        Trigger moved = t.shifted(2, -1); // to row 3, col 0
        assertEquals(1f, moved.mask()[12]);
        assertEquals(0f, moved.mask()[5]);
        for (int ch = 0; ch < 3; ch++) {
            assertEquals(0.1f * (ch + 1), moved.pattern()[ch * 16 + 12], 1e-7);
        }
        assertEquals(4, moved.target());
        assertEquals(t, t.shifted(0, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.shifted(3, 0));
        assertTrue(e.getMessage().contains("out of the 4x4 image"), e.getMessage());
        assertArrayEquals(new int[] {-1, -1, -1, -1}, Trigger.of(0, new float[16], new float[48], RGB).maskBounds());
    }

    @Test
    void appliesToLabelledDataKeepingLabels() {
        Trigger t = Trigger.square(0, 0, 0, 1, 1f, new Shape(1, 2, 2));
        LabelledData d = new LabelledData(new float[8], new int[] {3, 4}, new Shape(1, 2, 2));
        LabelledData s = t.apply(d);
        assertArrayEquals(new float[] {1, 0, 0, 0, 1, 0, 0, 0}, s.inputs());
        assertArrayEquals(new int[] {3, 4}, s.labels());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.apply(new LabelledData(new float[9], new int[] {1}, new Shape(1, 3, 3))));
        assertTrue(e.getMessage().contains("(1, 3, 3)"), e.getMessage());
    }

    @Test
    void isImmutable() {
        float[] mask = new float[16];
        Trigger t = Trigger.of(0, mask, new float[48], RGB);
        mask[0] = 1f;
        t.mask()[1] = 1f;
        assertEquals(0, t.maskL1(), 0);
    }

    @Test
    void rejectsMismatchedShapesAndValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Trigger.of(0, new float[48], new float[48], RGB));
        assertTrue(e.getMessage().contains("H × W = 16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Trigger.of(0, new float[16], new float[16], RGB));
        assertTrue(e.getMessage().contains("C × H × W = 48"), e.getMessage());
        float[] bad = new float[16];
        bad[3] = 1.5f;
        e = assertThrows(IllegalArgumentException.class, () -> Trigger.of(0, bad, new float[48], RGB));
        assertTrue(e.getMessage().contains("[0, 1]"), e.getMessage());
        float[] nan = new float[48];
        nan[0] = Float.NaN;
        assertThrows(IllegalArgumentException.class, () -> Trigger.of(0, new float[16], nan, RGB));
        assertThrows(IllegalArgumentException.class, () -> Trigger.of(0, new float[16], new float[16], new Shape(16)));
        assertThrows(IllegalArgumentException.class, () -> Trigger.of(-1, new float[16], new float[48], RGB));
        Trigger t = Trigger.of(0, new float[16], new float[48], RGB);
        assertThrows(IllegalArgumentException.class, () -> t.apply(new float[16]));
    }
}
