package org.atpatch.detector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.atpatch.core.AttentionTrace;
import org.atpatch.core.ColumnLabels;
import org.atpatch.core.LayerAttention;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/**
 * τ bounded by the share of clean inputs flagged ({@link TauSelection#targetCleanInputRate}), and the
 * input sides it reads from {@link DetectorTrainingData}.
 */
class CleanInputTauTest {

    private static final int PAIRS = 10;
    private static final int WINDOWS = 4;
    private static final int N = 3;

    /**
     * Ten pairs of a windowed model, four maps per input, clean input first. Each anomalous input's
     * first map has column 1 labelled: probability 0.605 in pairs 0–4, 0.255 in pairs 5–9. Clean inputs
     * 0–2 each have one false alarm, 0.355 on column 0 of their last map. Everything else is 0.005.
     *
     * <p>τ ≤ 0.25 finds all ten (F1 20/23) but flags 3 of the 10 clean inputs, with a map-level FPR of
     * 3/70; τ in [0.36, 0.60] finds five (F1 2/3) and flags none.
     */
    private static final class Windowed {
        final DetectorTrainingData data;
        final float[][] p;

        Windowed() {
            DetectorTrainingData.Builder b = DetectorTrainingData.builder();
            List<float[]> probs = new ArrayList<>();
            for (int pair = 0; pair < PAIRS; pair++) {
                for (int side = 0; side < 2; side++) {
                    for (int w = 0; w < WINDOWS; w++) {
                        boolean[] labels = new boolean[N];
                        float[] row = {0.005f, 0.005f, 0.005f};
                        if (side == 1 && w == 0) {
                            labels[1] = true;
                            row[1] = pair < 5 ? 0.605f : 0.255f;
                        }
                        if (side == 0 && pair < 3 && w == WINDOWS - 1) {
                            row[0] = 0.355f;
                        }
                        b.addMap(new float[N * N], w < 2 ? 0 : 1, labels, pair, side == 1);
                        probs.add(row);
                    }
                }
            }
            data = b.build();
            p = probs.toArray(new float[0][]);
        }
    }

    @Test
    void boundsTheShareOfCleanInputsWhereAMapLevelFprBoundDoesNotBind() {
        Windowed w = new Windowed();
        TauSelection.Choice best = TauSelection.maxF1().select(w.p, w.data);
        assertTrue(best.tau() <= 0.25, "max F1 finds all ten: " + best.tau());
        assertEquals(20.0 / 23, best.metrics().f1(), 1e-12);
        TauSelection.Choice perMap = TauSelection.targetFpr(0.05).select(w.p, w.data);
        assertEquals(best.tau(), perMap.tau(), "3 false maps of 70 pass a 5 % map-level bound");
        assertEquals(3.0 / 70, perMap.metrics().fpr(), 1e-12);

        TauSelection.Choice bounded = TauSelection.targetCleanInputRate(0.1).select(w.p, w.data);
        assertTrue(bounded.tau() >= 0.36 && bounded.tau() <= 0.60, "no clean input flagged: " + bounded.tau());
        assertEquals(2.0 / 3, bounded.metrics().f1(), 1e-12);
        assertEquals("targetCleanInputRate(0.1); 0.0 % of 10 clean inputs flagged", bounded.method());

        TauSelection.Choice loose = TauSelection.targetCleanInputRate(0.3).select(w.p, w.data);
        assertEquals(best.tau(), loose.tau(), "3 of 10 clean inputs are within a 30 % bound");
        assertTrue(loose.method().endsWith("; 30.0 % of 10 clean inputs flagged"), loose.method());
    }

    @Test
    void takesTheFewestFlaggedWhenNoCandidateMeetsTheBound() {
        Windowed w = new Windowed();
        w.p[0][2] = 0.995f; // clean input 0 is flagged at every τ
        TauSelection.Choice c = TauSelection.targetCleanInputRate(0.0).select(w.p, w.data);
        assertTrue(c.tau() >= 0.36 && c.tau() <= 0.60, "the fewest: only input 0: " + c.tau());
        assertTrue(c.method().endsWith("; 10.0 % of 10 clean inputs flagged"), c.method());
    }

