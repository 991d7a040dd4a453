package org.atpatch.examples.attack;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.model.SwinTransformer;

/**
 * Hidden units of a victim, one vector per image, read inside the model's own forward so that
 * gradients reach the input: what the Trojan search ({@link TrojanTrigger#optimise}) excites.
 * {@link #deepest} picks the deepest such representation a family exposes: the hidden states entering
 * the last layer, averaged over tokens ({@link TokenStateProbe}), where the family has token-state
 * points; the pooled features its head reads ({@link SwinFeatureProbe}) for Swin, whose widths change
 * between stages.
 */
public interface HiddenUnits {

    /**
     * The units of a batch, inside the caller's graph.
     *
     * @param store the parameter store of the forward (e.g. a frozen one, for gradients to the input)
     * @param batch the input batch
     * @return {@code (batch, units)}
     */
    NDArray pooled(ParameterStore store, NDArray batch);

    /**
     * @return the layer whose input states are read, or the model's depth for the features after the
     *     last layer
     */
    int layer();

    /** @return the model read */
    Model model();

    /**
     * The units of every sample, on the host, without building a graph.
     *
     * @param data the inputs (labels unused)
     * @param batchSize evaluation batch size
     * @return {@code [sample][unit]}
     */
    default float[][] pooled(LabelledData data, int batchSize) {
        DjlOffline.configure();
        float[][] out = new float[data.size()][];
        for (int from = 0; from < data.size(); from += batchSize) {
            int to = Math.min(data.size(), from + batchSize);
            try (NDManager sub = model().getNDManager().newSubManager()) {
                NDArray p = pooled(new ParameterStore(sub, false), data.batch(sub, from, to));
                int width = (int) p.getShape().get(1);
                float[] flat = p.toFloatArray();
                for (int i = 0; i < to - from; i++) {
                    out[from + i] = Arrays.copyOfRange(flat, i * width, (i + 1) * width);
                }
            }
        }
        return out;
    }

    /**
     * The mean activation of some units over the samples.
     *
     * @param data the inputs
     * @param units unit indices, each below the model width
     * @return the mean over samples and units
     */
    default double meanActivation(LabelledData data, int[] units) {
        float[][] pooled = pooled(data, 256);
        double sum = 0;
        for (float[] p : pooled) {
            for (int u : units) {
                if (u < 0 || u >= p.length) {
                    throw new IllegalArgumentException("unit " + u + " is outside the width " + p.length);
                }
                sum += p[u];
            }
        }
        return sum / ((double) pooled.length * units.length);
    }

    /**
     * @param model an initialised victim
     * @return its deepest hidden units: the last token-state point, or a Swin's pooled features
     * @throws IllegalArgumentException when the model exposes neither
     */
    static HiddenUnits deepest(Model model) {
        if (AttentionLayers.of(model.getBlock()).hasTokenStatePoints()) {
            return TokenStateProbe.lastLayer(model);
        }
        if (model.getBlock() instanceof SwinTransformer) {
            return new SwinFeatureProbe(model);
        }
        throw new IllegalArgumentException("the model exposes no hidden units to read: it has no token-state points and"
                + " is not a SwinTransformer");
    }

    /**
     * @param model an initialised victim
     * @param layer a token-state layer, or (for Swin) the depth, meaning its pooled features
     * @return the units there
     * @throws IllegalArgumentException when the model has no such point
     */
    static HiddenUnits at(Model model, int layer) {
        if (model.getBlock() instanceof SwinTransformer swin && layer == AttentionLayers.of(swin).depth()) {
            return new SwinFeatureProbe(model);
        }
        return new TokenStateProbe(model, layer);
    }
}
