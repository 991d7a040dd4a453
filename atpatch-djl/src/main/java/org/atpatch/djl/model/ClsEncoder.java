package org.atpatch.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.TruncatedNormalInitializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import org.atpatch.djl.model.internal.PreNormEncoderLayer;

/**
 * The classifier trunk of the CLS-token families built on it ({@link T2TViT}, {@link
 * TaBertStyleEncoder}): prepend a learned CLS token at column 0, add learned position embeddings,
 * run {@code depth} encoder {@link PreNormEncoderLayer}s, normalise the CLS state and apply a linear
 * head. Input tokens {@code (B, tokens, width)} without CLS, output logits {@code (B, classes)}.
 *
 * <p>Parameters, in DJL's order: {@code cls} {@code (1, 1, width)}, {@code position} {@code (1,
 * tokens + 1, width)}, then {@code layer0 .. layer<depth-1>}, {@code norm}, {@code head}.
 *
 * <p>Not thread-safe while it is initialised, trained or loaded; once initialised, its forward may
 * run on several threads at once.
 */
final class ClsEncoder extends AbstractBlock {

    private final int tokens;
    private final int width;
    private final Parameter cls;
    private final Parameter position;
    private final List<PreNormEncoderLayer> layers = new ArrayList<>();
    private final LayerNorm norm;
    private final Linear head;

    /**
     * @param tokens input tokens per sample, CLS not counted
     * @param sizes the validated encoder sizes
     */
    public ClsEncoder(int tokens, EncoderBuilder<?> sizes) {
        this.tokens = tokens;
        this.width = sizes.width;
        TruncatedNormalInitializer init = new TruncatedNormalInitializer(0.02f);
        cls = addParameter(Parameter.builder().setName("cls").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(1, 1, width)).optInitializer(init).build());
        position = addParameter(Parameter.builder().setName("position").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(1, tokens + 1, width)).optInitializer(init).build());
        for (int l = 0; l < sizes.depth; l++) {
            layers.add(addChildBlock("layer" + l, new PreNormEncoderLayer(width, sizes.heads, sizes.mlpRatio)));
        }
        norm = addChildBlock("norm", LayerNorm.builder().axis(1).build());
        head = addChildBlock("head", Linear.builder().setUnits(sizes.classes).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        long b = x.getShape().get(0);
        // Start from batch arrays, never from a parameter, so results stay in the batch's manager.
        NDArray clsTokens = x.getManager().zeros(new Shape(b, 1, width), x.getDataType(), x.getDevice())
                .add(ps.getValue(cls, x.getDevice(), training));
        NDArray h = NDArrays.concat(new NDList(clsTokens, x), 1).add(ps.getValue(position, x.getDevice(), training));
        for (PreNormEncoderLayer layer : layers) {
            h = layer.forward(ps, new NDList(h), training).singletonOrThrow();
        }
        NDArray normed = norm.forward(ps, new NDList(h.get(":, 0, :")), training).singletonOrThrow();
        return head.forward(ps, new NDList(normed), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return head.getOutputShapes(new Shape[] {new Shape(inputShapes[0].get(0), width)});
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long b = inputShapes[0].get(0);
        for (PreNormEncoderLayer layer : layers) {
            layer.initialize(manager, dataType, new Shape(b, tokens + 1, width));
        }
        norm.initialize(manager, dataType, new Shape(b, width));
        head.initialize(manager, dataType, new Shape(b, width));
    }
}
