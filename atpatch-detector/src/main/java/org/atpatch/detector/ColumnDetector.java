package org.atpatch.detector;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.List;

/**
 * Says, per token column of a head-averaged attention map (Eq. 5), how likely it is anomalous
 * (Eq. 6). The patched model flags columns whose probability exceeds τ (Eq. 9).
 *
 * <p>Implementations run on the device of their input and return arrays in the input's manager; they
 * must not copy maps to the host, and must be safe to call from several threads at once.
 */
public interface ColumnDetector {

    /**
     * Column probabilities for one layer's maps.
     *
     * @param headAveraged {@code (batch, N, N)}, the head-averaged maps of {@code layer}
     * @param layer the layer the maps came from, from 0 in forward order
     * @return {@code (batch, N)} probabilities in {@code [0, 1]}
     */
    NDArray detect(NDArray headAveraged, int layer);

    /**
     * Column probabilities for every layer at once; the default calls {@link #detect} per layer, stacks
     * the results and closes them (so {@link #detect} must return arrays of its own, not its input or
     * an array it keeps), implementations may batch the layers into one call.
     *
     * @param headAveragedPerLayer layer {@code l}'s maps at index {@code l}, each {@code (batch, N, N)}
     * @return {@code (batch, L, N)}
     */
    default NDArray detectAll(List<NDArray> headAveragedPerLayer) {
        try (NDList perLayer = new NDList(headAveragedPerLayer.size())) {
            for (int l = 0; l < headAveragedPerLayer.size(); l++) {
                perLayer.add(detect(headAveragedPerLayer.get(l), l));
            }
            return NDArrays.stack(perLayer, 1);
        }
    }

    /** @return the N this detector was built for, or -1 if it accepts any */
    default int tokens() {
        return -1;
    }

    /** @return the layer count this detector was built for, or -1 if it accepts any */
    default int layers() {
        return -1;
    }
}
