package org.atpatch.djl;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.atpatch.core.AttentionTrace;
import org.atpatch.core.BenignStatistics;
import org.atpatch.core.ColumnLabels;
import org.atpatch.detector.DetectorTrainingData;

/**
 * Records the attention maps of a debugging set's inputs as labelled detector data: each pair's
 * clean maps (all columns normal) and anomalous maps (the pair's columns anomalous at every layer),
 * then the clean-only inputs' maps. {@link AtPatch} trains on this from the debugging set; an
 * evaluation builds it from a held-out set with the same construction, so the detector is scored on
 * maps labelled exactly as it was trained (RQ2's balanced evaluation set).
 */
public final class AttentionCapture {

    private AttentionCapture() {}

    /**
     * The labelled maps of a debugging set.
     *
     * @param model the victim the set was built for
     * @param set the debugging set (pairs and clean-only inputs)
     * @param batchSize inputs per recorded forward
     * @return the maps, one per (input, layer)
     */
    public static DetectorTrainingData mapsOf(Model model, DebuggingSet set, int batchSize) {
        DetectorTrainingData.Builder data = DetectorTrainingData.builder().optLayers(AttentionLayers.of(model.getBlock()).depth());
        capture(model, set, batchSize, false, null, data);
        return data.build();
    }

    /**
     * Records the set's maps into {@code data} and, when {@code stats} is given, accumulates Q (and the
     * benign token states when {@code states}) from its clean inputs.
     */
    static void capture(Model model, DebuggingSet set, int batchSize, boolean states, BenignStatistics stats,
            DetectorTrainingData.Builder data) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("capture batch size must be positive, got " + batchSize);
        }
        int depth = AttentionLayers.of(model.getBlock()).depth();
        Shape sample = set.sampleShape();
        List<DebuggingSet.Pair> pairs = set.pairs();
        for (int from = 0; from < pairs.size(); from += batchSize) {
            List<DebuggingSet.Pair> batch = pairs.subList(from, Math.min(pairs.size(), from + batchSize));
            boolean[][] columns = new boolean[batch.size()][];
            for (int i = 0; i < batch.size(); i++) {
                columns[i] = batch.get(i).columns();
            }
            AttentionTrace clean = record(model, batch.stream().map(DebuggingSet.Pair::clean).toList(), sample, states);
            AttentionTrace anomalous = record(model, batch.stream().map(DebuggingSet.Pair::anomalous).toList(), sample,
                    false);
            if (stats != null) {
                clean.accumulateInto(stats);
            }
            data.addPairs(clean, anomalous, ColumnLabels.sameForAllLayers(columns, depth));
        }
        List<float[]> cleanOnly = set.cleanOnly();
        long group = -1;
        for (int from = 0; from < cleanOnly.size(); from += batchSize) {
            List<float[]> batch = cleanOnly.subList(from, Math.min(cleanOnly.size(), from + batchSize));
            AttentionTrace clean = record(model, batch, sample, states);
            if (stats != null) {
                clean.accumulateInto(stats);
            }
            long[] groups = new long[batch.size()];
            for (int i = 0; i < groups.length; i++) {
                groups[i] = group--;
            }
            data.addTrace(clean, ColumnLabels.sameForAllLayers(new boolean[batch.size()][set.tokens()], depth), groups);
        }
    }

    private static AttentionTrace record(Model model, List<float[]> inputs, Shape sample, boolean states) {
        int per = (int) sample.size();
        float[] flat = new float[inputs.size() * per];
        for (int i = 0; i < inputs.size(); i++) {
            System.arraycopy(inputs.get(i), 0, flat, i * per, per);
        }
        try (NDManager m = model.getNDManager().newSubManager()) {
            NDArray x = m.create(flat, new Shape(inputs.size()).addAll(sample));
            return AttentionRecorder.record(model, x, states);
        }
    }
}
