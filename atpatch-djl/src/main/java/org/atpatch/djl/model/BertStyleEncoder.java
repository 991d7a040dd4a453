package org.atpatch.djl.model;

import ai.djl.ndarray.NDArray;
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
import org.atpatch.core.TextTokenLayout;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.model.internal.PostNormEncoderLayer;

/**
 * A BERT-style text classifier (after Devlin et al., 2019): token, position and segment embeddings
 * summed and normalised, {@code depth} post-norm encoder layers ({@link PostNormEncoderLayer}:
 * attention, add, LayerNorm, MLP, add, LayerNorm), a pooler ({@code tanh(Linear)} of the {@code
 * [CLS]} state) and a linear classifier.
 *
 * <p><b>Trained from scratch.</b> No pretrained BERT weights are used or available here; this is
 * BERT's architecture with every weight learned from the task's own data.
 *
 * <p><b>Input.</b> {@code (batch, n)} floats holding integer token ids in {@code [0,
 * vocabularySize)}, {@code 1 <= n <= maxLength}: {@code [CLS]} first, the text's tokens, {@code
 * [SEP]}, then {@link #PAD} up to {@code n}. The ids {@link #PAD}, {@link #CLS}, {@link #SEP} and
 * {@link #UNK} are reserved; a tokenizer for this family maps its special tokens onto them. A token
 * is in segment 0 up to and including the first {@code [SEP]}, in segment 1 after it. Output logits
 * {@code (batch, classes)}.
 *
 * <p><b>Padding.</b> Every attention layer adds a large negative score where the key is {@link
 * #PAD}, so no query attends to a padding column (its attention is exactly 0) and a sample's logits
 * do not depend on what, or how much, padding follows its text. {@link #flaggableColumns} excludes
 * {@code [CLS]}, {@code [SEP]} and padding per sample, so a patched model never flags or patches them.
 * Maps are {@code (batch, heads, n, n)}; a patched model needs {@code n = maxLength}, the N of its
 * detector and Q.
 *
 * <p>Parameters, in DJL's order: {@code token_embedding} {@code (vocabularySize, width)}, {@code
 * position_embedding} {@code (maxLength, width)}, {@code segment_embedding} {@code (2, width)}, then
 * {@code embedding_norm}, {@code layer0 .. layer<depth-1>}, {@code pooler}, {@code head}.
 *
 * <p>Token layout: {@link TextTokenLayout#positions}{@code (maxLength)}. Threads and saved
 * parameters: as for every {@link TransformerFamily} (see the package description).
 */
public final class BertStyleEncoder extends TransformerFamily {

    /** The padding id. */
    public static final int PAD = 0;
    /** The classification token's id. */
    public static final int CLS = 1;
    /** The separator's id. */
    public static final int SEP = 2;
    /** The unknown token's id. */
    public static final int UNK = 3;
    /** The score added where a key is padding: exp underflows to exactly 0 in float. */
    private static final float MASKED = -1e9f;

    private final int vocabularySize;
    private final int maxLength;
    private final Parameter tokenEmbedding;
    private final Parameter positionEmbedding;
    private final Parameter segmentEmbedding;
    private final LayerNorm embeddingNorm;
    private final List<PostNormEncoderLayer> layers = new ArrayList<>();
    private final Linear pooler;
    private final Linear head;

