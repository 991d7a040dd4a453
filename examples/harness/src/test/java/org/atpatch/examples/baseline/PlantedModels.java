package org.atpatch.examples.baseline;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.nio.FloatBuffer;
import java.util.Random;
import org.atpatch.djl.LabelledData;

/**
 * Small models with a planted defect, weights set by hand.
 *
 * <p>The backdoor model reads 4 features {@code x0..x3}: {@code x0..x2} in [0, 1] decide the clean
 * class (their argmax), {@code x3} is the trigger (0 clean, 1 stamped). Its hidden layer is {@code h_k
 * = relu(x_k)} for k &lt; 3, the backdoor unit {@code h3 = relu(5 x3 + 0.1)} (0.1 on every clean input,
 * 5.1 when stamped) and an unused unit {@code h4 = relu(x0 + x1 + x2)}; the head is {@code z_k = 10
 * h_k} plus {@code 10 h3} on the target class 0. So the backdoor unit is the most dormant on clean data
 * and sends every stamped input to class 0.
 */
final class PlantedModels {

    static final int TARGET = 0;
    static final int BACKDOOR_UNIT = 3;

    private PlantedModels() {}

    /** @return a fresh block of the backdoor model's architecture */
    static Block backdoorArchitecture() {
        return new SequentialBlock().add(Linear.builder().setUnits(5).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(3).build());
    }

    /** @return the backdoored model */
    static Model backdoored() {
        Block net = backdoorArchitecture();
        Model m = Model.newInstance("planted-backdoor");
        m.setBlock(net);
        net.initialize(m.getNDManager(), DataType.FLOAT32, new Shape(1, 4));
        float[] w1 = {
            1, 0, 0, 0,
            0, 1, 0, 0,
            0, 0, 1, 0,
            0, 0, 0, 5,
            1, 1, 1, 0};
        set(net, 0, w1, new float[] {0, 0, 0, 0.1f, 0});
        float[] w2 = {
            10, 0, 0, 10, 0,
            0, 10, 0, 0, 0,
            0, 0, 10, 0, 0};
        set(net, 2, w2, new float[3]);
        return m;
    }

    /**
     * @param n samples
     * @param seed the draw
     * @param stamped whether x3 is 1
     * @return inputs labelled with the argmax of x0..x2
     */
    static LabelledData data(int n, long seed, boolean stamped) {
        Random r = new Random(seed);
        float[] x = new float[n * 4];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int k = 0; k < 3; k++) {
                x[i * 4 + k] = r.nextFloat();
                if (x[i * 4 + k] > x[i * 4 + best]) {
                    best = k;
                }
            }
            x[i * 4 + 3] = stamped ? 1 : 0;
            y[i] = best;
        }
        return new LabelledData(x, y, new Shape(4));
    }

    /** @return a fresh block of the fairness models' architecture: one linear layer, 3 inputs, 2 classes */
    static Block fairnessArchitecture() {
        return new SequentialBlock().add(Linear.builder().setUnits(2).build());
    }

    /**
     * A linear model of {@code (x0, x1, x2)}: {@code z0 = 0}, {@code z1 = a x0 + x1 − c}. With {@code a =
     * 2, c = 4.5} and integer {@code x1} in 0..4 it predicts 1 exactly when {@code x0 = 1} and {@code x1 >=
     * 3}, so the protected {@code x0} decides the output there; with {@code a = 0} it ignores {@code x0}.
     *
     * @param a weight of the protected x0
     * @param c the threshold
     * @return the model
     */
    static Model linear(float a, float c) {
        Block net = fairnessArchitecture();
        Model m = Model.newInstance("planted-linear");
        m.setBlock(net);
        net.initialize(m.getNDManager(), DataType.FLOAT32, new Shape(1, 3));
        set(net, 0, new float[] {0, 0, 0, a, 1, 0}, new float[] {0, -c});
        return m;
    }

    /**
     * @param n samples
     * @param seed the draw
     * @return x0 in {0, 1}, x1 in 0..2 (below every discriminatory value), x2 in 0..4; labels 0
     */
    static LabelledData fairnessSeeds(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * 3];
        for (int i = 0; i < n; i++) {
            x[i * 3] = r.nextInt(2);
            x[i * 3 + 1] = r.nextInt(3);
            x[i * 3 + 2] = r.nextInt(5);
        }
        // one sample at the top of x1's range, so the feature bounds span 0..4
        x[1] = 4;
        return new LabelledData(x, new int[n], new Shape(3));
    }

    private static void set(Block net, int child, float[] w, float[] b) {
        Block linear = net.getChildren().get(child).getValue();
        linear.getParameters().get("weight").getArray().set(FloatBuffer.wrap(w));
        linear.getParameters().get("bias").getArray().set(FloatBuffer.wrap(b));
    }

    /** @return the weights of a model's parameters, in order, flattened */
    static float[][] weights(Model m) {
        return m.getBlock().getParameters().values().stream().map(p -> p.getArray().toFloatArray()).toArray(float[][]::new);
    }
}
