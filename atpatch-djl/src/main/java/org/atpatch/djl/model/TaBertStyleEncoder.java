package org.atpatch.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.TruncatedNormalInitializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.atpatch.core.SerialisedRowLayout;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.model.internal.CategoricalCodes;
import org.atpatch.djl.model.internal.PreNormEncoderLayer;

/**
 * A TaBERT-style encoder (after Yin et al., 2020): a transformer over the serialised table row.
 * Each feature contributes two tokens, its column name and its value, and a CLS token leads the
 * sequence: {@code [CLS, name_1, value_1, name_2, value_2, ...]}. A column name is one learned
 * embedding (not word pieces), a value token is the embedding of the feature's value: the category
 * for a categorical feature, the bucket for a numeric feature (buckets from the boundaries given to
 * the builder). Learned position embeddings, {@code depth} encoder {@link PreNormEncoderLayer}s, a
 * final norm and a linear head on CLS (the trunk {@link VisionTransformer} also has).
 *
 * <p><b>Trained from scratch.</b> The original TaBERT is a BERT pre-trained on text and tables; no
 * pretrained weights are used or available here, so this is the architecture's shape (row
 * serialisation, name and value tokens, a transformer over them) with every weight learned from the
 * task's own data.
 *
 * <p>Input {@code (batch, numeric + categorical)} floats: the numeric features' raw values first
 * (in the order added; bucketed inside the model, must be finite), then each categorical feature's
 * integer code in {@code [0, cardinality)}. The serialisation follows the same order. Output logits
 * {@code (batch, classes)}.
 *
 * <p>Token layout: a {@link SerialisedRowLayout}; a protected attribute owns two columns, its name
 * and its value token ({@link SerialisedRowLayout#columnsOf}), both of which the detector may flag.
 *
 * <p>Threads and saved parameters: as for every {@link TransformerFamily} (see the package
 * description).
 */
public final class TaBertStyleEncoder extends TransformerFamily {

    private final List<String> numeric;
    private final List<String> categorical;
    private final double[][] boundaries;
    private final CategoricalCodes values;
    private final SerialisedRowLayout layout;
    private final float[] paddedBoundaries;
    private final int maxBoundaries;
    private final Parameter nameEmbedding;
    private final Parameter valueEmbedding;
    private final ClsEncoder encoder;

    private TaBertStyleEncoder(Builder b) {
        super(b);
        numeric = List.copyOf(b.numeric);
        categorical = List.copyOf(b.categorical);
        boundaries = b.boundaries.stream().map(double[]::clone).toArray(double[][]::new);
        List<String> all = new ArrayList<>(numeric);
        all.addAll(categorical);
        layout = new SerialisedRowLayout(all);
        int[] cards = new int[all.size()];
        int maxB = 0;
        for (int i = 0; i < numeric.size(); i++) {
            cards[i] = boundaries[i].length + 1;
            maxB = Math.max(maxB, boundaries[i].length);
        }
        int[] cat = b.cardinalityArray();
        System.arraycopy(cat, 0, cards, numeric.size(), cat.length);
        values = new CategoricalCodes(all, cards);
        maxBoundaries = maxB;
        paddedBoundaries = new float[numeric.size() * maxB];
        Arrays.fill(paddedBoundaries, Float.POSITIVE_INFINITY);
        for (int i = 0; i < numeric.size(); i++) {
            for (int k = 0; k < boundaries[i].length; k++) {
                paddedBoundaries[i * maxB + k] = (float) boundaries[i][k];
            }
        }
        TruncatedNormalInitializer init = new TruncatedNormalInitializer(0.02f);
        nameEmbedding = param("name_embedding", new Shape(all.size(), width), init);
        valueEmbedding = param("value_embedding", new Shape(values.total(), width), init);
        encoder = addChildBlock("encoder", new ClsEncoder(2 * all.size(), b));
        AttentionLayers.of(this); // number the layers now, so interceptors work before any wrapping
    }

