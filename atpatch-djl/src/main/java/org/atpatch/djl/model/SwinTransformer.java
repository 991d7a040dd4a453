package org.atpatch.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.atpatch.core.WindowTokenLayout;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.model.internal.PreNormEncoderLayer;
import org.atpatch.djl.model.internal.ShiftedWindows;
import org.atpatch.djl.model.internal.TokenGather;

/**
 * Swin Transformer (Liu et al., 2021): non-overlapping square patches → linear embedding and norm,
 * then stages of Swin {@link PreNormEncoderLayer}s ({@link PreNormEncoderLayer#swin}) with windowed
 * self-attention, alternating regular and shifted windows (shift {@code window / 2}, cyclic, with
 * an attention mask), and patch merging between stages (each 2 × 2 group of tokens concatenated,
 * normalised and projected to twice the width). A final norm, the mean over tokens and a linear
 * head give the logits. A stage whose grid equals
 * the window has one window and is not shifted (as in Swin); a grid smaller than the window is
 * refused, since every layer's maps must be window² wide.
 *
 * <p>Every stage uses the same head count (Swin doubles it per stage; here the head width doubles
 * instead), so every layer's maps have the same heads and the same N = window², as benign
 * statistics Q {@code (L, H, N, N)} and the detector need.
 *
 * <p><b>Maps are per window.</b> Layer {@code l}'s interception point sees {@code (B·w_l, H,
 * window², window²)}: one map per window, {@code w_l = }{@link #mapsPerSample(int)} windows per
 * sample, sample-major. The {@link #tokenLayout()} describes a column inside a window; which grid
 * token (and so which image region) a window's column stands for depends on the layer (shift,
 * stage) and is given by {@link #windowTokens(int)} and {@link #region(int, int, int)}.
 * {@link AttentionRecorder#recordLayers} captures these maps, and Q accumulated from them is the
 * mean window map of each layer.
 *
 * <p><b>Windows and the patched model.</b> The detector scores every window's map on its own. A
 * flagged window column is folded back to its sample ({@link #foldToSample}): it names a token of
 * that layer's stage grid, which stands for a {@code 2^s × 2^s} block of the first stage's grid;
 * the union over windows and layers is kept per sample on the first stage's grid ({@link
 * #sampleTokens()} tokens), and a sample is flagged when any of its windows is. When a flagged
 * sample is re-run, each layer patches the window columns that hold a flagged token ({@link
 * #unfoldToMaps}: a merged token when any token of its block is flagged), wherever the layer's
 * shift puts them. Patch reports name first-stage grid tokens. Streaming mode and token-state rules
 * are not available for this family (the widths differ between stages).
 *
 * <p>Input {@code (batch, channels, size, size)}, output logits {@code (batch, classes)}.
 *
 * <p>Threads and saved parameters: as for every {@link TransformerFamily} (see the package
 * description).
 */
public final class SwinTransformer extends TransformerFamily {

    private final int imageSize;
    private final int channels;
    private final int patchSize;
    private final int window;
    private final int[] stageDepths;
    private final WindowTokenLayout layout;
    private final Linear patchEmbedding;
    private final LayerNorm embeddingNorm;
    /** Per stage: its blocks, then (except after the last) a merge. */
    private final List<Block> sequence = new ArrayList<>();
    /** Per layer: its windows. */
    private final List<ShiftedWindows> windows = new ArrayList<>();
    private final int[] stageOfLayer;
    private final LayerNorm norm;
    private final Linear head;