    @Test
    void refusesWhatItCannotCount() {
        Windowed w = new Windowed();
        TauSelection sel = TauSelection.targetCleanInputRate(0.05);
        UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class,
                () -> sel.select(w.p, w.data.labelMatrix()));
        assertTrue(u.getMessage().contains("needs to know which maps come from one clean input"), u.getMessage());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sel.select(new float[3][N], w.data));
        assertTrue(e.getMessage().contains("probabilities for 3 maps, but the data holds " + w.data.size()),
                e.getMessage());
        DetectorTrainingData anomalousOnly = DetectorTrainingData.builder()
                .addMap(new float[N * N], 0, new boolean[N], 0, true).build();
        e = assertThrows(IllegalArgumentException.class, () -> sel.select(new float[1][N], anomalousOnly));
        assertTrue(e.getMessage().contains("needs clean inputs"), e.getMessage());
        for (double bad : new double[] {1, -0.1, Double.NaN}) {
            e = assertThrows(IllegalArgumentException.class, () -> TauSelection.targetCleanInputRate(bad));
            assertTrue(e.getMessage().contains("share of clean inputs flagged must lie in [0, 1)"), e.getMessage());
        }
    }

    private static AttentionTrace trace(int b, int l, int n) {
        List<LayerAttention> layers = new ArrayList<>();
        for (int layer = 0; layer < l; layer++) {
            layers.add(new LayerAttention(layer, Nd4j.ones(b, 1, n, n).divi(n)));
        }
        return new AttentionTrace(layers, List.of());
    }

    @Test
    void everyWayOfAddingMapsRecordsTheInputsSide() {
        int b = 3;
        int l = 2;
        boolean[][] trigger = new boolean[b][N];
        trigger[0][1] = true;
        DetectorTrainingData.Builder builder = DetectorTrainingData.builder()
                .addPairs(trace(b, l, N), trace(b, l, N), ColumnLabels.sameForAllLayers(trigger, l));
        // addTrace: sample 0 is labelled at layer 1 only, and is anomalous at both layers.
        boolean[][][] traced = new boolean[2][l][N];
        traced[0][1][2] = true;
        builder.addTrace(trace(2, l, N), ColumnLabels.of(traced), null);
        // addMap without a side: anomalous exactly when labelled.
        builder.addMap(new float[N * N], 0, new boolean[] {false, true, false}, -1);
        builder.addMap(new float[N * N], 0, new boolean[N], -1);
        DetectorTrainingData d = builder.build();

        int pairMaps = 2 * b * l;
        for (int i = 0; i < pairMaps; i++) {
            assertEquals(i >= b * l, d.fromAnomalousInput(i), "pair map " + i + ": clean side first");
        }
        // addTrace adds layer by layer: layer 0 samples 0, 1, then layer 1.
        assertArrayEquals(new boolean[] {true, false, true, false},
                new boolean[] {d.fromAnomalousInput(pairMaps), d.fromAnomalousInput(pairMaps + 1),
                    d.fromAnomalousInput(pairMaps + 2), d.fromAnomalousInput(pairMaps + 3)});
        assertTrue(d.fromAnomalousInput(pairMaps + 4));
        assertFalse(d.fromAnomalousInput(pairMaps + 5));

        int[][] clean = d.cleanInputs();
        assertEquals(b + 1 + 1, clean.length, "three clean pair sides, one traced sample, one lone map");
        for (int k = 0; k < b; k++) {
            assertEquals(l, clean[k].length, "a pair's clean input holds every layer's map");
            for (int i : clean[k]) {
                assertFalse(d.fromAnomalousInput(i));
                assertEquals(d.group(clean[k][0]), d.group(i));
            }
        }
        assertArrayEquals(new int[] {pairMaps + 1, pairMaps + 3}, clean[b]);

        DetectorTrainingData.Split s = d.split(0.5, 3);
        int cleanMaps = 0;
        for (DetectorTrainingData side : new DetectorTrainingData[] {s.train(), s.validation()}) {
            for (int[] input : side.cleanInputs()) {
                for (int i : input) {
                    assertFalse(side.fromAnomalousInput(i));
                    cleanMaps++;
                }
            }
        }
        assertEquals(b * l + l + 1, cleanMaps, "a split keeps each map's side");
        assertEquals(b + 1 + 1, s.train().cleanInputs().length + s.validation().cleanInputs().length);
    }
}