    private Parameter param(String name, Shape shape, TruncatedNormalInitializer init) {
        return addParameter(Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optShape(shape)
                .optInitializer(init).build());
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
        int features = layout.features().size();
        requireInput(s, "features (" + numeric.size() + " numeric values, then " + categorical.size()
                + " categorical codes)");
        long b = s.get(0);
        NDManager m = x.getManager();
        NDArray codes = x;
        if (!numeric.isEmpty()) {
            NDArray num = x.get(":, 0:" + numeric.size());
            if (num.isNaN().logicalOr(num.isInfinite()).any().getBoolean()) {
                throw new IllegalArgumentException("numeric features " + numeric + " must be finite (they are bucketed)");
            }
            NDArray bounds = m.create(paddedBoundaries, new Shape(1, numeric.size(), maxBoundaries))
                    .toDevice(x.getDevice(), false);
            NDArray buckets = num.expandDims(2).gte(bounds).toType(x.getDataType(), false).sum(new int[] {2});
            codes = categorical.isEmpty() ? buckets
                    : NDArrays.concat(new NDList(buckets, x.get(":, " + numeric.size() + ":")), 1);
        }
        NDArray valueTokens = values.oneHot(codes).matMul(ps.getValue(valueEmbedding, x.getDevice(), training));
        NDArray nameTokens = m.zeros(new Shape(b, features, width), x.getDataType(), x.getDevice())
                .add(ps.getValue(nameEmbedding, x.getDevice(), training));
        // (B, F, 2, W) -> (B, 2F, W): name_1, value_1, name_2, value_2, ...
        NDArray pairs = NDArrays.stack(new NDList(nameTokens, valueTokens), 2).reshape(b, 2L * features, width);
        return encoder.forward(ps, new NDList(pairs), training);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        encoder.initialize(manager, dataType, new Shape(inputShapes[0].get(0), 2L * layout.features().size(), width));
    }

    @Override
    public Shape sampleInputShape() {
        return new Shape(layout.features().size());
    }

    @Override
    public SerialisedRowLayout tokenLayout() {
        return layout;
    }

    @Override
    public String fingerprint() {
        StringBuilder nb = new StringBuilder();
        for (int i = 0; i < numeric.size(); i++) {
            nb.append(i == 0 ? "" : ",").append(numeric.get(i)).append(Arrays.toString(boundaries[i]));
        }
        return "TaBertStyleEncoder(numeric=[" + nb + "],categorical=" + values.describe() + ",depth=" + depth
                + ",width=" + width + ",heads=" + heads + ",mlpRatio=" + mlpRatio + ",classes=" + classes + ")";
    }

    /** Builds a {@link TaBertStyleEncoder}; at least one feature and the encoder sizes are required. */
    public static final class Builder extends TabularEncoderBuilder<Builder> {
        private final List<String> numeric = new ArrayList<>();
        private final List<double[]> boundaries = new ArrayList<>();

        private Builder() {}

        /**
         * @param name a numeric feature, in input order before the categorical ones
         * @param bucketBoundaries finite, strictly increasing; a value {@code x} falls in bucket
         *     {@code #{k : x >= boundary_k}}, so {@code n} boundaries make {@code n + 1} buckets
         * @return this
         */
        public Builder addNumericFeature(String name, double... bucketBoundaries) {
            if (bucketBoundaries.length == 0) {
                throw new IllegalArgumentException("numeric feature '" + name + "' needs at least one bucket boundary");
            }
            for (int k = 0; k < bucketBoundaries.length; k++) {
                if (!Double.isFinite(bucketBoundaries[k]) || (k > 0 && bucketBoundaries[k] <= bucketBoundaries[k - 1])) {
                    throw new IllegalArgumentException("bucket boundaries of '" + name
                            + "' must be finite and strictly increasing, got " + Arrays.toString(bucketBoundaries));
                }
            }
            numeric.add(name);
            boundaries.add(bucketBoundaries.clone());
            return this;
        }

        /** @return the model block, uninitialised */
        public TaBertStyleEncoder build() {
            validateTabular("TaBertStyleEncoder", numeric);
            return new TaBertStyleEncoder(this);
        }
    }
}
