package org.atpatch.djl.model;

import static org.atpatch.djl.model.TabTransformerTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.atpatch.core.BenignStatistics;
import org.atpatch.core.ImageRegionLayout;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.model.internal.SoftSplit;
import org.junit.jupiter.api.Test;

class T2TViTTest {

    static {
        org.atpatch.detector.DjlOffline.configure();
    }

    /** 8 × 8 RGB, splits k3 s2 p1 (8 → 4) then k3 s1 p1 (4 → 4): 16 tokens + CLS. */
    private static T2TViT t2t() {
        return T2TViT.builder().setImageSize(8).addSoftSplit(3, 2, 1).addSoftSplit(3, 1, 1).optTokenWidth(8)
                .setDepth(2).setWidth(16).setHeads(2).setClasses(3).build();
    }

    @Test
    void layoutIsTheReceptiveFieldOfTheSoftSplits() {
        ImageRegionLayout layout = t2t().tokenLayout();
        assertEquals(17, layout.size());
        assertTrue(layout.isSpecial(0));
        // Token (0,0): rows [-1,1] at the 4×4 grid -> [-3,3] in pixels, clipped to [0,3].
        assertArrayEquals(new int[] {0, 0, 4, 4}, layout.region(1));
        // Token (1,1): [0,2] -> [-1,5] -> [0,5].
        assertArrayEquals(new int[] {0, 0, 6, 6}, layout.region(1 + 4 + 1));
        // Token (3,2): rows [2,4] -> [3,9] -> [3,7]; cols [1,3] -> [1,7].
        assertArrayEquals(new int[] {3, 1, 8, 8}, layout.region(1 + 3 * 4 + 2));
        assertEquals("token r3 c2 (rows 3-7, cols 1-7)", layout.describe(1 + 3 * 4 + 2));
        // Overlap: grid row r reads pixel rows [2r-3, 2r+3], so pixel (0,0) lies in the fields of
        // grid rows and cols 0-1 (4 tokens) and pixel (3,3) in all 16.
        assertArrayEquals(new int[] {1, 2, 5, 6}, layout.columnsCovering(0, 0));
        assertEquals(16, layout.columnsCovering(3, 3).length);
    }

    @Test
    void translationStepIsTheProductOfTheStrides() {
        assertEquals(2, t2t().tokenLayout().translationStep());
        // The CIFAR-10 victim's splits, k7 s4 p2 then k3 s1 p1 on 32 x 32: 4 pixels, checked by the layout on
        // the tokens the border does not clip (grid columns 2-5).
        ImageRegionLayout cifar = T2TViT.builder().setImageSize(32).optChannels(3).addSoftSplit(7, 4, 2)
                .addSoftSplit(3, 1, 1).optTokenWidth(8).setDepth(1).setWidth(16).setHeads(2).setClasses(10).build()
                .tokenLayout();
        assertEquals(4, cifar.translationStep());
        assertArrayEquals(new int[] {2, 10, 17, 25}, cifar.region(1 + 2 * 8 + 4));
        assertArrayEquals(new int[] {2, 14, 17, 29}, cifar.region(1 + 2 * 8 + 5));
    }

