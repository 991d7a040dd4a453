package org.atpatch.djl;

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

    /**
     * A layer's attention context through the installed interceptors: the model-wide one's {@link
     * AttentionInterceptor#onAttention} first, then the innermost scope's {@link
     * AttentionInterceptor#attend}; with only one of them installed, its {@code attend}; with none,
     * {@code probs · values}.
     */
    static NDArray context(AttentionInterceptor modelWide, int layer, NDArray probs, NDArray values) {
        AttentionInterceptor scoped = SCOPES.get().peek();
        if (layer < 0 && (modelWide != null || scoped != null)) {
            throw unnumbered();
        }
        if (modelWide == null && scoped == null) {
            return probs.matMul(values);
        }
        NDArray context;
        if (scoped == null) {
            context = modelWide.attend(layer, probs, values);
        } else {
            NDArray p = modelWide == null ? probs : checkedMap(layer, probs, modelWide.onAttention(layer, probs));
            context = scoped.attend(layer, p, values);
        }
        if (!context.getShape().equals(values.getShape())) {
            throw new IllegalStateException("an interceptor returned layer " + layer + "'s attention context shaped "
                    + context.getShape() + ", expected " + values.getShape());
        }
        return context;
    }

    /** @return {@code patched}, after checking that an interceptor kept the map's shape */
    static NDArray checkedMap(int layer, NDArray probs, NDArray patched) {
        if (!patched.getShape().equals(probs.getShape())) {
            throw new IllegalStateException("an interceptor changed the shape of layer " + layer
                    + "'s attention map from " + probs.getShape() + " to " + patched.getShape());
        }
        return patched;
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