    private SwinTransformer(Builder b) {
        super(b);
        imageSize = b.imageSize;
        channels = b.channels;
        patchSize = b.patchSize;
        window = b.window;
        stageDepths = b.stageDepths.clone();
        layout = new WindowTokenLayout(window);
        patchEmbedding = addChildBlock("patch_embedding", Linear.builder().setUnits(width).build());
        embeddingNorm = addChildBlock("embedding_norm", LayerNorm.builder().axis(2).build());
        stageOfLayer = new int[depth];
        int grid = imageSize / patchSize;
        int w = width;
        int l = 0;
        for (int s = 0; s < stageDepths.length; s++) {
            for (int i = 0; i < stageDepths[s]; i++) {
                int shift = i % 2 == 1 && grid > window ? window / 2 : 0;
                ShiftedWindows g = new ShiftedWindows(grid, window, shift);
                sequence.add(addChildBlock("stage" + s + "_block" + i, PreNormEncoderLayer.swin(g, w, heads, mlpRatio)));
                windows.add(g);
                stageOfLayer[l++] = s;
            }
            if (s < stageDepths.length - 1) {
                sequence.add(addChildBlock("merge" + s, new PatchMerging(grid, w)));
                grid /= 2;
                w *= 2;
            }
        }
        norm = addChildBlock("norm", LayerNorm.builder().axis(2).build());
        head = addChildBlock("head", Linear.builder().setUnits(classes).build());
        AttentionLayers.of(this); // number the layers now, so interceptors work before any wrapping
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = pooledFeatures(ps, inputs.singletonOrThrow(), training);
        return head.forward(ps, new NDList(h), training);
    }

    /**
     * The representation the classifier head reads: the last stage's tokens, normalised and averaged,
     * one vector per image. Part of the same graph as {@code forward}, so gradients reach the input.
     *
     * @param ps the parameter store
     * @param x images {@code (batch, channels, size, size)}
     * @param training whether training
     * @return {@code (batch, width of the last stage)}
     */
    public NDArray pooledFeatures(ParameterStore ps, NDArray x, boolean training) {
        Shape s = x.getShape();
        requireInput(s, "images");
        long b = s.get(0);
        long g = imageSize / patchSize;
        NDArray patches = x.reshape(b, channels, g, patchSize, g, patchSize).transpose(0, 2, 4, 1, 3, 5)
                .reshape(b, g * g, (long) channels * patchSize * patchSize);
        NDArray h = patchEmbedding.forward(ps, new NDList(patches), training).singletonOrThrow();
        h = embeddingNorm.forward(ps, new NDList(h), training).singletonOrThrow();
        for (Block block : sequence) {
            h = block.forward(ps, new NDList(h), training).singletonOrThrow();
        }
        return norm.forward(ps, new NDList(h), training).singletonOrThrow().mean(new int[] {1});
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long b = inputShapes[0].get(0);
        long g = imageSize / patchSize;
        patchEmbedding.initialize(manager, dataType, new Shape(b, g * g, (long) channels * patchSize * patchSize));
        Shape tokens = new Shape(b, g * g, width);
        embeddingNorm.initialize(manager, dataType, tokens);
        for (Block block : sequence) {
            block.initialize(manager, dataType, tokens);
            tokens = block.getOutputShapes(new Shape[] {tokens})[0];
        }
        norm.initialize(manager, dataType, tokens);
        head.initialize(manager, dataType, new Shape(b, tokens.get(2)));
    }

    /**
     * @param layer an attention layer
     * @return how many maps (windows) layer {@code layer} produces per sample
     */
    @Override
    public int mapsPerSample(int layer) {
        return windows.get(checkLayer(layer)).windows;
    }

    /** @return the tokens of the first stage's grid, where flags of every layer are collected */
    @Override
    public int sampleTokens() {
        int g = imageSize / patchSize;
        return g * g;
    }

    /**
     * Window columns → first-stage grid tokens: undo the layer's window partition and shift, then
     * give each first-stage token the value of the merged token (stage {@code s}: a {@code 2^s ×
     * 2^s} block) that holds it.
     */
    @Override
    public NDArray foldToSample(int layer, NDArray perMap) {
        ShiftedWindows g = windows.get(checkLayer(layer));
        long n = (long) g.window * g.window;
        long b = perMap.getShape().get(0) / g.windows;
        long f = 1L << stageOfLayer[layer];
        NDArray grid = TokenGather.rows(perMap.reshape(b, g.windows * n, 1), g.inverse);
        return grid.reshape(b, g.grid, 1, g.grid, 1).broadcast(new Shape(b, g.grid, f, g.grid, f))
                .reshape(b, (long) sampleTokens());
    }

