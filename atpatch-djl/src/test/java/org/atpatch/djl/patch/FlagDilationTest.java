package org.atpatch.djl.patch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.stream.IntStream;
import org.atpatch.core.BenignStatistics;
import org.atpatch.core.FeatureTokenLayout;
import org.atpatch.core.ImagePatchLayout;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** Widening the flagged columns to their patch-grid neighbours: which columns, and what the patched model does. */
class FlagDilationTest {

    static {
        org.atpatch.detector.DjlOffline.configure();
    }

    /** 8 × 8 images, patch 2: CLS then a 4 × 4 grid, N = 17 (the fixtures' tiny ViT). */
    private static final ImagePatchLayout GRID = new ImagePatchLayout(8, 8, 2, true);

    private static boolean[] dilate(int radius, int... flagged) {
        try (NDManager m = NDManager.newBaseManager()) {
            boolean[] f = new boolean[GRID.size()];
            for (int c : flagged) {
                f[c] = true;
            }
            NDArray in = m.create(f, new Shape(1, f.length));
            return FlagDilation.of(radius, GRID).apply(in).toBooleanArray();
        }
    }

    private static int[] on(boolean[] f) {
        return IntStream.range(0, f.length).filter(i -> f[i]).toArray();
    }

    private static int col(int row, int col) {
        return 1 + row * 4 + col;
    }

    @Test
    void widensAFlaggedPatchToItsGridNeighbourhoodAndNothingElse() {
        // Grid cell (1, 1): the 3 × 3 block from (0, 0) to (2, 2).
        assertArrayEquals(new int[] {col(0, 0), col(0, 1), col(0, 2), col(1, 0), col(1, 1), col(1, 2), col(2, 0), col(2, 1),
                col(2, 2)}, on(dilate(1, col(1, 1))));
        // A corner keeps to the grid: (0, 0) widens to the 2 × 2 block, never across the row's end to (0, 3)'s
        // neighbours or into the CLS column.
        assertArrayEquals(new int[] {col(0, 0), col(0, 1), col(1, 0), col(1, 1)}, on(dilate(1, col(0, 0))));
        assertArrayEquals(new int[] {col(0, 2), col(0, 3), col(1, 2), col(1, 3)}, on(dilate(1, col(0, 3))));
        assertEquals(16, on(dilate(3, col(2, 2))).length, "radius 3 covers the whole 4 × 4 grid");
        assertArrayEquals(new int[0], on(dilate(1)), "nothing flagged stays nothing flagged");
        assertArrayEquals(new int[] {0}, on(dilate(2, 0)), "a flagged CLS column stays as it was, alone");
    }

    @Test
    void refusesWhatItCannotWiden() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FlagDilation.of(0, GRID));
        assertTrue(e.getMessage().contains(">= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FlagDilation.of(1, new FeatureTokenLayout(List.of("age", "sex"), true)));
        assertTrue(e.getMessage().contains("patch grid"), e.getMessage());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray wrong = m.create(new boolean[10], new Shape(1, 10));
            e = assertThrows(IllegalArgumentException.class, () -> FlagDilation.of(1, GRID).apply(wrong));
            assertTrue(e.getMessage().contains("N = 10"), e.getMessage());
        }
    }

    @Test
    void aDilatedPatchedModelPatchesTheNeighbourhoodAndLeavesUnflaggedSamplesBitwiseAlone() {
        try (Model model = Fixtures.vitModel(); NDManager m = NDManager.newBaseManager()) {
            BenignStatistics benign = Fixtures.benign(model, m);
            NDArray x = Fixtures.images(m, 3, 9);
            int[] block = on(dilate(1, col(1, 1)));
            // Sample 0 flags one patch, sample 1 nothing, sample 2 the CLS column only (never flaggable).
            int[][] flagged = {{col(1, 1)}, {}, {0}};
            int[][] widened = {block, {}, {0}};
            try (PatchedModel dilated = PatchedModel.builder().setModel(model).setDetector(Fixtures.scripted(flagged))
                            .setBenignStatistics(benign).optTau(0.5).optPatchRule(PatchRules.tokenStateAndGamma())
                            .optFlagDilation(1).build();
                    PatchedModel explicit = PatchedModel.builder().setModel(model).setDetector(Fixtures.scripted(widened))
                            .setBenignStatistics(benign).optTau(0.5).optPatchRule(PatchRules.tokenStateAndGamma()).build();
                    PatchedModel plain = PatchedModel.builder().setModel(model).setDetector(Fixtures.scripted(flagged))
                            .setBenignStatistics(benign).optTau(0.5).optPatchRule(PatchRules.tokenStateAndGamma()).build()) {
                float[] a = dilated.predict(x).toFloatArray();
                float[] b = explicit.predict(x).toFloatArray();
                float[] c = plain.predict(x).toFloatArray();
                assertArrayEquals(b, a, 0f, "dilation 1 patches exactly the 3 × 3 neighbourhood");
                int k = a.length / 3;
                boolean differs = false;
                for (int i = 0; i < k; i++) {
                    differs |= a[i] != c[i];
                }
                assertTrue(differs, "the widened patch changes sample 0's logits against the single column's");
                float[] o = model.getBlock().forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow()
                        .toFloatArray();
                for (int i = k; i < 3 * k; i++) {
                    assertEquals(o[i], a[i], 0f, "samples 1 and 2 have nothing flaggable: bitwise the unpatched output");
                }
                PatchResult r = dilated.predictWithReport(x);
                assertArrayEquals(new int[] {col(1, 1)}, r.reports().get(0).flags().union(),
                        "reports show what the detector flagged, not the widened columns");
            }
        }
    }
}
