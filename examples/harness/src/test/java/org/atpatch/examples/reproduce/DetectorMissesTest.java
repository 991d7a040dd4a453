package org.atpatch.examples.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.atpatch.core.DetectionMetrics;
import org.atpatch.detector.DetectorTrainingData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DetectorMissesTest {

    private static final float[] MAP = new float[9];
    private static final boolean[] COL1 = {false, true, false};
    private static final boolean[] COLS12 = {false, true, true};
    private static final boolean[] NONE = {false, false, false};

    /** Six maps over two layers; the last two are triggered maps whose labels the ratio dropped. */
    private static DetectorTrainingData maps(boolean everyLayer) {
        return DetectorTrainingData.builder().optLayers(2)
                .addMap(MAP, 0, COL1, -1) // exact: tp
                .addMap(MAP, 0, COL1, -1) // column 1 missed
                .addMap(MAP, 0, COLS12, -1) // both caught, column 0 extra
                .addMap(MAP, 0, NONE, -1) // clean input, quiet: tn
                .addMap(MAP, 1, NONE, -1) // clean input, alarm: fp
                .addMap(MAP, 1, COL1, -1) // column 1 at exactly τ: missed, and column 2 extra
                .addMap(MAP, 1, everyLayer ? COL1 : NONE, -1) // unconfirmed, flagged
                .addMap(MAP, 0, everyLayer ? COL1 : NONE, -1) // unconfirmed, quiet
                .build();
    }

    private static final float[][] P = {
        {0.1f, 0.9f, 0.2f},
        {0.1f, 0.2f, 0.2f},
        {0.6f, 0.9f, 0.9f},
        {0.1f, 0.5f, 0.3f},
        {0.1f, 0.1f, 0.7f},
        {0.1f, 0.5f, 0.8f},
        {0.1f, 0.9f, 0.1f},
        {0.1f, 0.1f, 0.1f},
    };

    @Test
    void errorsAreSplitByLayerAndKind(@TempDir Path dir) throws IOException {
        DetectorMisses.byLayer(maps(false), maps(true), P, 0.5).writeCsv(dir.resolve("layers.csv"));
        assertEquals(List.of("layer,over_attention_maps,tp,fn_missed_labelled,fn_extra_only,labelled_columns_per_map,"
                        + "clean_input_maps,fp_clean_input,unconfirmed_triggered_maps,flagged_unconfirmed",
                "0,3,1,1,1,1.3333,1,0,1,0",
                "1,1,0,1,0,1.0000,1,1,1,1"), Files.readAllLines(dir.resolve("layers.csv")));
        // Without the every-layer labelling the unconfirmed maps count as clean-input maps.
        DetectorMisses.byLayer(maps(false), null, P, 0.5).writeCsv(dir.resolve("plain.csv"));
        assertEquals(List.of("0,3,1,1,1,1.3333,2,0,0,0", "1,1,0,1,0,1.0000,2,2,0,0"),
                Files.readAllLines(dir.resolve("plain.csv")).subList(1, 3));
    }

    @Test
    void leavingTheUnconfirmedMapsOutScoresOverAttentionAgainstCleanInputMaps() {
        DetectorMisses.Scored s = DetectorMisses.withoutUnconfirmed(maps(false), maps(true), P, 0.5);
        assertEquals(2, s.leftOut());
        assertEquals(new DetectionMetrics(1, 1, 1, 3), s.metrics());
        // Counted as clean, as Table 4 does, the flagged unconfirmed map is one more false positive.
        assertEquals(new DetectionMetrics(1, 2, 2, 3), DetectionMetrics.strict(P, maps(false).labelMatrix(), 0.5));
    }

    @Test
    void labellingsOfDifferentSetsAreRefused() {
        DetectorTrainingData one = DetectorTrainingData.builder().addMap(MAP, 0, COL1, -1).build();
        DetectorTrainingData other = DetectorTrainingData.builder().addMap(MAP, 0, NONE, -1).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DetectorMisses.withoutUnconfirmed(one, other, new float[1][3], 0.5));
        assertTrue(e.getMessage().contains("not the same evaluation set"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DetectorMisses.byLayer(one, null, new float[2][3], 0.5));
        assertEquals("probabilities hold 2 maps, the data 1", e.getMessage());
        DetectorTrainingData two = DetectorTrainingData.builder().addMap(MAP, 0, COL1, -1).addMap(MAP, 0, COL1, -1).build();
        e = assertThrows(IllegalArgumentException.class, () -> DetectorMisses.withoutUnconfirmed(one, two,
                new float[1][3], 0.5));
        assertTrue(e.getMessage().contains("holds 2 maps"), e.getMessage());
    }
}
