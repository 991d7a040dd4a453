package org.atpatch.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.TruncatedNormalInitializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import org.atpatch.core.FeatureTokenLayout;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.model.internal.CategoricalCodes;
import org.atpatch.djl.model.internal.PreNormEncoderLayer;

/**
 * FT-Transformer (Gorishniy et al., 2021) built from encoder {@link PreNormEncoderLayer}s: a feature
 * tokenizer turns each numeric feature {@code x_f} into {@code x_f·W_f + b_f} and each categorical
 * feature into its value's embedding plus a per-feature bias, a CLS token is put at column 0, then
 * {@code depth} encoder layers, a final norm, ReLU and a linear head on CLS.
 *
 * <p>Input {@code (batch, numeric + categorical)} floats: the numeric features first, in the order
 * given, then each categorical feature's integer code in {@code [0, cardinality)}. Output logits
 * {@code (batch, classes)}. Each feature is one token, so a protected attribute is a column the
 * attention can over-attend to. Token layout: a {@link FeatureTokenLayout} with CLS at column 0,
 * then the numeric and the categorical features in input order.
 *
 * <p>Threads and saved parameters: as for every {@link TransformerFamily} (see the package
 * description).
 */
public final class FTTransformer extends TransformerFamily {

    private final List<String> numeric;
    private final List<String> categorical;
    private final int[] cardinalities;
    private final FeatureTokenLayout layout;
    private final Parameter numericWeight;
    private final Parameter numericBias;
    private final Parameter categoryEmbedding;
    private final Parameter categoryBias;
    private final Parameter cls;
    private final List<PreNormEncoderLayer> layers = new ArrayList<>();
    private final LayerNorm norm;
    private final Linear head;
    private final CategoricalCodes codes;

    private FTTransformer(Builder b) {
        super(b);
        numeric = List.copyOf(b.numeric);
        categorical = List.copyOf(b.categorical);
        cardinalities = b.cardinalities.stream().mapToInt(Integer::intValue).toArray();
        List<String> all = new ArrayList<>(numeric);
        all.addAll(categorical);
        layout = new FeatureTokenLayout(all, true);
        codes = new CategoricalCodes(categorical, cardinalities);
        int total = codes.total();
        TruncatedNormalInitializer init = new TruncatedNormalInitializer(0.02f);
        numericWeight = numeric.isEmpty() ? null : param("numeric_weight", new Shape(numeric.size(), width), init);
        numericBias = numeric.isEmpty() ? null : param("numeric_bias", new Shape(numeric.size(), width), init);
        categoryEmbedding = categorical.isEmpty() ? null : param("category_embedding", new Shape(total, width), init);
        categoryBias = categorical.isEmpty() ? null : param("category_bias", new Shape(categorical.size(), width), init);
        cls = param("cls", new Shape(1, 1, width), init);
        for (int l = 0; l < depth; l++) {
            layers.add(addChildBlock("layer" + l, new PreNormEncoderLayer(width, heads, mlpRatio)));
        }
        norm = addChildBlock("norm", LayerNorm.builder().axis(1).build());
        head = addChildBlock("head", Linear.builder().setUnits(classes).build());
        AttentionLayers.of(this); // number the layers now, so interceptors work before any wrapping
    }

    private Parameter param(String name, Shape shape, TruncatedNormalInitializer init) {
        return addParameter(Parameter.builder()
                .setName(name)
                .setType(Parameter.Type.WEIGHT)
                .optShape(shape)
                .optInitializer(init)
                .build());
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
        int features = numeric.size() + categorical.size();
        if (s.dimension() != 2 || s.get(1) != features) {
            throw new IllegalArgumentException("FTTransformer expects (batch, " + features + ") features ("
                    + numeric.size() + " numeric, then " + categorical.size() + " categorical codes), got " + s);
        }
        long b = s.get(0);
        NDManager m = x.getManager();
        NDList tokens = new NDList();
        tokens.add(m.zeros(new Shape(b, 1, width), x.getDataType(), x.getDevice())
                .add(ps.getValue(cls, x.getDevice(), training)));
        if (!numeric.isEmpty()) {
            NDArray num = x.get(":, 0:" + numeric.size()).expandDims(2);
            tokens.add(num.mul(ps.getValue(numericWeight, x.getDevice(), training))
                    .add(ps.getValue(numericBias, x.getDevice(), training)));
        }
        if (!categorical.isEmpty()) {
            NDArray oneHot = codes.oneHot(x.get(":, " + numeric.size() + ":"));
            tokens.add(oneHot.matMul(ps.getValue(categoryEmbedding, x.getDevice(), training))
                    .add(ps.getValue(categoryBias, x.getDevice(), training)));
        }
        NDArray h = NDArrays.concat(tokens, 1);
        for (PreNormEncoderLayer layer : layers) {
            h = layer.forward(ps, new NDList(h), training).singletonOrThrow();
        }
        NDArray first = h.get(":, 0, :");
        NDArray normed = Activation.relu(norm.forward(ps, new NDList(first), training).singletonOrThrow());
        return head.forward(ps, new NDList(normed), training);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long b = inputShapes[0].get(0);
        Shape tokens = new Shape(b, layout.size(), width);
        for (PreNormEncoderLayer layer : layers) {
            layer.initialize(manager, dataType, tokens);
        }
        norm.initialize(manager, dataType, new Shape(b, width));
        head.initialize(manager, dataType, new Shape(b, width));
    }

    @Override
    public Shape sampleInputShape() {
        return new Shape(numeric.size() + categorical.size());
    }

    @Override
    public FeatureTokenLayout tokenLayout() {
        return layout;
    }

    @Override
    public String fingerprint() {
        return "FTTransformer(numeric=" + numeric + ",categorical=" + categorical + ",cardinalities="
                + java.util.Arrays.toString(cardinalities) + ",depth=" + depth + ",width=" + width
                + ",heads=" + heads + ",mlpRatio=" + mlpRatio + ",classes=" + classes + ")";
    }

    /** Builds an {@link FTTransformer}. */
    public static final class Builder extends EncoderBuilder<Builder> {
        private final List<String> numeric = new ArrayList<>();
        private final List<String> categorical = new ArrayList<>();
        private final List<Integer> cardinalities = new ArrayList<>();

        private Builder() {}

        /**
         * @param name a numeric feature, in input order
         * @return this
         */
        public Builder addNumericFeature(String name) {
            numeric.add(name);
            return this;
        }

        /**
         * @param name a categorical feature, in input order after all numeric ones
         * @param cardinality how many values it takes
         * @return this
         */
        public Builder addCategoricalFeature(String name, int cardinality) {
            if (cardinality <= 0) {
                throw new IllegalArgumentException("feature '" + name + "' needs a positive cardinality, got " + cardinality);
            }
            categorical.add(name);
            cardinalities.add(cardinality);
            return this;
        }

        /** @return the model block, uninitialised */
        public FTTransformer build() {
            if (numeric.isEmpty() && categorical.isEmpty()) {
                throw new IllegalArgumentException("an FTTransformer needs at least one feature");
            }
            java.util.Set<String> names = new java.util.HashSet<>(numeric);
            for (String c : categorical) {
                if (!names.add(c)) {
                    throw new IllegalArgumentException("feature name '" + c + "' is used twice");
                }
            }
            validateEncoder();
            return new FTTransformer(this);
        }
    }
}
