package org.atpatch.djl.interception;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.atpatch.core.AttentionTrace;
import org.atpatch.core.BenignStatistics;
import org.atpatch.core.ColumnLabels;
import org.atpatch.core.LayerAttention;
import org.atpatch.detector.DetectorTrainingData;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.model.SwinTransformer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Records the attention maps of a debugging set's inputs as labelled detector data: each pair's
 * clean maps (all columns normal) and anomalous maps (the pair's columns anomalous at every layer),
 * then the clean-only inputs' maps. {@link AtPatch} trains on this from the debugging set; an
 * evaluation builds it from a held-out set with the same construction, so the detector is scored on
 * maps labelled exactly as it was trained (RQ2's balanced evaluation set).
 *
 * <p>For windowed attention ({@link SwinTransformer}), a pair's columns are labels of the sample's
 * finest token grid ({@link InterceptableTransformer#sampleTokens()}); each window map gets the
 * columns that stand for a labelled token in its layer ({@link InterceptableTransformer#unfoldToMaps}),
 * Q is the mean window map of each layer, and all window maps of one pair form one group (one side of
 * the validation split, batched together per layer).
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
        return mapsOf(model, set, batchSize, DetectorTrainingData.DEFAULT_OVER_ATTENTION_RATIO);
    }

    /**
     * The labelled maps of a debugging set, a pair's columns kept anomalous only at the layers where
     * they show over-attention, as {@link AtPatch.Builder#optOverAttentionRatio} labels them for
     * training.
     *
     * @param model the victim the set was built for
     * @param set the debugging set (pairs and clean-only inputs)
     * @param batchSize inputs per recorded forward
     * @param overAttentionRatio see {@link DetectorTrainingData.Builder#optOverAttentionRatio}; 0 keeps
     *     every layer's labels
     * @return the maps, one per (input, layer)
     */
    public static DetectorTrainingData mapsOf(Model model, DebuggingSet set, int batchSize, double overAttentionRatio) {
        DetectorTrainingData.Builder data = DetectorTrainingData.builder().optLayers(AttentionLayers.of(model.getBlock()).depth())
                .optOverAttentionRatio(overAttentionRatio);
        capture(model, set, batchSize, false, null, data);
        return data.build();
    }

    /**
     * Records the set's maps into {@code data} and, when {@code stats} is given, accumulates Q (and the
     * benign token states when {@code states}) from its clean inputs. This is what {@code AtPatch.train}
     * runs before training the detector.
     *
     * @param model the model, built from interceptable attention
     * @param set the debugging set
     * @param batchSize inputs per forward, positive
     * @param states whether to record the token states entering each layer too (the model needs
     *     token-state points)
     * @param stats the benign statistics to accumulate into, or null for none
     * @param data receives every (input, layer) map with its labels
     */
    public static void capture(Model model, DebuggingSet set, int batchSize, boolean states, BenignStatistics stats,
            DetectorTrainingData.Builder data) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("capture batch size must be positive, got " + batchSize);
        }
        if (model.getBlock() instanceof InterceptableTransformer t && t.firstWindowedLayer() >= 0) {
            if (states) {
                throw new IllegalArgumentException("token states cannot be captured for windowed attention");
            }
            captureWindows(model, t, set, batchSize, stats, data);
            return;
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

    private static void captureWindows(Model model, InterceptableTransformer t, DebuggingSet set, int batchSize,
            BenignStatistics stats, DetectorTrainingData.Builder data) {
        if (set.tokens() != t.sampleTokens()) {
            throw new IllegalArgumentException("the debugging set labels " + set.tokens() + " tokens but the windowed "
                    + "model's sample grid has " + t.sampleTokens());
        }
        List<DebuggingSet.Pair> pairs = set.pairs();
        long group = 0;
        for (int from = 0; from < pairs.size(); from += batchSize) {
            List<DebuggingSet.Pair> batch = pairs.subList(from, Math.min(pairs.size(), from + batchSize));
            List<LayerAttention> clean = recordLayers(model, batch.stream().map(DebuggingSet.Pair::clean).toList(),
                    set.sampleShape());
            List<LayerAttention> anomalous = recordLayers(model,
                    batch.stream().map(DebuggingSet.Pair::anomalous).toList(), set.sampleShape());
            boolean[][] sampleLabels = batch.stream().map(DebuggingSet.Pair::columns).toArray(boolean[][]::new);
            for (int l = 0; l < clean.size(); l++) {
                if (stats != null) {
                    stats.attention().add(l, clean.get(l).maps());
                }
                boolean[][] windowLabels = data.confirmOverAttention(clean.get(l), anomalous.get(l),
                        unfold(model, t, l, sampleLabels));
                addWindows(data, clean.get(l), l, null, group, t.mapsPerSample(l), false);
                addWindows(data, anomalous.get(l), l, windowLabels, group, t.mapsPerSample(l), true);
            }
            group += batch.size();
        }
        List<float[]> cleanOnly = set.cleanOnly();
        for (int from = 0; from < cleanOnly.size(); from += batchSize) {
            List<float[]> batch = cleanOnly.subList(from, Math.min(cleanOnly.size(), from + batchSize));
            List<LayerAttention> clean = recordLayers(model, batch, set.sampleShape());
            for (int l = 0; l < clean.size(); l++) {
                if (stats != null) {
                    stats.attention().add(l, clean.get(l).maps());
                }
                addWindows(data, clean.get(l), l, null, group, t.mapsPerSample(l), false);
            }
            group += batch.size();
        }
    }

    /**
     * Adds one layer's window maps; window maps of sample {@code b} go to group {@code first + b}, on the
     * side given (a triggered input's windows away from the trigger have no label but are not clean).
     */
    private static void addWindows(DetectorTrainingData.Builder data, LayerAttention layer, int l, boolean[][] labels,
            long first, int windows, boolean anomalous) {
        INDArray mean = layer.headAverage();
        int n = layer.tokens();
        boolean[] none = new boolean[n];
        for (int m = 0; m < layer.batchSize(); m++) {
            float[] map = mean.get(NDArrayIndex.point(m), NDArrayIndex.all(), NDArrayIndex.all()).dup().data().asFloat();
            data.addMap(map, l, labels == null ? none : labels[m], first + m / windows, anomalous);
        }
    }

    /** Sample-grid labels → per-window-map labels of layer {@code l}, {@code (B · windows, N)}. */
    private static boolean[][] unfold(Model model, InterceptableTransformer t, int l, boolean[][] sampleLabels) {
        int tokens = t.sampleTokens();
        float[] flat = new float[sampleLabels.length * tokens];
        for (int b = 0; b < sampleLabels.length; b++) {
            for (int j = 0; j < tokens; j++) {
                flat[b * tokens + j] = sampleLabels[b][j] ? 1 : 0;
            }
        }
        try (NDManager m = model.getNDManager().newSubManager()) {
            NDArray perMap = t.unfoldToMaps(l, m.create(flat, new Shape(sampleLabels.length, tokens)));
            int maps = (int) perMap.getShape().get(0);
            int n = (int) perMap.getShape().get(1);
            float[] v = perMap.toFloatArray();
            boolean[][] out = new boolean[maps][n];
            for (int i = 0; i < maps; i++) {
                for (int j = 0; j < n; j++) {
                    out[i][j] = v[i * n + j] > 0;
                }
            }
            return out;
        }
    }

    private static List<LayerAttention> recordLayers(Model model, List<float[]> inputs, Shape sample) {
        try (NDManager m = model.getNDManager().newSubManager()) {
            return AttentionRecorder.recordLayers(model, LabelledData.unlabelled(inputs, sample).batch(m, 0, inputs.size()));
        }
    }

    private static AttentionTrace record(Model model, List<float[]> inputs, Shape sample, boolean states) {
        try (NDManager m = model.getNDManager().newSubManager()) {
            return AttentionRecorder.record(model, LabelledData.unlabelled(inputs, sample).batch(m, 0, inputs.size()), states);
        }
    }
}
