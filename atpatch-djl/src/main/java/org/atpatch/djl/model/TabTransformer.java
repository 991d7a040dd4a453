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
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.TruncatedNormalInitializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.atpatch.core.FeatureTokenLayout;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.model.internal.CategoricalCodes;
import org.atpatch.djl.model.internal.PreNormEncoderLayer;

/**
 * TabTransformer (Huang et al., 2020) built from encoder {@link PreNormEncoderLayer}s. Each categorical
 * feature becomes one token: its value's embedding plus a learned column embedding (the paper's
 * column identifier, here added rather than concatenated so the token keeps the model width). The
 * categorical tokens pass through {@code depth} encoder layers; their contextual embeddings are
 * flattened and concatenated with the numeric features, and an MLP head (ReLU hidden layers, see
 * {@link Builder#optHeadHidden}) gives the logits. Numeric features never enter the attention, as in
 * the original architecture. They enter the head as given: standardise them in preprocessing. Unlike
 * the paper, the model does not layer-normalise them per row, which over a handful of features
 * would erase their scale.
 *
 * <p>Input {@code (batch, numeric + categorical)} floats, the same convention as {@link
 * FTTransformer}: the numeric features first, in the order added, then each categorical feature's
 * integer code in {@code [0, cardinality)}. Output logits {@code (batch, classes)}.
 *
 * <p>Token layout: a {@link FeatureTokenLayout} without CLS whose column {@code j} is the {@code
 * j}-th categorical feature, so a categorical protected attribute (race, sex, bucketed age) is one
 * column the attention can over-attend to, and every column may be flagged. A numeric feature is not
 * a column: make a protected attribute categorical (bucket it) to debug it with AtPatch.
 *
 * <p>Threads and saved parameters: as for every {@link TransformerFamily} (see the package
 * description).
 */
public final class TabTransformer extends TransformerFamily {

    private final List<String> numeric;
    private final List<String> categorical;
    private final CategoricalCodes codes;
    private final int[] headHidden;
    private final FeatureTokenLayout layout;
    private final Parameter valueEmbedding;
    private final Parameter columnEmbedding;
    private final List<PreNormEncoderLayer> layers = new ArrayList<>();
    private final List<Linear> mlp = new ArrayList<>();

    private TabTransformer(Builder b) {
        super(b);
        numeric = List.copyOf(b.numeric);
        categorical = List.copyOf(b.categorical);
        codes = b.codes();
        headHidden = b.headHidden.clone();
        layout = new FeatureTokenLayout(categorical, false);
        TruncatedNormalInitializer init = new TruncatedNormalInitializer(0.02f);
        valueEmbedding = addParameter(Parameter.builder().setName("value_embedding").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(codes.total(), width)).optInitializer(init).build());
        columnEmbedding = addParameter(Parameter.builder().setName("column_embedding").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(categorical.size(), width)).optInitializer(init).build());
        for (int l = 0; l < depth; l++) {
            layers.add(addChildBlock("layer" + l, new PreNormEncoderLayer(width, heads, mlpRatio)));
        }
        for (int i = 0; i < headHidden.length; i++) {
            mlp.add(addChildBlock("head" + i, Linear.builder().setUnits(headHidden[i]).build()));
        }
        mlp.add(addChildBlock("head" + headHidden.length, Linear.builder().setUnits(classes).build()));
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
        Shape s = x.getShape();
        requireInput(s, "features (" + numeric.size() + " numeric, then " + categorical.size() + " categorical codes)");
        long b = s.get(0);
        NDArray oneHot = codes.oneHot(x.get(":, " + numeric.size() + ":"));
        NDArray h = oneHot.matMul(ps.getValue(valueEmbedding, x.getDevice(), training))
                .add(ps.getValue(columnEmbedding, x.getDevice(), training));
        for (PreNormEncoderLayer layer : layers) {
            h = layer.forward(ps, new NDList(h), training).singletonOrThrow();
        }
        NDArray z = h.reshape(b, (long) categorical.size() * width);
        if (!numeric.isEmpty()) {
            z = NDArrays.concat(new NDList(z, x.get(":, 0:" + numeric.size())), 1);
        }
        for (int i = 0; i < mlp.size(); i++) {
            z = mlp.get(i).forward(ps, new NDList(z), training).singletonOrThrow();
            if (i < mlp.size() - 1) {
                z = Activation.relu(z);
            }
        }
        return new NDList(z);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long b = inputShapes[0].get(0);
        for (PreNormEncoderLayer layer : layers) {
            layer.initialize(manager, dataType, new Shape(b, categorical.size(), width));
        }
        long in = (long) categorical.size() * width + numeric.size();
        for (Linear linear : mlp) {
            linear.initialize(manager, dataType, new Shape(b, in));
            in = linear.getOutputShapes(new Shape[] {new Shape(b, in)})[0].get(1);
        }
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
        return "TabTransformer(numeric=" + numeric + ",categorical=" + codes.describe() + ",depth=" + depth
                + ",width=" + width + ",heads=" + heads + ",mlpRatio=" + mlpRatio + ",headHidden="
                + Arrays.toString(headHidden) + ",classes=" + classes + ")";
    }

    /**
     * Builds a {@link TabTransformer}: at least one categorical feature (the attention runs over
     * them), any number of numeric ones, and the encoder sizes.
     */
    public static final class Builder extends TabularEncoderBuilder<Builder> {
        private final List<String> numeric = new ArrayList<>();
        private int[] headHidden = {64, 32};

        private Builder() {}

        /**
         * @param name a numeric feature, in input order before the categorical ones
         * @return this
         */
        public Builder addNumericFeature(String name) {
            numeric.add(name);
            return this;
        }

        /**
         * @param units the hidden widths of the MLP head, in order (default {@code 64, 32}); none
         *     for a linear head
         * @return this
         */
        public Builder optHeadHidden(int... units) {
            headHidden = units.clone();
            return this;
        }

        /** @return the model block, uninitialised */
        public TabTransformer build() {
            if (categorical.isEmpty()) {
                throw new IllegalArgumentException("a TabTransformer needs at least one categorical feature: "
                        + "its attention runs over the categorical columns only");
            }
            validateTabular("TabTransformer", numeric);
            for (int u : headHidden) {
                requirePositive("every MLP head width", u);
            }
            return new TabTransformer(this);
        }
    }
}