    private BertStyleEncoder(Builder b) {
        super(b);
        vocabularySize = b.vocabularySize;
        maxLength = b.maxLength;
        TruncatedNormalInitializer init = new TruncatedNormalInitializer(0.02f);
        tokenEmbedding = param("token_embedding", new Shape(vocabularySize, width), init);
        positionEmbedding = param("position_embedding", new Shape(maxLength, width), init);
        segmentEmbedding = param("segment_embedding", new Shape(2, width), init);
        embeddingNorm = addChildBlock("embedding_norm", LayerNorm.builder().axis(2).optEpsilon(b.epsilon).build());
        for (int l = 0; l < depth; l++) {
            layers.add(addChildBlock("layer" + l, new PostNormEncoderLayer(width, heads, mlpRatio, b.epsilon)));
        }
        pooler = addChildBlock("pooler", Linear.builder().setUnits(width).build());
        head = addChildBlock("head", Linear.builder().setUnits(classes).build());
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

    /** @return the number of token ids the model embeds */
    public int vocabularySize() {
        return vocabularySize;
    }

    /** @return the longest input, in tokens, special ones included */
    public int maxLength() {
        return maxLength;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape s = x.getShape();
        if (s.dimension() != 2 || s.get(1) < 1 || s.get(1) > maxLength) {
            throw new IllegalArgumentException("BertStyleEncoder expects token ids shaped (batch, n) with 1 <= n <= "
                    + maxLength + ", got " + s);
        }
        if (x.lt(0).logicalOr(x.gte(vocabularySize)).logicalOr(x.neq(x.floor())).any().getBoolean()) {
            throw new IllegalArgumentException("token ids must be integers in [0, " + vocabularySize
                    + "), the model's vocabulary; the tokenizer does not match the model");
        }
        long b = s.get(0);
        long n = s.get(1);
        NDManager batch = x.getManager();
        NDArray ids = x.toType(DataType.INT64, false);
        // An op on a parameter puts its result in the parameter's manager, which lives as long as the
        // model: each such result is moved into the batch's manager, so a forward frees all it made.
        NDArray table = ps.getValue(tokenEmbedding, x.getDevice(), training);
        NDArray tokens = inBatch(table.gather(ids.reshape(b * n, 1).broadcast(new Shape(b * n, width)), 0), batch)
                .reshape(b, n, width);
        NDArray sep = x.eq(SEP).toType(DataType.FLOAT32, false);
        // Segment 1 after the first [SEP]: the number of [SEP]s strictly before, capped at 1.
        NDArray segment = sep.cumSum(1).sub(sep).minimum(1f).expandDims(2); // (B, n, 1)
        NDArray seg = ps.getValue(segmentEmbedding, x.getDevice(), training);
        NDArray seg0 = inBatch(seg.get("0:1"), batch);
        NDArray segments = segment.mul(inBatch(seg.get("1:2"), batch).sub(seg0)).add(seg0);
        NDArray positions = inBatch(ps.getValue(positionEmbedding, x.getDevice(), training).get("0:" + n), batch);
        NDArray h = tokens.add(positions).add(segments);
        h = embeddingNorm.forward(ps, new NDList(h), training).singletonOrThrow();
        NDArray bias = x.eq(PAD).toType(DataType.FLOAT32, false).mul(MASKED)
                .reshape(b, 1, 1, n).broadcast(new Shape(b, heads, n, n));
        for (PostNormEncoderLayer layer : layers) {
            h = layer.forward(ps, new NDList(h, bias), training).singletonOrThrow();
        }
        NDArray pooled = Activation.tanh(pooler.forward(ps, new NDList(h.get(":, 0, :")), training).singletonOrThrow());
        return head.forward(ps, new NDList(pooled), training);
    }

    private static NDArray inBatch(NDArray a, NDManager batch) {
        a.attach(batch);
        return a;
    }

    /**
     * @param input token ids {@code (batch, n)}
     * @return {@code (batch, n)} booleans: false at {@code [CLS]}, {@code [SEP]} and padding
     */
    @Override
    public NDArray flaggableColumns(NDArray input) {
        return input.neq(PAD).logicalAnd(input.neq(CLS)).logicalAnd(input.neq(SEP));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape tokens = new Shape(inputShapes[0].get(0), inputShapes[0].get(1), width);
        embeddingNorm.initialize(manager, dataType, tokens);
        for (PostNormEncoderLayer layer : layers) {
            layer.initialize(manager, dataType, tokens);
        }
        Shape cls = new Shape(inputShapes[0].get(0), width);
        pooler.initialize(manager, dataType, cls);
        head.initialize(manager, dataType, cls);
    }

    @Override
    public Shape sampleInputShape() {
        return new Shape(maxLength);
    }

    @Override
    public TextTokenLayout tokenLayout() {
        return TextTokenLayout.positions(maxLength);
    }

    @Override
    public String fingerprint() {
        return "BertStyleEncoder(vocabulary=" + vocabularySize + ",maxLength=" + maxLength + ",depth=" + depth
                + ",width=" + width + ",heads=" + heads + ",mlpRatio=" + mlpRatio + ",classes=" + classes + ")";
    }

    /** Builds a {@link BertStyleEncoder}; the vocabulary size, maximum length and encoder sizes are required. */
    public static final class Builder extends EncoderBuilder<Builder> {
        private int vocabularySize;
        private int maxLength;
        private float epsilon = 1e-12f;

        private Builder() {}

        /**
         * @param v the number of token ids, the four reserved ones included; more than 4
         * @return this
         */
        public Builder setVocabularySize(int v) {
            vocabularySize = v;
            return this;
        }

        /**
         * @param v the longest input in tokens, {@code [CLS]} and {@code [SEP]} included; at least 2
         * @return this
         */
        public Builder setMaxLength(int v) {
            maxLength = v;
            return this;
        }

        /**
         * @param v the LayerNorm epsilon (default 1e-12, BERT's); positive
         * @return this
         */
        public Builder optLayerNormEpsilon(float v) {
            epsilon = v;
            return this;
        }

        /** @return the model block, uninitialised */
        public BertStyleEncoder build() {
            validateEncoder();
            if (vocabularySize <= UNK + 1) {
                throw new IllegalArgumentException("vocabulary size must exceed the " + (UNK + 1)
                        + " reserved ids, got " + vocabularySize);
            }
            if (maxLength < 2) {
                throw new IllegalArgumentException("max length must be at least 2 ([CLS] and a token), got " + maxLength);
            }
            if (!(epsilon > 0)) {
                throw new IllegalArgumentException("LayerNorm epsilon must be positive, got " + epsilon);
            }
            return new BertStyleEncoder(this);
        }
    }
}
