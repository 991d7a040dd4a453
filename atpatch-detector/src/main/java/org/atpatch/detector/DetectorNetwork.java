package org.atpatch.detector;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The detector's CNN + per-column MLP as a DJL block (see {@link DetectorArchitecture} for the
 * layers).
 *
 * <p>Inputs: the head-averaged maps {@code (B, N, N)} and the layer of each map one-hot {@code (B,
 * L)}. Outputs: logits {@code (B, N)} and column embeddings {@code (B, N, hidden)}.
 *
 * <p>All parameter shapes follow from the architecture alone (none from N), so they are fixed in
 * the constructor and {@link #checkShapes()} can compare loaded parameters against them. Every op in
 * {@link #forwardInternal} starts from an input-derived array, never from a parameter, so results
 * land in the caller's manager.
 */
final class DetectorNetwork extends AbstractBlock {

    private static final byte VERSION = 1;
    /** Added before the logarithm of the N-scaled map: attention below 1 % of uniform reads as −4.6. */
    private static final float LOG_FLOOR = 0.01f;

    private final DetectorArchitecture arch;
    private final Parameter convWeight;
    private final Parameter convBias;
    private final Parameter columnWeight;
    private final Parameter columnBias;
    private final Parameter mlp1Weight;
    private final Parameter mlp1Bias;
    private final Parameter layerEmbedding;
    private final Parameter mlp2Weight;
    private final Parameter mlp2Bias;
    private final Parameter outWeight;
    private final Parameter outBias;

    DetectorNetwork(DetectorArchitecture arch) {
        super(VERSION);
        this.arch = arch;
        int c1 = arch.convChannels();
        int c2 = arch.columnChannels();
        int h = arch.hiddenSize();
        convWeight = weight("conv_weight", new Shape(c1, 2, 3, 3), 2 * 9);
        convBias = bias("conv_bias", c1);
        columnWeight = weight("column_weight", new Shape(c2, 2L * c1, 3), 2 * c1 * 3);
        columnBias = bias("column_bias", c2);
        mlp1Weight = weight("mlp1_weight", new Shape(h, 2L * c2), 2 * c2);
        mlp1Bias = bias("mlp1_bias", h);
        layerEmbedding = arch.layerEmbedding()
                ? addParameter(Parameter.builder()
                        .setName("layer_embedding")
                        .setType(Parameter.Type.WEIGHT)
                        .optShape(new Shape(arch.layers(), h))
                        .optInitializer(new ConstantInitializer(0f))
                        .build())
                : null;
        mlp2Weight = weight("mlp2_weight", new Shape(h, h), h);
        mlp2Bias = bias("mlp2_bias", h);
        outWeight = weight("out_weight", new Shape(1, h), h);
        outBias = bias("out_bias", 1);
    }

    private Parameter weight(String name, Shape shape, int fanIn) {
        return addParameter(Parameter.builder()
                .setName(name)
                .setType(Parameter.Type.WEIGHT)
                .optShape(shape)
                .optInitializer(new UniformInitializer((float) (1 / Math.sqrt(fanIn))))
                .build());
    }

    private Parameter bias(String name, int size) {
        return addParameter(Parameter.builder()
                .setName(name)
                .setType(Parameter.Type.BIAS)
                .optShape(new Shape(size))
                .optInitializer(new ConstantInitializer(0f))
                .build());
    }

    DetectorArchitecture architecture() {
        return arch;
    }

    /**
     * Initializes the parameters (random, from the engine's seed).
     *
     * @param manager where the parameters live
     * @param tokens an N to record as input shape (any N works)
     */
    void initialize(NDManager manager, int tokens) {
        initialize(manager, DataType.FLOAT32, new Shape(1, tokens, tokens), new Shape(1, arch.layers()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray maps = inputs.get(0);
        NDArray layerOneHot = inputs.get(1);
        var device = maps.getDevice();
        long n = maps.getShape().get(1);

        // (B, 2, N, N): N·A and log(N·A + floor); scaled so that the features do not depend on N.
        NDArray scaled = maps.mul(n).expandDims(1);
        NDArray x = scaled.concat(scaled.add(LOG_FLOOR).log(), 1);
        x = Conv2d.conv2d(x, ps.getValue(convWeight, device, training), ps.getValue(convBias, device, training),
                        new Shape(1, 1), new Shape(1, 1), new Shape(1, 1))
                .singletonOrThrow();
        x = Activation.relu(x);
        // Pool each column over the query axis (axis 2): (B, 2·C1, N).
        NDArray cols = x.mean(new int[] {2}).concat(x.max(new int[] {2}), 1);
        NDArray h = Activation.relu(Conv1d.conv1d(cols, ps.getValue(columnWeight, device, training),
                        ps.getValue(columnBias, device, training), new Shape(1), new Shape(1), new Shape(1))
                .singletonOrThrow());
        // Each column beside its difference from the map's mean column: (B, N, 2·C2).
        h = h.concat(h.sub(h.mean(new int[] {2}, true)), 1).transpose(0, 2, 1);
        NDArray z = Linear.linear(h, ps.getValue(mlp1Weight, device, training),
                        ps.getValue(mlp1Bias, device, training))
                .singletonOrThrow();
        if (layerEmbedding != null) {
            // one-hot (B, L) · embedding (L, H): starts from the input side, so nothing lands in the
            // parameters' manager.
            z = z.add(layerOneHot.matMul(ps.getValue(layerEmbedding, device, training)).expandDims(1));
        }
        z = Activation.relu(z);
        // The column embedding f_θ is taken before its ReLU, so that cosine similarities can be
        // negative and the contrastive term can push the two classes to opposite sides.
        NDArray embedding = Linear.linear(z, ps.getValue(mlp2Weight, device, training),
                        ps.getValue(mlp2Bias, device, training))
                .singletonOrThrow();
        NDArray logits = Linear.linear(Activation.relu(embedding), ps.getValue(outWeight, device, training),
                        ps.getValue(outBias, device, training))
                .singletonOrThrow()
                .squeeze(2);
        return new NDList(logits, embedding);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long b = inputShapes[0].get(0);
        long n = inputShapes[0].get(1);
        return new Shape[] {new Shape(b, n), new Shape(b, n, arch.hiddenSize())};
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        if (loadVersion != VERSION) {
            throw new MalformedModelException("detector network parameters have block version " + loadVersion
                    + ", this library reads version " + VERSION);
        }
        readInputShapes(is);
    }

    /**
     * Compares every parameter's shape with what the architecture needs.
     *
     * @throws IllegalArgumentException listing the parameters that differ
     */
    void checkShapes() {
        DetectorNetwork fresh = new DetectorNetwork(arch);
        List<String> bad = new ArrayList<>();
        var expected = fresh.getParameters();
        var actual = getParameters();
        for (int i = 0; i < expected.size(); i++) {
            Shape want = expected.get(i).getValue().getShape();
            Parameter p = actual.get(i).getValue();
            Shape got = p.isInitialized() ? p.getArray().getShape() : null;
            if (!want.equals(got)) {
                bad.add(expected.get(i).getKey() + " has shape " + got + ", the architecture needs " + want);
            }
        }
        if (!bad.isEmpty()) {
            throw new IllegalArgumentException("parameters do not fit " + arch + ": " + String.join("; ", bad));
        }
    }
}
