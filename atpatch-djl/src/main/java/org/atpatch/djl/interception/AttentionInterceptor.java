package org.atpatch.djl.interception;

import ai.djl.ndarray.NDArray;

/**
 * Sees, and may replace, what flows through a transformer's interception points (TransformerLens
 * style hook points, named by {@link InterceptionPoint}):
 *
 * <ul>
 *   <li>{@code layer.<l>.attn.probs}: the post-softmax attention map of layer {@code l}, shape
 *       {@code (batch, heads, query, key)}, between softmax and {@code probs · V};
 *   <li>{@code layer.<l>.token_states}: the hidden states entering layer {@code l}, shape {@code
 *       (batch, tokens, width)}, on the residual stream before the layer's first norm.
 * </ul>
 *
 * <p>Returning the argument unchanged leaves the forward bit-identical to an uninterrupted one.
 * Ops on the arrays are recorded by autograd like any other, so gradients flow through an
 * interceptor when training. Install one model-wide with {@link Interception#setModelWide} or for
 * the calls of one thread with {@link Interception#open}.
 */
public interface AttentionInterceptor {

    /**
     * Called with each layer's attention probabilities.
     *
     * @param layer the layer, from 0 in forward order
     * @param probs {@code (batch, heads, N, N)}
     * @return the map the layer continues with, same shape
     */
    default NDArray onAttention(int layer, NDArray probs) {
        return probs;
    }

    /**
     * Called with the hidden states entering each layer.
     *
     * @param layer the layer, from 0 in forward order
     * @param states {@code (batch, N, width)}
     * @return the states the layer continues with, same shape
     */
    default NDArray onTokenStates(int layer, NDArray states) {
        return states;
    }
}
