package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The piece test's pure parts; the end-to-end labelling is in {@link BackdoorDebuggingSetBuilderTest}. */
class TriggerPiecesTest {

    @Test
    void keepsThePiecesThatFireNearlyAsWellAsTheBest() {
        boolean[] columns = {false, true, true, true, true};
        double[] success = {0.9, 0.063, 0.508, 0.461, 0.758};
        assertArrayEquals(new boolean[] {false, false, true, true, true}, TriggerPieces.keep(columns, success, 0.5, 0.1));
        assertArrayEquals(new boolean[] {false, false, false, false, true}, TriggerPieces.keep(columns, success, 0.8, 0.1));
        // Unlabelled columns never come back, whatever their success.
        assertArrayEquals(new boolean[] {false, false, false, false, true}, TriggerPieces.keep(columns, success, 1.0, 0.1));
    }

    @Test
    void piecesThatFireOnlyTogetherKeepEveryLabel() {
        boolean[] columns = {true, true, false};
        assertArrayEquals(columns, TriggerPieces.keep(columns, new double[] {0.05, 0.01, 0}, 0.5, 0.1));
        assertArrayEquals(columns, TriggerPieces.keep(columns, new double[] {0, 0, 0}, 0.5, 0.1));
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException ratio = assertThrows(IllegalArgumentException.class,
                () -> TriggerPieces.keep(new boolean[2], new double[2], 0, 0.1));
        assertTrue(ratio.getMessage().contains("piece ratio"), ratio.getMessage());
        IllegalArgumentException length = assertThrows(IllegalArgumentException.class,
                () -> TriggerPieces.keep(new boolean[2], new double[3], 0.5, 0.1));
        assertTrue(length.getMessage().contains("2 labels but 3"), length.getMessage());
        IllegalArgumentException builder = assertThrows(IllegalArgumentException.class,
                () -> BackdoorDebuggingSetBuilder.of(PlantedBackdoor.get().model, PlantedBackdoor.get().test).optPieceRatio(1.5));
        assertTrue(builder.getMessage().contains("piece ratio"), builder.getMessage());
    }

    @Test
    void aPieceKeepsTheMaskInsideItsRegionOnly() {
        Shape shape = new Shape(1, 4, 4);
        float[] mask = new float[16];
        Arrays.fill(mask, 0.5f);
        float[] pattern = new float[16];
        Arrays.fill(pattern, 1f);
        Trigger piece = TriggerPieces.piece(Trigger.of(3, mask, pattern, shape), new int[] {2, 0, 4, 2});
        float[] m = piece.mask();
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                assertEquals(r >= 2 && c < 2 ? 0.5f : 0f, m[r * 4 + c], 0f, "pixel " + r + "," + c);
            }
        }
        assertEquals(3, piece.target());
        assertArrayEquals(pattern, piece.pattern(), 0f);
    }
}
