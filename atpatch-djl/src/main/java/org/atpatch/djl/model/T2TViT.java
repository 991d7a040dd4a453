package org.atpatch.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import org.atpatch.core.ImageRegionLayout;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.model.internal.PreNormEncoderLayer;
import org.atpatch.djl.model.internal.SoftSplit;

/**
 * T2T-ViT (Yuan et al., 2021): a tokens-to-token module feeding a ViT backbone. The image's pixels
 * are a token grid; each soft split unfolds overlapping {@code kernel × kernel} windows into tokens,
 * and between two soft splits a linear projection to the token width and a small token transformer
 * (a tokens-to-token {@link PreNormEncoderLayer}, {@link PreNormEncoderLayer#tokensToToken}: single
 * head, not interceptable) run before the tokens are laid back on their grid
 * (re-structurisation) for the next split. After the last split a linear projection to the model
 * width gives the backbone tokens; a CLS token at column 0, learned position embeddings, {@code
 * depth} encoder {@link PreNormEncoderLayer}s, a final norm and a linear head on CLS follow.
 *
 * <p>Only the backbone's attention is interceptable (layers {@code 0 .. depth-1}); the token
 * transformers' maps live on the finer soft-split grids and are not maps of the patched layers.
 *
 * <p>Input {@code (batch, channels, size, size)}, output logits {@code (batch, classes)}.
 *
 * <p>Token layout: an {@link ImageRegionLayout} with CLS at column 0 and the backbone grid in
 * row-major order. Each token's region is its receptive field through the soft splits alone: the
 * pixels its chain of unfold windows reads, clipped to the image. Neighbouring regions overlap
 * (wherever a stride is below its kernel), so a pixel belongs to several columns. The region
 * ignores the token transformers, which mix every token of a grid with every other: it is where a
 * token's own input comes from, not the only pixels it depends on. Its translation step is the
 * product of the splits' strides: an image moved by it moves every unpadded unfold window one grid
 * cell over, so a debugging set can place an inverted trigger at every such shift.
 *
 * <p>Threads and saved parameters: as for every {@link TransformerFamily} (see the package
 * description).
 */
public final class T2TViT extends TransformerFamily {

    private final int imageSize;
    private final int channels;
    private final int tokenWidth;
    private final List<SoftSplit> splits = new ArrayList<>();
    private final List<Linear> projections = new ArrayList<>();
    private final List<PreNormEncoderLayer> tokenLayers = new ArrayList<>();
    private final ClsEncoder backbone;
    private final ImageRegionLayout layout;

    private T2TViT(Builder b) {
        super(b);
        imageSize = b.imageSize;
        channels = b.channels;
        tokenWidth = b.tokenWidth;
        int side = imageSize;
        for (int[] ksp : b.splits) {
            SoftSplit s = new SoftSplit(ksp[0], ksp[1], ksp[2], side);
            splits.add(s);
            side = s.outSide;
        }
        for (int i = 0; i < splits.size(); i++) {
            boolean last = i == splits.size() - 1;
            projections.add(addChildBlock("project" + i, Linear.builder().setUnits(last ? width : tokenWidth).build()));
            if (!last) {
                tokenLayers.add(addChildBlock("t2t" + i, PreNormEncoderLayer.tokensToToken(tokenWidth, mlpRatio)));
            }
        }
        backbone = addChildBlock("backbone", new ClsEncoder(side * side, b));
        layout = regions(side);
        AttentionLayers.of(this); // number the layers now, so interceptors work before any wrapping
    }

    /** The receptive field of each backbone token through the chain of soft splits. */
    private ImageRegionLayout regions(int side) {
        int[][] regions = new int[side * side][];
        for (int r = 0; r < side; r++) {
            for (int c = 0; c < side; c++) {
                int[] rows = {r, r};
                int[] cols = {c, c};
                for (int i = splits.size() - 1; i >= 0; i--) {
                    rows = splits.get(i).inputSpan(rows[0], rows[1]);
                    cols = splits.get(i).inputSpan(cols[0], cols[1]);
                }
                regions[r * side + c] = new int[] {Math.max(0, rows[0]), Math.max(0, cols[0]),
                    Math.min(imageSize, rows[1] + 1), Math.min(imageSize, cols[1] + 1)};
            }
        }
        int step = 1;
        for (SoftSplit split : splits) {
            step *= split.stride;
        }
        return new ImageRegionLayout(imageSize, imageSize, side, side, regions, true, step,
                "receptive fields of overlapping soft splits " + splitsText());
    }