    @Test
    void triggerLabellingUsesTheOverlappingRegions() {
        float[] mask = new float[64];
        mask[0] = mask[1] = mask[8] = mask[9] = 1f; // a 2 × 2 trigger at the top-left corner
        boolean[] labels = org.atpatch.djl.debugset.TriggerLabelling.columns(mask, t2t().tokenLayout(),
                org.atpatch.djl.debugset.OverlapRule.defaultRule());
        boolean[] want = new boolean[17];
        // Grid row r reads pixel rows [2r-3, 2r+3]: rows (and cols) 0-2 of the grid hold the trigger.
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                want[1 + r * 4 + c] = true;
            }
        }
        assertArrayEquals(want, labels);
    }

    @Test
    void softSplitIsAnUnfoldWithZeroPadding() {
        try (NDManager m = NDManager.newBaseManager()) {
            int side = 5;
            int ch = 2;
            float[] grid = new float[side * side * ch];
            for (int i = 0; i < grid.length; i++) {
                grid[i] = i + 1;
            }
            SoftSplit split = new SoftSplit(3, 2, 1, side);
            assertEquals(3, split.outSide);
            float[] got = split.apply(m.create(grid, new Shape(1, side * side, ch))).toFloatArray();
            int i = 0;
            for (int oy = 0; oy < 3; oy++) {
                for (int ox = 0; ox < 3; ox++) {
                    for (int c = 0; c < ch; c++) {
                        for (int ky = 0; ky < 3; ky++) {
                            for (int kx = 0; kx < 3; kx++) {
                                int y = oy * 2 - 1 + ky;
                                int x = ox * 2 - 1 + kx;
                                float want = y < 0 || y >= side || x < 0 || x >= side ? 0 : grid[(y * side + x) * ch + c];
                                assertEquals(want, got[i++], 0f, "token " + oy + "," + ox + " channel " + c);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void recorderAndPatchedModel() {
        Engine.getInstance().setRandomSeed(11);
        try (Model model = Model.newInstance("t2t")) {
            T2TViT t = t2t();
            model.setBlock(t);
            t.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, 8, 8));
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDArray x = m.randomUniform(0, 1, new Shape(4, 3, 8, 8));
                BenignStatistics stats = FamilyChecks.recordAndCheck(model, x, t);
                FamilyChecks.patchedModelContract(model, x, stats, 6, 3);
                ParameterStore ps = new ParameterStore(m, false);
                assertMessage("(batch, 3, 8, 8)", () -> t.forward(ps, new NDList(m.zeros(new Shape(2, 1, 8, 8))), false));
            }
        }
    }

    /** Class c: a bright 2 × 2 square in horizontal band c (rows 0-1, 3-4 or 6-7), noise elsewhere. */
    static LabelledData bands(int n, int side, int channels) {
        java.util.Random r = new java.util.Random(9);
        float[] x = new float[n * channels * side * side];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            int row = y[i] * 3 * side / 8;
            int col = r.nextInt(side - 1);
            for (int c = 0; c < channels; c++) {
                int base = (i * channels + c) * side * side;
                for (int p = 0; p < side * side; p++) {
                    x[base + p] = 0.2f * r.nextFloat();
                }
                for (int dy = 0; dy < 2; dy++) {
                    for (int dx = 0; dx < 2; dx++) {
                        x[base + (row + dy) * side + col + dx] = 1f;
                    }
                }
            }
        }
        return new LabelledData(x, y, new Shape(channels, side, side));
    }

    @Test
    void trainsDeterministically() {
        FamilyChecks.trainsDeterministically(() -> {
            Engine.getInstance().setRandomSeed(21);
            Model model = Model.newInstance("t2t");
            T2TViT t = t2t();
            model.setBlock(t);
            t.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, 8, 8));
            return model;
        }, bands(72, 8, 3), 12, 0.9);
    }

    @Test
    void builderValidation() {
        assertMessage("padding in [0, kernel)", () -> T2TViT.builder().setImageSize(8).addSoftSplit(3, 2, 3)
                .setDepth(1).setWidth(8).setHeads(2).setClasses(2).build());
        assertMessage("does not fit", () -> T2TViT.builder().setImageSize(4).addSoftSplit(7, 4, 0)
                .setDepth(1).setWidth(8).setHeads(2).setClasses(2).build());
        assertMessage("image size", () -> T2TViT.builder().setDepth(1).setWidth(8).setHeads(2).setClasses(2).build());
        assertMessage("token width", () -> T2TViT.builder().setImageSize(8).optTokenWidth(0).setDepth(1).setWidth(8)
                .setHeads(2).setClasses(2).build());
        // The paper's default splits take 224 → 56 → 28 → 14.
        assertEquals(14 * 14 + 1, T2TViT.builder().setImageSize(224).setDepth(1).setWidth(8).setHeads(2).setClasses(2)
                .build().tokenLayout().size());
    }
}
