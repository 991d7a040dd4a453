package org.atpatch.examples.reproduce;

import java.util.ArrayList;
import java.util.List;
import org.atpatch.core.DetectionMetrics;
import org.atpatch.detector.DetectorTrainingData;

/**
 * Where the detector's strict Table 4 errors sit, layer by layer, for runs that label a triggered
 * map only where its trigger columns over-attend ({@code --over-attention-ratio}).
 *
 * <p>Such a run has three kinds of map: over-attention maps (labelled), maps of clean inputs, and
 * maps of triggered inputs whose trigger columns stay below the ratio ("unconfirmed"). The strict
 * rule of Table 4 counts the unconfirmed ones as clean maps, so flagging the trigger's column there
 * is a false positive. The paper's RQ2 scores over-attention maps against clean attention maps and
 * names no third kind; {@link #withoutUnconfirmed} scores exactly those two and leaves the unconfirmed
 * maps out. Both are reported; neither replaces the other.
 *
 * <p>The maps are told apart by labelling the same evaluation set twice: with the ratio, and with every
 * layer labelled ({@code AttentionCapture.mapsOf} captures in a fixed order, so map {@code i} is the
 * same map in both).
 */
final class DetectorMisses {

    private static final int ANOMALOUS = 0;
    private static final int TP = 1;
    private static final int MISSED = 2;
    private static final int EXTRA = 3;
    private static final int LABELLED = 4;
    private static final int CLEAN = 5;
    private static final int FP = 6;
    private static final int UNCONFIRMED = 7;
    private static final int FLAGGED_UNCONFIRMED = 8;

    private DetectorMisses() {}

    /**
     * @param maps the evaluation maps labelled with the ratio
     * @param everyLayer the same maps with every layer of a triggered input labelled, or null when the
     *     run has no ratio (then no map is unconfirmed)
     * @param probabilities the detector's column probabilities, one row per map
     * @param tau the operating threshold
     * @return one row per layer: over-attention maps, true positives, false negatives that miss a
     *     labelled column, false negatives that only add an unlabelled one, mean labelled columns per
     *     over-attention map, clean-input maps, false positives on them, unconfirmed triggered maps,
     *     and how many of those the detector flags
     */
    static ResultTable byLayer(DetectorTrainingData maps, DetectorTrainingData everyLayer, float[][] probabilities,
            double tau) {
        boolean[] unconfirmed = unconfirmed(maps, everyLayer, probabilities);
        long[][] counts = new long[maps.layers()][9];
        for (int m = 0; m < maps.size(); m++) {
            boolean[] truth = maps.labels(m);
            float[] p = probabilities[m];
            int labelled = 0;
            boolean missed = false;
            boolean extra = false;
            for (int c = 0; c < truth.length; c++) {
                boolean flag = p[c] > tau;
                labelled += truth[c] ? 1 : 0;
                missed |= truth[c] && !flag;
                extra |= !truth[c] && flag;
            }
            long[] row = counts[maps.layer(m)];
            if (labelled > 0) {
                row[ANOMALOUS]++;
                row[missed ? MISSED : extra ? EXTRA : TP]++;
                row[LABELLED] += labelled;
            } else if (unconfirmed[m]) {
                row[UNCONFIRMED]++;
                row[FLAGGED_UNCONFIRMED] += extra ? 1 : 0;
            } else {
                row[CLEAN]++;
                row[FP] += extra ? 1 : 0;
            }
        }
        ResultTable t = new ResultTable("layer", "over_attention_maps", "tp", "fn_missed_labelled", "fn_extra_only",
                "labelled_columns_per_map", "clean_input_maps", "fp_clean_input", "unconfirmed_triggered_maps",
                "flagged_unconfirmed");
        for (int l = 0; l < counts.length; l++) {
            long[] r = counts[l];
            t.add(Integer.toString(l), Long.toString(r[ANOMALOUS]), Long.toString(r[TP]), Long.toString(r[MISSED]),
                    Long.toString(r[EXTRA]), r[ANOMALOUS] == 0 ? Double.NaN : (double) r[LABELLED] / r[ANOMALOUS],
                    Long.toString(r[CLEAN]), Long.toString(r[FP]), Long.toString(r[UNCONFIRMED]),
                    Long.toString(r[FLAGGED_UNCONFIRMED]));
        }
        return t;
    }

    /**
     * The strict map-level metrics over over-attention maps and clean-input maps only.
     *
     * @param maps the evaluation maps labelled with the ratio
     * @param everyLayer the same maps with every layer labelled
     * @param probabilities the detector's column probabilities, one row per map
     * @param tau the operating threshold
     * @return the metrics, and how many unconfirmed maps were left out
     */
    static Scored withoutUnconfirmed(DetectorTrainingData maps, DetectorTrainingData everyLayer, float[][] probabilities,
            double tau) {
        boolean[] unconfirmed = unconfirmed(maps, everyLayer, probabilities);
        List<float[]> p = new ArrayList<>();
        List<boolean[]> truth = new ArrayList<>();
        for (int m = 0; m < maps.size(); m++) {
            if (!unconfirmed[m]) {
                p.add(probabilities[m]);
                truth.add(maps.labels(m));
            }
        }
        return new Scored(DetectionMetrics.strict(p.toArray(float[][]::new), truth.toArray(boolean[][]::new), tau),
                maps.size() - p.size());
    }

    /**
     * @param metrics strict counts over over-attention and clean-input maps
     * @param leftOut unconfirmed triggered maps not counted
     */
    record Scored(DetectionMetrics metrics, int leftOut) {}

    /** Per map: a triggered map whose labels the ratio dropped entirely. */
    private static boolean[] unconfirmed(DetectorTrainingData maps, DetectorTrainingData everyLayer,
            float[][] probabilities) {
        if (probabilities.length != maps.size()) {
            throw new IllegalArgumentException("probabilities hold " + probabilities.length + " maps, the data "
                    + maps.size());
        }
        boolean[] out = new boolean[maps.size()];
        if (everyLayer == null) {
            return out;
        }
        if (everyLayer.size() != maps.size()) {
            throw new IllegalArgumentException("the every-layer labelling holds " + everyLayer.size() + " maps, the "
                    + "ratio labelling " + maps.size() + ": not the same evaluation set");
        }
        for (int m = 0; m < maps.size(); m++) {
            boolean[] kept = maps.labels(m);
            boolean[] given = everyLayer.labels(m);
            if (everyLayer.layer(m) != maps.layer(m) || kept.length != given.length) {
                throw new IllegalArgumentException("map " + m + " differs between the two labellings");
            }
            boolean anyKept = false;
            boolean anyGiven = false;
            for (int c = 0; c < kept.length; c++) {
                if (kept[c] && !given[c]) {
                    throw new IllegalArgumentException("map " + m + " column " + c + " is labelled with the ratio "
                            + "but not without it: not the same evaluation set");
                }
                anyKept |= kept[c];
                anyGiven |= given[c];
            }
            out[m] = anyGiven && !anyKept;
        }
        return out;
    }
}
