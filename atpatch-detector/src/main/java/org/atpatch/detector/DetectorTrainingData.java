package org.atpatch.detector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.atpatch.core.AttentionTrace;
import org.atpatch.core.ColumnLabels;
import org.atpatch.core.LayerAttention;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The detector's training or evaluation set, held on the host: head-averaged maps (Eq. 5), the layer
 * each came from, its column labels {@code y} (Eq. 7), and which maps belong to one pair of the
 * debugging set.
 *
 * <p>Every map carries a <em>group</em>: the pair it belongs to (a clean input and its
 * triggered/attribute-flipped counterpart share one), or, for an unpaired input, a group of its own.
 * It also records whether it comes from the pair's anomalous input or from a clean one, so the maps
 * of one clean input can be found again ({@link #cleanInputs()}): a windowed model has several maps
 * per input and layer, and a bound on how many clean <em>inputs</em> the detector flags
 * ({@link TauSelection#targetCleanInputRate}) needs them together.
 * All maps of one group, over every layer, fall on the same side of a {@link #split}, so no input
 * leaks from training into validation. The maps of one group and one layer are paired: the trainer
 * keeps them in the same batch, so a column's counterpart in the paired map is always there for the
 * contrastive term.
 *
 * <p>Immutable once built.
 */
public final class DetectorTrainingData {

    private final int tokens;
    private final int layers;
    private final List<float[]> maps;
    private final int[] layer;
    private final boolean[][] labels;
    private final long[] group;
    private final boolean[] anomalousInput;

    private DetectorTrainingData(int tokens, int layers, List<float[]> maps, int[] layer, boolean[][] labels,
            long[] group, boolean[] anomalousInput) {
        this.tokens = tokens;
        this.layers = layers;
        this.maps = maps;
        this.layer = layer;
        this.labels = labels;
        this.group = group;
        this.anomalousInput = anomalousInput;
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the number of maps M */
    public int size() {
        return maps.size();
    }

    /** @return N */
    public int tokens() {
        return tokens;
    }

    /** @return L: one more than the highest layer index seen (or as set on the builder) */
    public int layers() {
        return layers;
    }

    /**
     * @param i a map index
     * @return that map, row-major {@code N × N}; do not modify
     */
    float[] map(int i) {
        return maps.get(i);
    }

    /**
     * @param i a map index
     * @return its layer
     */
    public int layer(int i) {
        return layer[i];
    }

    /**
     * @param i a map index
     * @return a copy of its column labels
     */
    public boolean[] labels(int i) {
        return labels[i].clone();
    }

    /**
     * @param i a map index
     * @return its group (pair) key
     */
    public long group(int i) {
        return group[i];
    }

    /**
     * @param i a map index
     * @return whether it comes from an anomalous (triggered or attribute-flipped) input rather than a
     *     clean one
     */
    public boolean fromAnomalousInput(int i) {
        return anomalousInput[i];
    }

    /**
     * The maps of each clean input: every layer's maps (every window's, on a windowed model) of one
     * input that is not anomalous, i.e. the clean side of each pair and each clean input added on its
     * own. An input is known by its group and side: a group holds at most one clean input.
     *
     * @return per clean input the indices of its maps, in first-seen order
     */
    public int[][] cleanInputs() {
        Map<Long, List<Integer>> byGroup = new LinkedHashMap<>();
        for (int i = 0; i < size(); i++) {
            if (!anomalousInput[i]) {
                byGroup.computeIfAbsent(group[i], k -> new ArrayList<>()).add(i);
            }
        }
        int[][] out = new int[byGroup.size()][];
        int k = 0;
        for (List<Integer> maps : byGroup.values()) {
            out[k++] = maps.stream().mapToInt(Integer::intValue).toArray();
        }
        return out;
    }

    boolean label(int i, int column) {
        return labels[i][column];
    }

    /** @return all maps' labels {@code [M][N]}, copied */
    public boolean[][] labelMatrix() {
        boolean[][] out = new boolean[labels.length][];
        for (int i = 0; i < labels.length; i++) {
            out[i] = labels[i].clone();
        }
        return out;
    }

    /** @return the number of anomalous columns over all maps */
    public long positiveColumns() {
        long c = 0;
        for (boolean[] l : labels) {
            for (boolean v : l) {
                c += v ? 1 : 0;
            }
        }
        return c;
    }

    /** @return the number of maps with at least one anomalous column */
    public int anomalousMaps() {
        int c = 0;
        for (boolean[] l : labels) {
            c += any(l) ? 1 : 0;
        }
        return c;
    }

    private static boolean any(boolean[] columns) {
        for (boolean c : columns) {
            if (c) {
                return true;
            }
        }
        return false;
    }

    /**
     * The maps of one layer.
     *
     * @param l the layer
     * @return a new data set with only those maps (L unchanged)
     */
    public DetectorTrainingData onlyLayer(int l) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            if (layer[i] == l) {
                idx.add(i);
            }
        }
        return subset(idx);
    }

    /**
     * Splits by group: a whole pair (every layer) goes to one side.
     *
     * @param validationFraction the share of groups for validation, in [0, 1)
     * @param seed seeds the shuffle of groups
     * @return the two sides; validation is empty when the fraction is 0
     * @throws IllegalArgumentException if the fraction is outside [0, 1) or leaves training empty
     */
    public Split split(double validationFraction, long seed) {
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must lie in [0, 1), got " + validationFraction);
        }
        Map<Long, List<Integer>> byGroup = new LinkedHashMap<>();
        for (int i = 0; i < size(); i++) {
            byGroup.computeIfAbsent(group[i], k -> new ArrayList<>()).add(i);
        }
        List<List<Integer>> groups = new ArrayList<>(byGroup.values());
        java.util.Collections.shuffle(groups, new Random(seed));
        int nVal = (int) Math.round(groups.size() * validationFraction);
        if (validationFraction > 0 && nVal == 0 && groups.size() > 1) {
            nVal = 1;
        }
        if (nVal >= groups.size()) {
            throw new IllegalArgumentException("validation fraction " + validationFraction + " of "
                    + groups.size() + " groups leaves nothing to train on");
        }
        List<Integer> val = new ArrayList<>();
        List<Integer> train = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            (g < nVal ? val : train).addAll(groups.get(g));
        }
        val.sort(null);
        train.sort(null);
        return new Split(subset(train), val.isEmpty() ? null : subset(val));
    }

    private DetectorTrainingData subset(List<Integer> idx) {
        List<float[]> m = new ArrayList<>(idx.size());
        int[] ly = new int[idx.size()];
        boolean[][] lb = new boolean[idx.size()][];
        long[] gr = new long[idx.size()];
        boolean[] an = new boolean[idx.size()];
        for (int k = 0; k < idx.size(); k++) {
            int i = idx.get(k);
            m.add(maps.get(i));
            ly[k] = layer[i];
            lb[k] = labels[i];
            gr[k] = group[i];
            an[k] = anomalousInput[i];
        }
        return new DetectorTrainingData(tokens, layers, m, ly, lb, gr, an);
    }

    /**
     * The maps grouped into batching units: the maps of one group and one layer (a clean map and its
     * anomalous counterpart), in first-seen order.
     */
    List<int[]> pairUnits() {
        Map<List<Long>, List<Integer>> units = new LinkedHashMap<>();
        for (int i = 0; i < size(); i++) {
            units.computeIfAbsent(List.of(group[i], (long) layer[i]), k -> new ArrayList<>()).add(i);
        }
        List<int[]> out = new ArrayList<>(units.size());
        for (List<Integer> u : units.values()) {
            out.add(u.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }

    @Override
    public String toString() {
        return "DetectorTrainingData{maps=" + size() + ", N=" + tokens + ", L=" + layers + ", anomalousMaps="
                + anomalousMaps() + ", anomalousColumns=" + positiveColumns() + "}";
    }

    /**
     * A training and a validation side.
     *
     * @param train the training maps
     * @param validation the validation maps, or {@code null} when none were held out
     */
    public record Split(DetectorTrainingData train, DetectorTrainingData validation) {}

    /** The default of {@link Builder#optOverAttentionRatio}. */
    public static final double DEFAULT_OVER_ATTENTION_RATIO = 0;

    /**
     * @param ratio an over-attention ratio (see {@link Builder#optOverAttentionRatio})
     * @return it, when it is {@code >= 0} and finite
     * @throws IllegalArgumentException otherwise
     */
    public static double requireOverAttentionRatio(double ratio) {
        if (!(ratio >= 0) || Double.isInfinite(ratio)) {
            throw new IllegalArgumentException("over-attention ratio must be >= 0 and finite, got " + ratio);
        }
        return ratio;
    }

    /** Collects maps; all must share one N. */
    public static final class Builder {
        private int tokens = -1;
        private int layers = -1;
        private final List<float[]> maps = new ArrayList<>();
        private final List<Integer> layer = new ArrayList<>();
        private final List<boolean[]> labels = new ArrayList<>();
        private final List<Long> group = new ArrayList<>();
        private final List<Boolean> anomalousInput = new ArrayList<>();
        private long nextGroup = Long.MIN_VALUE / 2;
        private double overAttentionRatio = DEFAULT_OVER_ATTENTION_RATIO;
        private long labelsGiven;
        private long labelsConfirmed;

        private Builder() {}

        /**
         * How much more attention a labelled column must receive in the anomalous map than in its
         * clean partner, at the same layer, for {@link #addPairs} to keep the label (default
         * {@value DetectorTrainingData#DEFAULT_OVER_ATTENTION_RATIO}; 0 keeps every label). A column's
         * attention is its mean over the query rows of the head-averaged map.
         *
         * <p>Why: a debugging set labels the trigger's columns from the mask, the same at every layer,
         * but over-attention does not show at every layer (the trigger spreads at the first layer and
         * over-attends in later ones), and an inverted "trigger" of a falsely suspected class may cause
         * none at all. Such maps look clean; labelled anomalous, they teach the detector to flag
         * clean-looking maps. The patched model needs no detection at the unconfirmed layers: it
         * patches the union of the columns flagged at any layer, from layer 0
         * (docs/architecture.md, "Design decisions": over-attention labels).
         *
         * <p>Off by default, because whether it helps depends on the debugging set: with a faint or
         * scattered inverted trigger it can drop most labels and leave the detector too few positives,
         * while on converged victims with region-scan debugging sets a ratio of 2 lowers both the
         * attack success rate after patching and the share of clean inputs flagged (docs/reproduce.md).
         *
         * @param ratio the factor, {@code >= 0} and finite
         * @return this builder
         */
        public Builder optOverAttentionRatio(double ratio) {
            this.overAttentionRatio = requireOverAttentionRatio(ratio);
            return this;
        }

        /** @return labels that {@link #addPairs} was given, and how many it kept (see {@link #optOverAttentionRatio}) */
        public long[] pairLabelCounts() {
            return new long[] {labelsGiven, labelsConfirmed};
        }

        /**
         * Fixes L (default: one more than the highest layer added).
         *
         * @param layers L
         * @return this builder
         */
        public Builder optLayers(int layers) {
            if (layers < 1) {
                throw new IllegalArgumentException("layers must be >= 1, got " + layers);
            }
            this.layers = layers;
            return this;
        }

        /**
         * Adds one head-averaged map; it counts as coming from an anomalous input when it has a labelled
         * column, from a clean one otherwise.
         *
         * @param headAveraged row-major {@code N × N} (query rows, key columns), finite; kept, not copied
         * @param layerIndex the layer it came from, from 0
         * @param columnLabels its {@code N} column labels
         * @param pairId maps of the same pair share an id (and are paired layer by layer); -1 for an
         *     unpaired map
         * @return this builder
         * @throws IllegalArgumentException on a wrong size, a non-finite value or a negative layer
         */
        public Builder addMap(float[] headAveraged, int layerIndex, boolean[] columnLabels, long pairId) {
            Objects.requireNonNull(columnLabels, "columnLabels");
            return addMap(headAveraged, layerIndex, columnLabels, pairId, any(columnLabels));
        }

        /**
         * Adds one head-averaged map of a known side: a map of an anomalous input may have no labelled
         * column (a window away from the trigger, a layer without over-attention) and still not be
         * clean.
         *
         * @param headAveraged row-major {@code N × N} (query rows, key columns), finite; kept, not copied
         * @param layerIndex the layer it came from, from 0
         * @param columnLabels its {@code N} column labels
         * @param pairId maps of the same pair share an id (and are paired layer by layer); -1 for an
         *     unpaired map
         * @param fromAnomalousInput whether the map comes from the pair's anomalous input
         * @return this builder
         * @throws IllegalArgumentException on a wrong size, a non-finite value or a negative layer
         */
        public Builder addMap(float[] headAveraged, int layerIndex, boolean[] columnLabels, long pairId,
                boolean fromAnomalousInput) {
            return addMapInGroup(headAveraged, layerIndex, columnLabels, pairId < 0 ? nextGroup++ : pairId,
                    fromAnomalousInput);
        }

        private static boolean anyLayer(ColumnLabels labels, int sample) {
            for (int l = 0; l < labels.layers(); l++) {
                if (any(labels.get(sample, l))) {
                    return true;
                }
            }
            return false;
        }

        private Builder addMapInGroup(float[] headAveraged, int layerIndex, boolean[] columnLabels, long groupKey,
                boolean fromAnomalousInput) {
            Objects.requireNonNull(headAveraged, "headAveraged");
            Objects.requireNonNull(columnLabels, "columnLabels");
            int n = columnLabels.length;
            if (n < 2) {
                throw new IllegalArgumentException("a map needs N >= 2 columns, got " + n);
            }
            if (headAveraged.length != (long) n * n) {
                throw new IllegalArgumentException("map of " + headAveraged.length + " values does not match "
                        + n + " column labels (expected " + n + "×" + n + ")");
            }
            if (tokens == -1) {
                tokens = n;
            } else if (tokens != n) {
                throw new IllegalArgumentException("map has N = " + n + ", earlier maps N = " + tokens);
            }
            if (layerIndex < 0) {
                throw new IllegalArgumentException("layer must be >= 0, got " + layerIndex);
            }
            for (int k = 0; k < headAveraged.length; k++) {
                if (!Float.isFinite(headAveraged[k])) {
                    throw new IllegalArgumentException("map " + maps.size() + " (layer " + layerIndex
                            + ") holds a non-finite value " + headAveraged[k] + " at row " + k / n + ", column "
                            + k % n);
                }
            }
            maps.add(headAveraged);
            layer.add(layerIndex);
            labels.add(columnLabels.clone());
            group.add(groupKey);
            anomalousInput.add(fromAnomalousInput);
            return this;
        }

        /**
         * Adds every sample and layer of a captured batch, head-averaging on the host. A sample counts as
         * an anomalous input when it has a labelled column at some layer, as a clean one otherwise
         * ({@link #addPairs} knows each side).
         *
         * @param trace the captured maps
         * @param columnLabels per sample and layer, same batch size and L as the trace
         * @param pairIds per sample its pair id, or -1; {@code null} for all unpaired
         * @return this builder
         */
        public Builder addTrace(AttentionTrace trace, ColumnLabels columnLabels, long[] pairIds) {
            int b = trace.batchSize();
            if (pairIds != null && pairIds.length != b) {
                throw new IllegalArgumentException("pairIds has " + pairIds.length + " entries, batch is " + b);
            }
            long[] groups = new long[b];
            for (int s = 0; s < b; s++) {
                // An unpaired sample still keeps its layers together in a split.
                groups[s] = pairIds == null || pairIds[s] < 0 ? nextGroup++ : pairIds[s];
            }
            return addTraceInGroups(trace, columnLabels, groups, null);
        }

        /**
         * @param anomalous whether the trace holds the anomalous inputs, or null to count a sample as
         *     anomalous when it has a labelled column at some layer
         */
        private Builder addTraceInGroups(AttentionTrace trace, ColumnLabels columnLabels, long[] groups,
                Boolean anomalous) {
            int b = trace.batchSize();
            if (columnLabels.batchSize() != b || columnLabels.layers() != trace.depth()) {
                throw new IllegalArgumentException("labels cover " + columnLabels.batchSize() + " samples × "
                        + columnLabels.layers() + " layers, the trace " + b + " × " + trace.depth());
            }
            for (int l = 0; l < trace.depth(); l++) {
                LayerAttention la = trace.layer(l);
                if (la.tokens() != columnLabels.tokens()) {
                    throw new IllegalArgumentException("layer " + l + " has N = " + la.tokens()
                            + ", labels have " + columnLabels.tokens() + " columns");
                }
                float[][] perSample = headAverage(la);
                for (int s = 0; s < b; s++) {
                    addMapInGroup(perSample[s], l, columnLabels.get(s, l), groups[s],
                            anomalous != null ? anomalous : anyLayer(columnLabels, s));
                }
            }
            return this;
        }

        /**
         * Adds pairs of the debugging set: sample {@code s} of {@code clean} and sample {@code s} of
         * {@code anomalous} are the same input without and with the trigger (or with the protected
         * attribute flipped). Clean maps get all-normal labels.
         *
         * @param clean the passing executions' maps
         * @param anomalous the failing executions' maps, same batch size, L and N
         * @param anomalousLabels the anomalous maps' column labels
         * @return this builder
         */
        public Builder addPairs(AttentionTrace clean, AttentionTrace anomalous, ColumnLabels anomalousLabels) {
            if (clean.batchSize() != anomalous.batchSize() || clean.depth() != anomalous.depth()) {
                throw new IllegalArgumentException("clean trace is " + clean.batchSize() + " × " + clean.depth()
                        + " (samples × layers), anomalous " + anomalous.batchSize() + " × " + anomalous.depth());
            }
            long[] ids = new long[clean.batchSize()];
            for (int s = 0; s < ids.length; s++) {
                ids[s] = freshGroup();
            }
            int b = clean.batchSize();
            int depth = clean.depth();
            int n = anomalousLabels.tokens();
            if (anomalousLabels.batchSize() != b || anomalousLabels.layers() != depth) {
                throw new IllegalArgumentException("labels are " + anomalousLabels.batchSize() + " × "
                        + anomalousLabels.layers() + " (samples × layers), the traces " + b + " × " + depth);
            }
            boolean[][][] none = new boolean[b][depth][n];
            addTraceInGroups(clean, ColumnLabels.of(none), ids, false);
            boolean[][][] confirmed = new boolean[b][depth][];
            for (int l = 0; l < depth; l++) {
                boolean[][] given = new boolean[b][];
                for (int s = 0; s < b; s++) {
                    given[s] = anomalousLabels.get(s, l);
                }
                boolean[][] kept = confirmOverAttention(clean.layer(l), anomalous.layer(l), given);
                for (int s = 0; s < b; s++) {
                    confirmed[s][l] = kept[s];
                }
            }
            return addTraceInGroups(anomalous, ColumnLabels.of(confirmed), ids, true);
        }

        /**
         * One layer's labels of anomalous maps, kept only where the column shows over-attention against
         * the paired clean map ({@link #optOverAttentionRatio}); all of them without a ratio. Counted
         * in {@link #pairLabelCounts}. {@link #addPairs} applies it to every layer; a caller adding
         * maps one by one ({@link #addMap}, e.g. one map per attention window) applies it itself.
         *
         * @param clean the clean maps of one layer, {@code (B, H, N, N)}
         * @param anomalous the paired anomalous maps of the same layer, map {@code m} with map {@code m}
         * @param labels per anomalous map the labelled columns, {@code B × N}
         * @return the confirmed labels, a new {@code B × N} array
         */
        public boolean[][] confirmOverAttention(LayerAttention clean, LayerAttention anomalous, boolean[][] labels) {
            int b = anomalous.batchSize();
            int n = anomalous.tokens();
            if (clean.batchSize() != b || clean.tokens() != n || labels.length != b) {
                throw new IllegalArgumentException("paired maps must match: clean " + clean.batchSize() + " maps of N = "
                        + clean.tokens() + ", anomalous " + b + " of N = " + n + ", labels for " + labels.length);
            }
            // Without a ratio every label stays: no need to head-average the maps a second time.
            float[][] cleanMass = overAttentionRatio > 0 ? columnMass(clean) : null;
            float[][] anomalousMass = overAttentionRatio > 0 ? columnMass(anomalous) : null;
            boolean[][] kept = new boolean[b][n];
            for (int s = 0; s < b; s++) {
                if (labels[s].length != n) {
                    throw new IllegalArgumentException("labels of map " + s + " cover " + labels[s].length
                            + " columns, the maps have N = " + n);
                }
                for (int j = 0; j < n; j++) {
                    if (labels[s][j]) {
                        labelsGiven++;
                        if (anomalousMass == null || anomalousMass[s][j] >= overAttentionRatio * cleanMass[s][j]) {
                            kept[s][j] = true;
                            labelsConfirmed++;
                        }
                    }
                }
            }
            return kept;
        }

        /** Per sample and column, the mean attention the column receives over the query rows. */
        private static float[][] columnMass(LayerAttention la) {
            float[][] maps = headAverage(la);
            int n = la.tokens();
            float[][] out = new float[maps.length][n];
            for (int s = 0; s < maps.length; s++) {
                for (int k = 0; k < maps[s].length; k++) {
                    out[s][k % n] += maps[s][k] / n;
                }
            }
            return out;
        }

        private long freshGroup() {
            return nextGroup++;
        }

        private static float[][] headAverage(LayerAttention la) {
            INDArray avg = la.headAverage(); // (B, N, N)
            int b = la.batchSize();
            int n = la.tokens();
            float[] flat = Nd4j.toFlattened('c', avg).toFloatVector();
            float[][] out = new float[b][];
            for (int s = 0; s < b; s++) {
                out[s] = Arrays.copyOfRange(flat, s * n * n, (s + 1) * n * n);
            }
            return out;
        }

        /**
         * @return the data
         * @throws IllegalArgumentException if no map was added or a layer is not below a fixed L
         */
        public DetectorTrainingData build() {
            if (maps.isEmpty()) {
                throw new IllegalArgumentException("no maps were added");
            }
            int maxLayer = layer.stream().mapToInt(Integer::intValue).max().orElse(0);
            int l = layers == -1 ? maxLayer + 1 : layers;
            if (maxLayer >= l) {
                throw new IllegalArgumentException("a map comes from layer " + maxLayer + " but L = " + l);
            }
            int[] ly = layer.stream().mapToInt(Integer::intValue).toArray();
            long[] gr = group.stream().mapToLong(Long::longValue).toArray();
            boolean[] an = new boolean[anomalousInput.size()];
            for (int i = 0; i < an.length; i++) {
                an[i] = anomalousInput.get(i);
            }
            return new DetectorTrainingData(tokens, l, List.copyOf(maps), ly,
                    labels.toArray(new boolean[0][]), gr, an);
        }
    }
}
