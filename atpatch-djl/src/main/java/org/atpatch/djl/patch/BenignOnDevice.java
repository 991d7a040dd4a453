package org.atpatch.djl.patch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.atpatch.core.BenignStatistics;
import org.atpatch.core.LayerwiseMean;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Benign statistics copied once to the model's device: Q per layer {@code (heads, N, N)} and, when
 * kept, the mean clean token state per layer {@code (N, width)}. Read-only, shared by all calls.
 */
public final class BenignOnDevice implements AutoCloseable {

    private final NDManager manager;
    private final NDArray qStacked;
    private final List<NDArray> q = new ArrayList<>();
    private final List<NDArray> tokenStates = new ArrayList<>();
    private final BenignStatistics source;

    /**
     * Copies statistics to a device.
     *
     * @param stats the host statistics
     * @param parent the manager to open this one's under
     * @param device the device
     */
    public BenignOnDevice(BenignStatistics stats, NDManager parent, Device device) {
        this.source = stats;
        this.manager = parent.newSubManager(device);
        NDList layers = new NDList(stats.layers());
        for (int l = 0; l < stats.layers(); l++) {
            layers.add(toDevice(stats.attention().mean(l)));
        }
        this.qStacked = NDArrays.stack(layers);
        for (int l = 0; l < stats.layers(); l++) {
            q.add(qStacked.get(l)); // a view of the stack: Q is held once
            layers.get(l).close();
        }
        stats.tokenStates().ifPresent(t -> {
            for (int l = 0; l < t.layers(); l++) {
                tokenStates.add(toDevice(t.mean(l)));
            }
        });
    }

    private NDArray toDevice(INDArray a) {
        return manager.create(a.dup('c').data().asFloat(), new Shape(a.shape()));
    }

    /** @return the host statistics these were copied from */
    public BenignStatistics source() {
        return source;
    }

    /** @return L */
    public int layers() {
        return q.size();
    }

    /**
     * @param layer the layer
     * @return Q of that layer, {@code (heads, N, N)}
     */
    public NDArray q(int layer) {
        return q.get(layer);
    }

    /** @return Q of every layer stacked, {@code (layers, heads, N, N)}; {@link #q} are views of it */
    public NDArray qStacked() {
        return qStacked;
    }

    /** @return whether token-state means are kept */
    public boolean hasTokenStates() {
        return !tokenStates.isEmpty();
    }

    /**
     * @param layer the layer
     * @return the mean clean token state entering that layer, {@code (N, width)}
     */
    public NDArray tokenState(int layer) {
        if (tokenStates.isEmpty()) {
            throw new IllegalStateException("these benign statistics keep no token states; accumulate them ("
                    + BenignStatistics.TOKEN_STATES + ") to use a token-state patch rule");
        }
        return tokenStates.get(layer);
    }

    /** @return the token-state width, or 0 when none are kept */
    public long tokenWidth() {
        return source.tokenStates().map(LayerwiseMean::itemShape).map(s -> s[1]).orElse(0L);
    }

    @Override
    public void close() {
        manager.close();
    }
}
