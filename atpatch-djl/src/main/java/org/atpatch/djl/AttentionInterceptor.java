package org.atpatch.djl;

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
     * Called with each layer's attention probabilities and values, for the layer's context {@code
     * probs′ · V}, where {@code probs′} is the map this interceptor would return from {@link
     * #onAttention}. The default does exactly that. An interceptor that patches the map may override
     * it to compute the context without materialising the patched map (the fused Γ of {@link
     * DeviceHotPatch#attend}); it must then agree with {@code onAttention(layer, probs) · values}
     * up to float rounding, and give bit for bit {@code probs · values} wherever it leaves the map
     * unchanged. {@link InterceptableSelfAttention} calls this method, not {@link #onAttention}, on
     * the innermost interceptor of a forward.
     *
     * @param layer the layer, from 0 in forward order
     * @param probs {@code (batch, heads, N, N)}
     * @param values {@code (batch, heads, N, headWidth)}
     * @return the context, {@code (batch, heads, N, headWidth)}
     */
    default NDArray attend(int layer, NDArray probs, NDArray values) {
        return Interception.checkedMap(layer, probs, onAttention(layer, probs)).matMul(values);
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
