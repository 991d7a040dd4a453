package org.atpatch.core;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The post-softmax attention maps of one layer for a batch, held on the host: shape
 * {@code (batch, heads, N, N)}, row {@code i} of head {@code h} of sample {@code b} being the
 * distribution of query {@code i} over the {@code N} key columns.
 *
 * <p>Instances are immutable views: the constructor validates shape and values and keeps the array
 * as given, so callers must not mutate it afterwards.
 */
public final class LayerAttention {

    private final int layer;
    private final INDArray maps;

    /**
     * Wraps captured maps.
     *
     * @param layer the layer index in forward order, from 0
     * @param maps the maps, shape {@code (batch, heads, N, N)}, all values finite
     * @throws IllegalArgumentException if the layer is negative, the shape is not square 4-D, or a
     *     value is NaN or infinite
     */
    public LayerAttention(int layer, INDArray maps) {
        if (layer < 0) {
            throw new IllegalArgumentException("layer must be >= 0, got " + layer);
        }
        requireMapShape("attention maps of layer " + layer, maps);
        Checks.requireFinite("attention maps of layer " + layer, maps);
        this.layer = layer;
        this.maps = maps;
    }

    /**
     * Checks that an array is shaped {@code (batch, heads, N, N)}.
     *
     * @param what what the array is, for the message
     * @param maps the array
     * @throws IllegalArgumentException when it is not
     */
    static void requireMapShape(String what, INDArray maps) {
        long[] s = maps.shape();
        if (s.length != 4 || s[2] != s[3] || s[2] == 0) {
            throw new IllegalArgumentException(
                    what + " must be shaped (batch, heads, N, N), got " + Arrays.toString(s));
        }
    }

    /** @return the layer index, from 0 in forward order */
    public int layer() {
        return layer;
    }

    /** @return the maps, shape {@code (batch, heads, N, N)} */
    public INDArray maps() {
        return maps;
    }

    /** @return the batch size */
    public int batchSize() {
        return (int) maps.size(0);
    }

    /** @return the number of heads */
    public int heads() {
        return (int) maps.size(1);
    }

    /** @return the number of tokens N (the map is N × N) */
    public int tokens() {
        return (int) maps.size(2);
    }

    /**
     * The head-averaged map of Eq. 5, the detector's input.
     *
     * @return shape {@code (batch, N, N)}
     */
    public INDArray headAverage() {
        return maps.mean(1);
    }
}
