package org.atpatch.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.TruncatedNormalInitializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import org.atpatch.core.ImagePatchLayout;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.model.internal.PreNormEncoderLayer;

/**
 * A vision transformer (Dosovitskiy et al.) built from encoder {@link PreNormEncoderLayer}s:
 * non-overlapping square patches → linear embedding, a CLS token at column 0, learned position
 * embeddings, {@code depth} encoder layers, a final norm and a linear head on CLS. Input {@code
 * (batch, channels, size, size)}, output logits {@code (batch, classes)}. Token layout: an {@link
 * ImagePatchLayout}, CLS at column 0, then the patches row-major.
 *
 * <p>Threads and saved parameters: as for every {@link TransformerFamily} (see the package
 * description).
 */
public final class VisionTransformer extends TransformerFamily {

    private final int imageSize;
    private final int channels;
    private final int patchSize;
    private final float layerNormEpsilon;
    private final ImagePatchLayout layout;
    private final Linear patchEmbedding;
    private final Parameter cls;
    private final Parameter position;
    private final List<PreNormEncoderLayer> layers = new ArrayList<>();
    private final LayerNorm norm;
    private final Linear head;

    private VisionTransformer(Builder b) {
        super(b);
        imageSize = b.imageSize;
        channels = b.channels;
        patchSize = b.patchSize;
        layerNormEpsilon = b.layerNormEpsilon;
        layout = new ImagePatchLayout(imageSize, imageSize, patchSize, true);
        patchEmbedding = addChildBlock("patch_embedding", Linear.builder().setUnits(width).build());
        cls = addParameter(Parameter.builder()
                .setName("cls")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(1, 1, width))
                .optInitializer(new TruncatedNormalInitializer(0.02f))
                .build());
        position = addParameter(Parameter.builder()
                .setName("position")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(1, layout.size(), width))
                .optInitializer(new TruncatedNormalInitializer(0.02f))
                .build());
        for (int l = 0; l < depth; l++) {
            layers.add(addChildBlock("layer" + l, new PreNormEncoderLayer(width, heads, mlpRatio, layerNormEpsilon)));
        }
        norm = addChildBlock("norm", LayerNorm.builder().axis(1).optEpsilon(layerNormEpsilon).build());
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
        NDArray x = inputs.singletonOrThrow();
        Shape expected = sampleInputShape();
        Shape s = x.getShape();
        if (s.dimension() != 4 || !s.slice(1).equals(expected)) {
            throw new IllegalArgumentException("VisionTransformer expects images shaped (batch, "
                    + channels + ", " + imageSize + ", " + imageSize + "), got " + s);
        }
        long b = s.get(0);
        long g = imageSize / patchSize;
        // (B, C, g, p, g, p) -> (B, g, g, C, p, p) -> (B, g*g, C*p*p)
        NDArray patches = x.reshape(b, channels, g, patchSize, g, patchSize)
                .transpose(0, 2, 4, 1, 3, 5)
                .reshape(b, g * g, (long) channels * patchSize * patchSize);
        NDArray tokens = patchEmbedding.forward(ps, new NDList(patches), training).singletonOrThrow();
        // Start from batch arrays, never from a parameter, so results stay in the batch's manager.
        NDArray clsTokens = tokens.getManager()
                .zeros(new Shape(b, 1, width), tokens.getDataType(), tokens.getDevice())
                .add(ps.getValue(cls, tokens.getDevice(), training));
        NDArray h = NDArrays.concat(new NDList(clsTokens, tokens), 1)
                .add(ps.getValue(position, tokens.getDevice(), training));
        for (PreNormEncoderLayer layer : layers) {
            h = layer.forward(ps, new NDList(h), training).singletonOrThrow();
        }
        NDArray first = h.get(":, 0, :");
        NDArray normed = norm.forward(ps, new NDList(first), training).singletonOrThrow();
        return head.forward(ps, new NDList(normed), training);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long b = inputShapes[0].get(0);
        patchEmbedding.initialize(manager, dataType, new Shape(b, layout.patches(), (long) channels * patchSize * patchSize));
        Shape tokens = new Shape(b, layout.size(), width);
        for (PreNormEncoderLayer layer : layers) {
            layer.initialize(manager, dataType, tokens);
        }
        norm.initialize(manager, dataType, new Shape(b, width));
        head.initialize(manager, dataType, new Shape(b, width));
    }

    @Override
    public Shape sampleInputShape() {
        return new Shape(channels, imageSize, imageSize);
    }

    /** @return the patch side in pixels */
    public int patchSize() {
        return patchSize;
    }

    /** @return the epsilon of every LayerNorm */
    public float layerNormEpsilon() {
        return layerNormEpsilon;
    }

    @Override
    public ImagePatchLayout tokenLayout() {
        return layout;
    }

    @Override
    public String fingerprint() {
        return "VisionTransformer(image=" + imageSize + ",channels=" + channels + ",patch=" + patchSize
                + ",depth=" + depth + ",width=" + width + ",heads=" + heads + ",mlpRatio=" + mlpRatio
                + ",classes=" + classes
                + (layerNormEpsilon == PreNormEncoderLayer.DEFAULT_EPSILON ? "" : ",layerNormEpsilon=" + layerNormEpsilon) + ")";
    }

    /** Builds a {@link VisionTransformer}; sizes are required unless marked optional. */
    public static final class Builder extends EncoderBuilder<Builder> {
        private int imageSize;
        private int channels = 1;
        private int patchSize;
        private float layerNormEpsilon = PreNormEncoderLayer.DEFAULT_EPSILON;

        private Builder() {}

        /**
         * @param v the epsilon of every LayerNorm (default 1e-5, DJL's); imported weights take their
         *     source's (timm 1e-6, Hugging Face 1e-12). Not a parameter: it is part of the
         *     architecture and of its fingerprint when not the default.
         * @return this
         */
        public Builder optLayerNormEpsilon(float v) {
            layerNormEpsilon = v;
            return this;
        }

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

        /** @return the model block, uninitialised */
        public VisionTransformer build() {
            requirePositive("image size", imageSize);
            requirePositive("channels", channels);
            requirePositive("patch size", patchSize);
            if (!(layerNormEpsilon > 0)) {
                throw new IllegalArgumentException("LayerNorm epsilon must be positive, got " + layerNormEpsilon);
            }
            validateEncoder();
            if (imageSize % patchSize != 0) {
                throw new IllegalArgumentException(
                        "patch size " + patchSize + " must divide image size " + imageSize);
            }
            return new VisionTransformer(this);
        }
    }
}
