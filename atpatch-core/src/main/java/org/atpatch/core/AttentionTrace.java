package org.atpatch.core;

import java.util.List;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Every layer's captured attention maps for one batch, in forward order, and optionally each
 * layer's input token states {@code (batch, N, width)}: what the attention recorder returns and
 * what offline training consumes.
 *
 * @param layers one entry per attention layer, layer {@code l} at index {@code l}
 * @param tokenStates per layer the input hidden states, or empty when not recorded
 */
public record AttentionTrace(List<LayerAttention> layers, List<INDArray> tokenStates) {

    /** Validates that layers are numbered in order and that batch sizes agree. */
    public AttentionTrace {
        layers = List.copyOf(layers);
        tokenStates = List.copyOf(tokenStates);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a trace needs at least one layer");
        }
        int b = layers.get(0).batchSize();
        for (int i = 0; i < layers.size(); i++) {
            LayerAttention la = layers.get(i);
            if (la.layer() != i) {
                throw new IllegalArgumentException("trace entry " + i + " holds layer " + la.layer());
            }
            if (la.batchSize() != b) {
                throw new IllegalArgumentException(
                        "layer " + i + " has batch " + la.batchSize() + ", layer 0 has " + b);
            }
        }
        if (!tokenStates.isEmpty() && tokenStates.size() != layers.size()) {
            throw new IllegalArgumentException("token states recorded for " + tokenStates.size()
                    + " layers, attention for " + layers.size());
        }
    }

    /** @return L */
    public int depth() {
        return layers.size();
    }

    /** @return the batch size */
    public int batchSize() {
        return layers.get(0).batchSize();
    }

    /**
     * @param layer the layer
     * @return its maps
     */
    public LayerAttention layer(int layer) {
        return layers.get(layer);
    }

    /**
     * @param layer the layer
     * @return its input token states, if recorded
     */
    public Optional<INDArray> tokenStates(int layer) {
        return tokenStates.isEmpty() ? Optional.empty() : Optional.of(tokenStates.get(layer));
    }

    /**
     * Adds this batch to benign statistics, as clean data: every layer's maps into Q, and the token
     * states when both sides keep them.
     *
     * @param stats the accumulators
     */
    public void accumulateInto(BenignStatistics stats) {
        if (stats.layers() != depth()) {
            throw new IllegalArgumentException(
                    "benign statistics have " + stats.layers() + " layers, the trace " + depth());
        }
        for (LayerAttention la : layers) {
            stats.attention().add(la.layer(), la.maps());
        }
        if (!tokenStates.isEmpty()) {
            stats.tokenStates().ifPresent(t -> {
                for (int l = 0; l < tokenStates.size(); l++) {
                    t.add(l, tokenStates.get(l));
                }
            });
        }
    }
}
