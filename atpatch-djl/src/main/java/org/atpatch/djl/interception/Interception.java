package org.atpatch.djl.interception;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Installs {@link AttentionInterceptor}s: model-wide on every interceptable block of a block tree,
 * or per call for the forwards run by the current thread inside a {@link Scope}.
 *
 * <p>Per-call interceptors travel in a thread-local scope rather than in a block's forward
 * parameters because DJL's {@code SequentialBlock} does not pass those on to its children; a user's
 * own architecture built from {@link InterceptableSelfAttention} is therefore intercepted wherever
 * the block sits. A forward sees the model-wide interceptor first, then the innermost open scope
 * (scopes do not compose: an inner scope hides the outer ones until it closes).
 */
public final class Interception {

    private static final ThreadLocal<Deque<AttentionInterceptor>> SCOPES =
            ThreadLocal.withInitial(ArrayDeque::new);

    private Interception() {}

    /** An open per-call interception scope; close it to uninstall. */
    public static final class Scope implements AutoCloseable {
        private final AttentionInterceptor interceptor;
        private boolean closed;

        private Scope(AttentionInterceptor interceptor) {
            this.interceptor = interceptor;
        }

        /** Uninstalls the interceptor for this thread. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            Deque<AttentionInterceptor> stack = SCOPES.get();
            if (stack.peek() != interceptor) {
                throw new IllegalStateException("interception scopes closed out of order");
            }
            stack.pop();
        }
    }

    /**
     * Installs an interceptor for the forwards this thread runs until the scope closes.
     *
     * @param interceptor the interceptor
     * @return the scope, to close (try-with-resources)
     */
    public static Scope open(AttentionInterceptor interceptor) {
        if (interceptor == null) {
            throw new IllegalArgumentException("interceptor must not be null");
        }
        SCOPES.get().push(interceptor);
        return new Scope(interceptor);
    }

    /**
     * Installs (or with null removes) an interceptor on every interceptable point of a block tree.
     *
     * @param root the model's block
     * @param interceptor the interceptor, or null to remove
     * @return the number of interception points it was installed on
     */
    public static int setModelWide(Block root, AttentionInterceptor interceptor) {
        AttentionLayers layers = AttentionLayers.of(root);
        layers.attention().forEach(a -> a.setInterceptor(interceptor));
        layers.tokenStatePoints().forEach(p -> p.setInterceptor(interceptor));
        return layers.attention().size() + layers.tokenStatePoints().size();
    }

    private static IllegalStateException unnumbered() {
        return new IllegalStateException("an interceptable block has no layer index yet: number the model's "
                + "layers with AttentionLayers.of(rootBlock) first (PatchedModel, AttentionRecorder and "
                + "setModelWide do it for you; AtPatch's own families do it when built)");
    }

    static NDArray attention(AttentionInterceptor modelWide, int layer, NDArray probs) {
        if (layer < 0 && (modelWide != null || SCOPES.get().peek() != null)) {
            throw unnumbered();
        }
        NDArray out = probs;
        if (modelWide != null) {
            out = modelWide.onAttention(layer, out);
        }
        AttentionInterceptor scoped = SCOPES.get().peek();
        if (scoped != null) {
            out = scoped.onAttention(layer, out);
        }
        return out;
    }

    static NDArray tokenStates(AttentionInterceptor modelWide, int layer, NDArray states) {
        if (layer < 0 && (modelWide != null || SCOPES.get().peek() != null)) {
            throw unnumbered();
        }
        NDArray out = states;
        if (modelWide != null) {
            out = modelWide.onTokenStates(layer, out);
        }
        AttentionInterceptor scoped = SCOPES.get().peek();
        if (scoped != null) {
            out = scoped.onTokenStates(layer, out);
        }
        return out;
    }
}