    private String splitsText() {
        StringBuilder s = new StringBuilder("[");
        for (SoftSplit sp : splits) {
            s.append(s.length() > 1 ? "," : "").append("k").append(sp.kernel).append("s").append(sp.stride)
                    .append("p").append(sp.padding);
        }
        return s.append(']').toString();
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape s = x.getShape();
        requireInput(s, "images");
        long b = s.get(0);
        // Pixels as a row-major token grid: (B, C, S, S) -> (B, S·S, C).
        NDArray t = x.reshape(b, channels, (long) imageSize * imageSize).transpose(0, 2, 1);
        for (int i = 0; i < splits.size(); i++) {
            t = splits.get(i).apply(t);
            t = projections.get(i).forward(ps, new NDList(t), training).singletonOrThrow();
            if (i < tokenLayers.size()) {
                // Re-structurisation: the tokens are already a row-major grid for the next split.
                t = tokenLayers.get(i).forward(ps, new NDList(t), training).singletonOrThrow();
            }
        }
        return backbone.forward(ps, new NDList(t), training);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long b = inputShapes[0].get(0);
        long dim = channels;
        for (int i = 0; i < splits.size(); i++) {
            SoftSplit sp = splits.get(i);
            long n = (long) sp.outSide * sp.outSide;
            projections.get(i).initialize(manager, dataType, new Shape(b, n, dim * sp.kernel * sp.kernel));
            if (i < tokenLayers.size()) {
                tokenLayers.get(i).initialize(manager, dataType, new Shape(b, n, tokenWidth));
            }
            dim = tokenWidth;
        }
        backbone.initialize(manager, dataType, new Shape(b, (long) layout.rows() * layout.cols(), width));
    }

    @Override
    public Shape sampleInputShape() {
        return new Shape(channels, imageSize, imageSize);
    }

    @Override
    public ImageRegionLayout tokenLayout() {
        return layout;
    }

    @Override
    public String fingerprint() {
        return "T2TViT(image=" + imageSize + ",channels=" + channels + ",splits=" + splitsText() + ",tokenWidth="
                + tokenWidth + ",depth=" + depth + ",width=" + width + ",heads=" + heads + ",mlpRatio=" + mlpRatio
                + ",classes=" + classes + ")";
    }

    /**
     * Builds a {@link T2TViT}. Without {@link #addSoftSplit} calls the paper's three splits are
     * used ({@code k7 s4 p2, k3 s2 p1, k3 s2 p1}, made for 224-pixel images); small images want
     * smaller strides, e.g. {@code k3 s2 p1, k3 s1 p1, k3 s1 p1} on 32 × 32 CIFAR-10 (a 16 × 16
     * backbone grid) or {@code k3 s2 p1, k3 s2 p1, k3 s1 p1} (8 × 8).
     */
    public static final class Builder extends EncoderBuilder<Builder> {
        private int imageSize;
        private int channels = 3;
        private int tokenWidth = 64;
        private final List<int[]> splits = new ArrayList<>();

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
         * @param v input channels (default 3)
         * @return this
         */
        public Builder optChannels(int v) {
            channels = v;
            return this;
        }

        /**
         * @param v width of the tokens-to-token layers (default 64, the paper's)
         * @return this
         */
        public Builder optTokenWidth(int v) {
            tokenWidth = v;
            return this;
        }

        /**
         * Adds a soft split after the previous ones (the first one reads the image).
         *
         * @param kernel window side
         * @param stride step between windows
         * @param padding zero padding on each side, below the kernel
         * @return this
         */
        public Builder addSoftSplit(int kernel, int stride, int padding) {
            splits.add(new int[] {kernel, stride, padding});
            return this;
        }

        /** @return the model block, uninitialised */
        public T2TViT build() {
            requirePositive("image size", imageSize);
            requirePositive("channels", channels);
            requirePositive("token width", tokenWidth);
            validateEncoder();
            if (splits.isEmpty()) {
                splits.add(new int[] {7, 4, 2});
                splits.add(new int[] {3, 2, 1});
                splits.add(new int[] {3, 2, 1});
            }
            int side = imageSize;
            for (int i = 0; i < splits.size(); i++) {
                int[] kspl = splits.get(i);
                String name = "soft split " + i + " (kernel " + kspl[0] + ", stride " + kspl[1] + ", padding " + kspl[2] + ")";
                if (kspl[0] <= 0 || kspl[1] <= 0 || kspl[2] < 0 || kspl[2] >= kspl[0]) {
                    throw new IllegalArgumentException(name
                            + ": kernel and stride must be positive and padding in [0, kernel)");
                }
                int out = SoftSplit.outSide(kspl[0], kspl[1], kspl[2], side);
                if (out < 1) {
                    throw new IllegalArgumentException(name + " does not fit its " + side + " × " + side + " input grid");
                }
                side = out;
            }
            return new T2TViT(this);
        }
    }
}
