package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.atpatch.core.ImagePatchLayout;
import org.junit.jupiter.api.Test;

class OverlapRuleTest {

    /** 8×8 image, 4×4 patches: CLS + 4 patch columns (1 top-left, 2 top-right, 3 bottom-left, 4 bottom-right). */
    private static final ImagePatchLayout LAYOUT = new ImagePatchLayout(8, 8, 4, true);

    /** A 3×3 block of value v at rows/cols 3–5: 1 pixel in column 1, 2 in columns 2 and 3, 4 in column 4. */
    private static float[] straddling(float v) {
        float[] m = new float[64];
        for (int r = 3; r <= 5; r++) {
            for (int c = 3; c <= 5; c++) {
                m[r * 8 + c] = v;
            }
        }
        return m;
    }

    @Test
    void defaultRuleLabelsTokensHoldingATenthOfTheMass() {
        assertEquals(OverlapRule.massShareAtLeast(0.1), OverlapRule.defaultRule());
        // shares 1/9, 2/9, 2/9, 4/9: all at least 10 %, whatever the mask's scale
        assertArrayEquals(new boolean[] {false, true, true, true, true},
                TriggerLabelling.columns(straddling(0.9f), LAYOUT, OverlapRule.defaultRule()));
        assertArrayEquals(new boolean[] {false, true, true, true, true},
                TriggerLabelling.columns(straddling(0.05f), LAYOUT, OverlapRule.defaultRule()));
        // a faint floor everywhere does not make every column anomalous
        float[] m = straddling(0f);
        java.util.Arrays.fill(m, 0.001f);
        m[63] = 0.9f;
        assertArrayEquals(new boolean[] {false, false, false, false, true},
                TriggerLabelling.columns(m, LAYOUT, OverlapRule.defaultRule()));
    }

    @Test
    void strongPixelRule() {
        assertArrayEquals(new boolean[] {false, true, true, true, true},
                TriggerLabelling.columns(straddling(0.9f), LAYOUT, OverlapRule.pixelsAbove(0.5, 1)));
        assertArrayEquals(new boolean[5], TriggerLabelling.columns(straddling(0.4f), LAYOUT, OverlapRule.pixelsAbove(0.5, 1)));
    }

    @Test
    void minimumPixelCount() {
        boolean[] cols = TriggerLabelling.columns(straddling(1f), LAYOUT, OverlapRule.pixelsAbove(0.5, 2));
        assertArrayEquals(new boolean[] {false, false, true, true, true}, cols);
    }

    @Test
    void meanOverTheRegion() {
        // column 4 holds 4 of its 16 pixels at 1: mean 0.25; the others 2/16 and 1/16
        assertArrayEquals(new boolean[] {false, false, false, false, true},
                TriggerLabelling.columns(straddling(1f), LAYOUT, OverlapRule.meanAtLeast(0.25)));
        assertArrayEquals(new boolean[] {false, false, true, true, true},
                TriggerLabelling.columns(straddling(1f), LAYOUT, OverlapRule.meanAtLeast(0.125)));
    }

    @Test
    void shareOfTheMaskMass() {
        // shares 1/9, 2/9, 2/9, 4/9
        assertArrayEquals(new boolean[] {false, false, false, false, true},
                TriggerLabelling.columns(straddling(0.3f), LAYOUT, OverlapRule.massShareAtLeast(0.4)));
        assertArrayEquals(new boolean[] {false, true, true, true, true},
                TriggerLabelling.columns(straddling(0.3f), LAYOUT, OverlapRule.massShareAtLeast(0.1)));
        assertArrayEquals(new boolean[5], TriggerLabelling.columns(new float[64], LAYOUT, OverlapRule.massShareAtLeast(0.1)));
    }

    @Test
    void clsIsNeverLabelledEvenWhenTheWholeImageIsMasked() {
        float[] all = new float[64];
        java.util.Arrays.fill(all, 1f);
        boolean[] cols = TriggerLabelling.columns(all, LAYOUT, OverlapRule.defaultRule());
        assertFalse(cols[0]);
        for (int j = 1; j < 5; j++) {
            assertTrue(cols[j]);
        }
        boolean[] noCls = TriggerLabelling.columns(all, new ImagePatchLayout(8, 8, 4, false), OverlapRule.defaultRule());
        assertArrayEquals(new boolean[] {true, true, true, true}, noCls);
    }

    @Test
    void fallsBackToTheStrongestColumnWhenTheRuleLabelsNothing() {
        float[] weak = straddling(0.2f);
        assertEquals(4, TriggerLabelling.strongestColumn(weak, LAYOUT));
        assertArrayEquals(new boolean[] {false, false, false, false, true},
                TriggerLabelling.columnsOrStrongest(weak, LAYOUT, OverlapRule.pixelsAbove(0.5, 1)));
        assertArrayEquals(new boolean[] {false, true, true, true, true},
                TriggerLabelling.columnsOrStrongest(weak, LAYOUT, OverlapRule.defaultRule()));
    }

    @Test
    void rejectsBadRulesAndShapes() {
        assertThrows(IllegalArgumentException.class, () -> OverlapRule.pixelsAbove(0, 1));
        assertThrows(IllegalArgumentException.class, () -> OverlapRule.pixelsAbove(0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> OverlapRule.meanAtLeast(1.5));
        assertThrows(IllegalArgumentException.class, () -> OverlapRule.massShareAtLeast(Double.NaN));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TriggerLabelling.columns(new float[63], LAYOUT, OverlapRule.defaultRule()));
        assertTrue(e.getMessage().contains("63") && e.getMessage().contains("8x8"), e.getMessage());
    }
}
