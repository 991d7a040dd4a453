package org.atpatch.djl.model.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.atpatch.djl.interception.InterceptableSelfAttention;

/**
 * The attention branch of a tokens-to-token layer: single-head self-attention, {@code
 * proj(softmax(q·kᵀ/√width)·v)} with {@code q, k, v} from one {@code qkv} projection, {@code (B, N,
 * width)} in and out. Deliberately not an {@link InterceptableSelfAttention}: its maps cover the fine
 * soft-split grid, not the backbone's tokens, so they are not maps of the victim's layers that the
 * detector and Q describe (every interceptable attention in a model is a numbered layer with the
 * backbone's N).
 *
 * <p>Children, in DJL's order: {@code qkv} ({@code width → 3·width}), {@code proj} ({@code width →
 * width}).
 *
 * <p>Not thread-safe while it is built, initialised or loaded; once initialised its forward may
 * run on several threads at once.
 */
final class TokenAttention extends AttentionBranch {

    private final int width;
    private final Linear qkv;
    private final Linear proj;

    TokenAttention(int width) {
        this.width = width;
        qkv = addChildBlock("qkv", Linear.builder().setUnits(3L * width).build());
        proj = addChildBlock("proj", Linear.builder().setUnits(width).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = inputs.singletonOrThrow();
        long b = h.getShape().get(0);
        long n = h.getShape().get(1);
        NDArray split = qkv.forward(ps, new NDList(h), training).singletonOrThrow().reshape(b, n, 3, width)
                .transpose(2, 0, 1, 3);
        // A batch-manager scalar, not a Number: see InterceptableSelfAttention.
        NDArray scale = h.getManager().create((float) (1.0 / Math.sqrt(width))).toDevice(h.getDevice(), false);
        NDArray probs = split.get(0).matMul(split.get(1).transpose(0, 2, 1)).mul(scale).softmax(-1);
        return proj.forward(ps, new NDList(probs.matMul(split.get(2))), training);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        qkv.initialize(manager, dataType, s);
        proj.initialize(manager, dataType, s);
    }
}
