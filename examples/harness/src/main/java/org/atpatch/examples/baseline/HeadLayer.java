package org.atpatch.examples.baseline;

import ai.djl.Model;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import java.nio.FloatBuffer;
import org.atpatch.djl.LabelledData;
import org.atpatch.examples.attack.ClassifierHead;

/**
 * The classifier's last linear layer {@code z = W h + b} of a model ({@link ClassifierHead}) and its
 * input units {@code h}: where the neuron-level baselines read and edit.
 * For every shipped family that layer's output is the model's output; {@link #features} checks it.
 *
 * <p>The units are read without any hook in the model: the head's weights are set, slice by slice, to
 * rows of the identity (bias 0), so that a forward returns {@code classes} of the units at a time,
 * then restored. An edit {@code h_i ← s_i h_i + c_i} is written as {@code W' = W diag(s)} and {@code b'
 * = b + W c}. Both change the bound model's parameters, so a {@code HeadLayer} is bound to a
 * repair's own copy, never to a victim. Not thread-safe.
 */
final class HeadLayer {

    private final Model model;
    private final Parameter weight;
    private final Parameter bias;
    private final int classes;
    private final int units;
    private final float[] w;
    private final float[] b;

    private HeadLayer(Model model, Parameter weight, Parameter bias) {
        this.model = model;
        this.weight = weight;
        this.bias = bias;
        this.classes = (int) weight.getArray().getShape().get(0);
        this.units = (int) weight.getArray().getShape().get(1);
        this.w = weight.getArray().toFloatArray();
        this.b = bias.getArray().toFloatArray();
    }

    /**
     * @param model an initialised model whose last block (descending last children) is a {@link Linear}
     *     with a bias; its head is edited by {@link #features} (restored) and {@link #apply}
     * @return its head
     * @throws IllegalArgumentException when the last block is not such a linear layer
     */
    static HeadLayer of(Model model) {
        Linear head;
        try {
            head = ClassifierHead.of(model);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + ": the neuron-level baselines edit that layer's input units", e);
        }
        Parameter weight = head.getParameters().get("weight");
        Parameter bias = head.getParameters().get("bias");
        if (weight == null || bias == null || weight.getArray() == null) {
            throw new IllegalArgumentException("the classifier head needs an initialised weight and bias");
        }
        return new HeadLayer(model, weight, bias);
    }

    /** @return the input units (the width of {@code h}) */
    int units() {
        return units;
    }

    /** @return the classes (rows of {@code W}) */
    int classes() {
        return classes;
    }

    /** @return {@code W} as loaded, {@code classes × units} row-major; a copy */
    float[] weight() {
        return w.clone();
    }

    /** @return {@code b} as loaded; a copy */
    float[] bias() {
        return b.clone();
    }

    /**
     * The head's input units on some inputs, read through the model's own forward, checked against
     * its logits.
     *
     * @param data the inputs (labels unused)
     * @param batchSize samples per forward
     * @return {@code [sample][unit]}
     * @throws IllegalStateException when {@code W h + b} does not reproduce the model's output (its
     *     output is not this layer's)
     */
    float[][] features(LabelledData data, int batchSize) {
        float[][] h = new float[data.size()][units];
        try {
            for (int from = 0; from < units; from += classes) {
                float[] slice = new float[classes * units];
                for (int r = 0; r < classes && from + r < units; r++) {
                    slice[r * units + from + r] = 1f;
                }
                write(slice, new float[classes]);
                float[][] z = ModelOutputs.logits(model, data, batchSize);
                for (int i = 0; i < h.length; i++) {
                    for (int r = 0; r < classes && from + r < units; r++) {
                        h[i][from + r] = z[i][r];
                    }
                }
            }
        } finally {
            write(w, b);
        }
        float[][] logits = ModelOutputs.logits(model, data, batchSize);
        for (int i = 0; i < h.length; i++) {
            float[] again = HeadScorer.logits(h[i], w, b, classes);
            for (int k = 0; k < classes; k++) {
                if (Math.abs(again[k] - logits[i][k]) > 1e-3f * (1 + Math.abs(logits[i][k]))) {
                    throw new IllegalStateException("the model's output is not its last linear layer's: sample " + i
                            + " class " + k + " gives " + logits[i][k] + ", W h + b gives " + again[k]);
                }
            }
        }
        return h;
    }

    /**
     * Writes an edit into the bound model's head, relative to the weights it had when this was made.
     *
     * @param edit the edit, one entry per input unit
     */
    void apply(UnitEdit edit) {
        if (edit.units() != units) {
            throw new IllegalArgumentException("the edit has " + edit.units() + " units, the head reads " + units);
        }
        float[] w2 = new float[w.length];
        float[] b2 = b.clone();
        for (int k = 0; k < classes; k++) {
            for (int i = 0; i < units; i++) {
                w2[k * units + i] = w[k * units + i] * edit.scale(i);
                b2[k] += w[k * units + i] * edit.shift(i);
            }
        }
        write(w2, b2);
    }

    private void write(float[] weights, float[] biases) {
        weight.getArray().set(FloatBuffer.wrap(weights));
        bias.getArray().set(FloatBuffer.wrap(biases));
    }

    /** @return the bound model's head parameters, for freezing during fine-tuning */
    Parameter[] parameters() {
        return new Parameter[] {weight, bias};
    }
}