    /**
     * First-stage grid tokens → window columns: each merged token takes the largest value of its
     * {@code 2^s × 2^s} block, then the layer's shift and window partition are applied.
     */
    @Override
    public NDArray unfoldToMaps(int layer, NDArray perSample) {
        ShiftedWindows g = windows.get(checkLayer(layer));
        long n = (long) g.window * g.window;
        long b = perSample.getShape().get(0);
        long f = 1L << stageOfLayer[layer];
        NDArray grid = perSample.reshape(b, g.grid, f, g.grid, f).max(new int[] {4}).max(new int[] {2})
                .reshape(b, (long) g.grid * g.grid, 1);
        return TokenGather.rows(grid, g.partition).reshape(b * g.windows, n);
    }

    /**
     * @param layer an attention layer
     * @return its stage, from 0
     */
    public int stageOf(int layer) {
        return stageOfLayer[checkLayer(layer)];
    }

    /**
     * @param layer an attention layer
     * @return its cyclic shift in tokens (0 for regular windows)
     */
    public int shiftOf(int layer) {
        return windows.get(checkLayer(layer)).shift;
    }

    /**
     * The stage-grid tokens behind each window's columns: {@code windowTokens(l)[w][j]} is the
     * row-major index, on layer {@code l}'s stage grid, of column {@code j} of window {@code w}.
     *
     * @param layer an attention layer
     * @return {@code [windows][window²]}
     */
    public int[][] windowTokens(int layer) {
        return windows.get(checkLayer(layer)).windowTokens();
    }

    /**
     * The pixel region of one column of one window's map: the patches merged into that stage-grid
     * token.
     *
     * @param layer an attention layer
     * @param window a window of that layer
     * @param column a column of its map
     * @return {@code {row0, col0, row1 (exclusive), col1 (exclusive)}}
     */
    public int[] region(int layer, int window, int column) {
        ShiftedWindows g = windows.get(checkLayer(layer));
        if (window < 0 || window >= g.windows || column < 0 || column >= g.window * g.window) {
            throw new IndexOutOfBoundsException("layer " + layer + " has " + g.windows + " windows of "
                    + g.window * g.window + " columns; asked for window " + window + ", column " + column);
        }
        int t = (int) g.partition[window * g.window * g.window + column];
        int side = patchSize << stageOfLayer[layer];
        int r = t / g.grid;
        int c = t % g.grid;
        return new int[] {r * side, c * side, (r + 1) * side, (c + 1) * side};
    }

    private int checkLayer(int layer) {
        if (layer < 0 || layer >= depth) {
            throw new IndexOutOfBoundsException("layer " + layer + " outside [0, " + depth + ")");
        }
        return layer;
    }

    @Override
    public Shape sampleInputShape() {
        return new Shape(channels, imageSize, imageSize);
    }

    /** @return the layout of one window's map; see {@link #region(int, int, int)} for the image */
    @Override
    public WindowTokenLayout tokenLayout() {
        return layout;
    }

    /** @return the width of the first stage (stage {@code s} has {@code width · 2^s}) */
    @Override
    public int width() {
        return width;
    }

    @Override
    public String fingerprint() {
        return "SwinTransformer(image=" + imageSize + ",channels=" + channels + ",patch=" + patchSize + ",window="
                + window + ",stages=" + Arrays.toString(stageDepths) + ",width=" + width + ",heads=" + heads
                + ",mlpRatio=" + mlpRatio + ",classes=" + classes + ")";
    }

    /**
     * Patch merging: each 2 × 2 group of neighbouring tokens concatenated, normalised and projected
     * to twice the width, {@code (B, grid², width)} → {@code (B, (grid / 2)², 2·width)}.
     */
    private static final class PatchMerging extends AbstractBlock {
        private final int grid;
        private final int width;
        private final LayerNorm norm;
        private final Linear reduction;

