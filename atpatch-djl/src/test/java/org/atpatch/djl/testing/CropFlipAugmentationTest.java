package org.atpatch.djl.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link CropFlipAugmentation}: the batched gather equals a pixel-by-pixel crop and mirror. */
class CropFlipAugmentationTest {

    private static final int B = 3;
    private static final int C = 2;
    private static final int H = 5;
    private static final int W = 6;

    @Test
    void eachImageIsItsOwnPaddedCropAndMirror() {
        CropFlipAugmentation a = CropFlipAugmentation.of(2, true);
        int[] dy = {0, 4, 2};
        int[] dx = {3, 0, 4};
        boolean[] mirror = {false, true, true};
        float[] in = values();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = a.apply(m.create(in, new Shape(B, C, H, W)), dy, dx, mirror);
            assertEquals(new Shape(B, C, H, W), out.getShape());
            assertArrayEquals(reference(in, 2, dy, dx, mirror), out.toFloatArray(), 0f);
        }
    }

    @Test
    void withoutFlipTheMirrorFlagsAreIgnored() {
        CropFlipAugmentation a = CropFlipAugmentation.of(1, false);
        int[] dy = {1, 0, 2};
        int[] dx = {2, 1, 0};
        float[] in = values();
        try (NDManager m = NDManager.newBaseManager()) {
            float[] out = a.apply(m.create(in, new Shape(B, C, H, W)), dy, dx, new boolean[] {true, true, true}).toFloatArray();
            assertArrayEquals(reference(in, 1, dy, dx, new boolean[B]), out, 0f);
        }
    }

    @Test
    void centredOffsetsWithoutMirrorGiveTheImagesBack() {
        float[] in = values();
        int[] centre = {3, 3, 3};
        try (NDManager m = NDManager.newBaseManager()) {
            float[] out = CropFlipAugmentation.of(3, true).apply(m.create(in, new Shape(B, C, H, W)), centre, centre,
                    new boolean[B]).toFloatArray();
            assertArrayEquals(in, out, 0f);
        }
    }

    @Test
    void randomDrawsFollowTheSeedAndMoveTheImages() {
        float[] in = values();
        CropFlipAugmentation a = CropFlipAugmentation.of(2, true);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(in, new Shape(B, C, H, W));
            float[] first = a.apply(x, new Random(5)).toFloatArray();
            float[] again = a.apply(x, new Random(5)).toFloatArray();
            assertArrayEquals(first, again, 0f, "same seed, same batch");
            assertFalse(Arrays.equals(in, first), "the draws moved or mirrored the images");
        }
    }

    @Test
    void badArgumentsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CropFlipAugmentation.of(-1, true)).getMessage()
                .contains("padding"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CropFlipAugmentation.of(0, false)).getMessage()
                .contains("must do something"));
        CropFlipAugmentation a = CropFlipAugmentation.of(2, true);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.zeros(new Shape(B, C, H, W));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> a.apply(m.zeros(new Shape(C, H, W)), new Random(1)))
                    .getMessage().contains("(B, C, H, W)"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> a.apply(x, new int[2], new int[B], new boolean[B]))
                    .getMessage().contains("batch 3"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> a.apply(x, new int[] {0, 5, 0}, new int[B],
                    new boolean[B])).getMessage().contains("row offset of image 1 is 5"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> a.apply(x, new int[B], new int[] {0, 0, -1},
                    new boolean[B])).getMessage().contains("column offset of image 2 is -1"));
        }
    }

    private static float[] values() {
        float[] v = new float[B * C * H * W];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 1;
        }
        return v;
    }

    /** Pads with zeros, crops at (dy, dx), then mirrors: pixel by pixel. */
    private static float[] reference(float[] in, int pad, int[] dy, int[] dx, boolean[] mirror) {
        int ph = H + 2 * pad;
        int pw = W + 2 * pad;
        float[] out = new float[in.length];
        for (int b = 0; b < B; b++) {
            for (int c = 0; c < C; c++) {
                float[][] padded = new float[ph][pw];
                for (int r = 0; r < H; r++) {
                    for (int col = 0; col < W; col++) {
                        padded[r + pad][col + pad] = in[((b * C + c) * H + r) * W + col];
                    }
                }
                for (int r = 0; r < H; r++) {
                    for (int col = 0; col < W; col++) {
                        float v = padded[r + dy[b]][dx[b] + col];
                        int target = mirror[b] ? W - 1 - col : col;
                        out[((b * C + c) * H + r) * W + target] = v;
                    }
                }
            }
        }
        return out;
    }
}
