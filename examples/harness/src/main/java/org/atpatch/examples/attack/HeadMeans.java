package org.atpatch.examples.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.atpatch.djl.interception.AttentionInterceptor;
import org.atpatch.djl.interception.Interception;

/**
 * Every layer's head-averaged attention map of a forward, {@code (B, N, N)} each in layer order, as a
 * patched model's pass 1 hands them to its detector. The maps stay in the forward's autograd graph,
 * so an attacker can differentiate through them. One instance per forward; not thread-safe.
 */
public final class HeadMeans implements AttentionInterceptor {

    private final List<NDArray> maps = new ArrayList<>();

    /**
     * Runs the block on {@code x} with this capture open.
     *
     * @param block a model built from interceptable attention
     * @param parameters where the block's parameters come from
     * @param x the input batch
     * @return the block's output
     */
    public NDArray forward(Block block, ParameterStore parameters, NDArray x) {
        try (Interception.Scope ignored = Interception.open(this)) {
            return block.forward(parameters, new NDList(x), false).singletonOrThrow();
        }
    }

    @Override
    public NDArray onAttention(int layer, NDArray probs) {
        maps.add(probs.mean(new int[] {1}));
        return probs;
    }

    /** @return the maps captured so far, layer {@code l} at index {@code l} */
    public List<NDArray> maps() {
        return maps;
    }
}
