package org.atpatch.djl.interception;

/**
 * A named interception point of a transformer.
 *
 * @param kind what flows through it
 * @param layer the layer, from 0 in forward order
 */
public record InterceptionPoint(Kind kind, int layer) {

    /** What an interception point carries. */
    public enum Kind {
        /** Post-softmax attention probabilities, {@code (batch, heads, N, N)}. */
        ATTENTION_PROBS("attn.probs"),
        /** Hidden states entering a layer, {@code (batch, N, width)}. */
        TOKEN_STATES("token_states");

        private final String suffix;

        Kind(String suffix) {
            this.suffix = suffix;
        }
    }

    /** @return the point's name, e.g. {@code layer.3.attn.probs} */
    public String name() {
        return "layer." + layer + "." + kind.suffix;
    }

    @Override
    public String toString() {
        return name();
    }
}