        PatchMerging(int grid, int width) {
            this.grid = grid;
            this.width = width;
            norm = addChildBlock("norm", LayerNorm.builder().axis(2).build());
            reduction = addChildBlock("reduction", Linear.builder().setUnits(2L * width).optBias(false).build());
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            long b = x.getShape().get(0);
            long half = grid / 2;
            // (B, g·g, C) -> (B, g/2, 2, g/2, 2, C) -> (B, g/2, g/2, 2, 2, C) -> (B, (g/2)², 4C)
            NDArray merged = x.reshape(b, half, 2, half, 2, width).transpose(0, 1, 3, 2, 4, 5)
                    .reshape(b, half * half, 4L * width);
            NDArray h = norm.forward(ps, new NDList(merged), training).singletonOrThrow();
            return reduction.forward(ps, new NDList(h), training);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            long half = grid / 2;
            return new Shape[] {new Shape(inputShapes[0].get(0), half * half, 2L * width)};
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            long half = grid / 2;
            Shape s = new Shape(inputShapes[0].get(0), half * half, 4L * width);
            norm.initialize(manager, dataType, s);
            reduction.initialize(manager, dataType, s);
        }
    }

    /**
     * Builds a {@link SwinTransformer}. The stage depths give the layers ({@link #setDepth}, if
     * called, must equal their sum); width and heads are the first stage's.
     */
    public static final class Builder extends EncoderBuilder<Builder> {
        private int imageSize;
        private int channels = 1;
        private int patchSize;
        private int window;
        private int[] stageDepths = new int[0];

        private Builder() {}

        /**
         * @param v square image side in pixels
         * @return this
         */
        public Builder setImageSize(int v) {
            imageSize = v;
            return this;
        }

        /**
         * @param v input channels (default 1)
         * @return this
         */
        public Builder optChannels(int v) {
            channels = v;
            return this;
        }

        /**
         * @param v patch side in pixels; must divide the image size
         * @return this
         */
        public Builder setPatchSize(int v) {
            patchSize = v;
            return this;
        }

        /**
         * @param v window side in tokens (Swin's is 7)
         * @return this
         */
        public Builder setWindowSize(int v) {
            window = v;
            return this;
        }

        /**
         * @param depths blocks per stage (pairs of regular and shifted windows, e.g. {@code 2, 2});
         *     a patch merging halves the grid between stages
         * @return this
         */
        public Builder setStageDepths(int... depths) {
            stageDepths = depths.clone();
            return this;
        }

        /** @return the model block, uninitialised */
        public SwinTransformer build() {
            requirePositive("image size", imageSize);
            requirePositive("channels", channels);
            requirePositive("patch size", patchSize);
            requirePositive("window size", window);
            if (stageDepths.length == 0) {
                throw new IllegalArgumentException("stage depths must be set, e.g. setStageDepths(2, 2)");
            }
            int sum = 0;
            for (int d : stageDepths) {
                requirePositive("every stage depth", d);
                sum += d;
            }
            if (depth != 0 && depth != sum) {
                throw new IllegalArgumentException("depth " + depth + " differs from the sum of the stage depths "
                        + Arrays.toString(stageDepths) + " = " + sum + "; leave it unset");
            }
            depth = sum;
            validateEncoder();
            if (imageSize % patchSize != 0) {
                throw new IllegalArgumentException("patch size " + patchSize + " must divide image size " + imageSize);
            }
            int grid = imageSize / patchSize;
            for (int s = 0; s < stageDepths.length; s++) {
                int win = Math.min(window, grid);
                if (grid % win != 0) {
                    throw new IllegalArgumentException("stage " + s + "'s " + grid + " × " + grid
                            + " token grid is not a whole number of " + win + " × " + win + " windows");
                }
                if (win != window) {
                    throw new IllegalArgumentException("stage " + s + "'s grid (" + grid + ") is smaller than the window ("
                            + window + "): every layer's maps must be window² wide for Q and the detector; "
                            + "use fewer stages or a smaller window");
                }
                if (s < stageDepths.length - 1 && grid % 2 != 0) {
                    throw new IllegalArgumentException("patch merging after stage " + s + " needs an even grid, got " + grid);
                }
                grid = s < stageDepths.length - 1 ? grid / 2 : grid;
            }
            return new SwinTransformer(this);
        }
    }
}
