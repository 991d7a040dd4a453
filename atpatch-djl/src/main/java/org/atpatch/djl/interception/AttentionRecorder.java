package org.atpatch.djl.interception;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.atpatch.core.AttentionTrace;
import org.atpatch.core.LayerAttention;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.model.SwinTransformer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Captures every layer's attention map (and optionally every layer's input token states) for a
 * batch into core's host types. This is the offline path (debugging sets, Q, detector training): it
 * copies maps to the host on purpose; the online path never does.
 */
public final class AttentionRecorder {

    private AttentionRecorder() {}

    /**
     * Runs the model unpatched on a batch and records its maps.
     *
     * @param model the model, built from interceptable blocks and initialised
     * @param input the batch
     * @param withTokenStates whether to record each layer's input token states too
     * @return the trace, layer {@code l} at index {@code l}
     */
    public static AttentionTrace record(Model model, NDArray input, boolean withTokenStates) {
        DjlOffline.configure();
        Block block = model.getBlock();
        AttentionLayers layers = AttentionLayers.of(block);
        if (block instanceof InterceptableTransformer t && t.firstWindowedLayer() >= 0) {
            int l = t.firstWindowedLayer();
            throw new IllegalArgumentException("layer " + l + " produces " + t.mapsPerSample(l)
                    + " maps (windows) per sample, so a trace of one map per sample cannot hold it: "
                    + "use AttentionRecorder.recordLayers");
        }
        if (withTokenStates && !layers.hasTokenStatePoints()) {
            throw new IllegalArgumentException("the model has " + layers.tokenStatePoints().size()
                    + " token-state points for " + layers.depth() + " attention layers; cannot record token states");
        }
        Recording rec = new Recording(withTokenStates);
        try (NDManager sub = input.getManager().newSubManager()) {
            run(block, layers, input, sub, rec);
            List<INDArray> states = new ArrayList<>();
            for (NDArray s : rec.states) {
                states.add(toHost(s));
            }
            return new AttentionTrace(hostMaps(rec), states);
        }
    }

    /**
     * Runs the model unpatched on a batch and records every layer's maps as they come, without
     * requiring one map per sample: for windowed attention ({@link SwinTransformer}) layer {@code l}
     * holds {@code (B · mapsPerSample(l), H, N, N)}, the windows of sample {@code b} at rows {@code b
     * · mapsPerSample(l)} onwards. Each layer's maps can go into Q with {@code
     * stats.attention().add(l, maps)}, which makes Q the mean window map of each layer.
     *
     * @param model the model, built from interceptable blocks and initialised
     * @param input the batch
     * @return the maps, layer {@code l} at index {@code l}
     */
    public static List<LayerAttention> recordLayers(Model model, NDArray input) {
        DjlOffline.configure();
        Block block = model.getBlock();
        AttentionLayers layers = AttentionLayers.of(block);
        Recording rec = new Recording(false);
        try (NDManager sub = input.getManager().newSubManager()) {
            run(block, layers, input, sub, rec);
            return hostMaps(rec);
        }
    }

    private static void run(Block block, AttentionLayers layers, NDArray input, NDManager sub, Recording rec) {
        input.tempAttach(sub);
        try (Interception.Scope ignored = Interception.open(rec)) {
            block.forward(new ParameterStore(sub, false), new NDList(input), false);
        }
        if (rec.maps.size() != layers.depth()) {
            throw new IllegalStateException("the forward passed " + rec.maps.size() + " attention layers of "
                    + layers.depth() + ": is every attention block on the forward path?");
        }
    }

    private static List<LayerAttention> hostMaps(Recording rec) {
        List<LayerAttention> maps = new ArrayList<>(rec.maps.size());
        for (int l = 0; l < rec.maps.size(); l++) {
            maps.add(new LayerAttention(l, toHost(rec.maps.get(l))));
        }
        return maps;
    }

    static INDArray toHost(NDArray a) {
        return Nd4j.create(a.toFloatArray(), a.getShape().getShape(), 'c');
    }

    private static final class Recording implements AttentionInterceptor {
        final boolean withStates;
        final List<NDArray> maps = new ArrayList<>();
        final List<NDArray> states = new ArrayList<>();

        Recording(boolean withStates) {
            this.withStates = withStates;
        }

        @Override
        public NDArray onAttention(int layer, NDArray probs) {
            maps.add(probs);
            return probs;
        }

        @Override
        public NDArray onTokenStates(int layer, NDArray s) {
            if (withStates) {
                states.add(s);
            }
            return s;
        }
    }
}
