package org.atpatch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link ImageTokenLayout#translationStep()}: patch grids, checked region layouts, and bad steps named. */
class ImageLayoutTranslationTest {

    /** Receptive fields {@code [stride·i − reach, stride·i + end)} per grid index, clipped to the image. */
    private static int[][] spans(int side, int stride, int reach, int end, int size) {
        int[][] regions = new int[side * side][];
        for (int r = 0; r < side; r++) {
            for (int c = 0; c < side; c++) {
                regions[r * side + c] = new int[] {Math.max(0, stride * r - reach), Math.max(0, stride * c - reach),
                    Math.min(size, stride * r + end), Math.min(size, stride * c + end)};
            }
        }
        return regions;
    }

    @Test
    void patchGridStepIsThePatch() {
        assertEquals(4, new ImagePatchLayout(28, 28, 4, true).translationStep());
        assertEquals(2, new ImagePatchLayout(28, 28, 2, false).translationStep());
    }

    @Test
    void regionLayoutKeepsACheckedStep() {
        // T2T-ViT's CIFAR splits (k7 s4 p2, then k3 s1 p1): grid index i reads pixels [4i - 6, 4i + 8].
        int[][] regions = spans(8, 4, 6, 9, 32);
        assertEquals(4, new ImageRegionLayout(32, 32, 8, 8, regions, true, 4, "soft splits").translationStep());
        assertEquals(0, new ImageRegionLayout(32, 32, 8, 8, regions, true, 0, "no step claimed").translationStep());
    }

    @Test
    void aStepTheRegionsDoNotFollowIsNamed() {
        int[][] regions = spans(8, 4, 6, 9, 32);
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> new ImageRegionLayout(32, 32, 8, 8, regions, true, 3, "soft splits"));
        assertTrue(wrong.getMessage().contains("translation step 3 does not move token r0 c2"), wrong.getMessage());
        // One interior region out of place breaks the step too.
        int[][] moved = spans(8, 4, 6, 9, 32);
        moved[3 * 8 + 4] = new int[] {6, 11, 21, 25};
        IllegalArgumentException off = assertThrows(IllegalArgumentException.class,
                () -> new ImageRegionLayout(32, 32, 8, 8, moved, true, 4, "soft splits"));
        assertTrue(off.getMessage().contains("token r3 c4"), off.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> new ImageRegionLayout(32, 32, 8, 8, regions, true, -4, "soft splits"));
        assertTrue(negative.getMessage().contains(">= 0"), negative.getMessage());
    }
}
