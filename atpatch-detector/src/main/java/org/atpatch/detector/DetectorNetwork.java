package org.atpatch.detector;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
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
    /** Added to the variance over columns before the z-score: divides by at least √0.1 ≈ 0.32. */
    private static final float SPREAD_FLOOR = 0.1f;
    /** Slope of the activations below 0. */
    private static final float LEAK = 0.1f;

    private final DetectorArchitecture arch;
    private final Parameter convWeight;
    private final Parameter convBias;
    private final Parameter columnWeight;
    private final Parameter columnBias;
    private final Parameter mlp1Weight;
    private final Parameter mlp1Bias;
    private final Parameter layerEmbedding;
    private final Parameter positionEmbedding;
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
        boolean cnn = arch.kind() == DetectorArchitecture.Kind.PAPER_CNN;
        convWeight = cnn ? weight("conv_weight", new Shape(c1, 2, 3, 3), 2 * 9) : null;
        convBias = cnn ? bias("conv_bias", c1) : null;
        // The kernel-3 convolution along the columns, as one linear map of [left, self, right] features.
        int f = arch.columnFeatures();
        columnWeight = weight("column_weight", new Shape(c2, 3L * f), f * 3);
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
        // One vector per (layer, column), stored (L, N·H) so that a one-hot (B, L) picks it by matMul.
        positionEmbedding = arch.positionEmbedding()
                ? addParameter(Parameter.builder()
                        .setName("position_embedding")
                        .setType(Parameter.Type.WEIGHT)
                        .optShape(new Shape(arch.layers(), (long) arch.tokens() * h))
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

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray maps = inputs.get(0);
        NDArray layerOneHot = inputs.size() > 1 ? inputs.get(1) : null;
        return fromFeatures(ps, features(ps, maps, training), layerOneHot, training);
    }

    /** @return whether {@link #features} reads no parameter (so it may run on each layer's maps apart) */
    boolean parameterFreeFeatures() {
        return convWeight == null;
    }

    /**
     * The first stage: per-column features of each map.
     *
     * @param maps head-averaged maps {@code (B, N, N)}
     * @return {@code (B, N, F)} with F = {@link DetectorArchitecture#columnFeatures()}
     */
    NDArray features(ParameterStore ps, NDArray maps, boolean training) {
        long n = maps.getShape().get(1);
        return convWeight != null ? convolved(ps, maps, n, training) : statistics(maps, n);
    }

    /**
     * The rest of the network on per-column features.
     *
     * @param cols {@code (B, N, F)} from {@link #features}
     * @param layerOneHot each map's layer one-hot {@code (B, L)}, or null without embeddings
     * @return logits {@code (B, N)} and column embeddings {@code (B, N, hidden)}
     */
    NDList fromFeatures(ParameterStore ps, NDArray cols, NDArray layerOneHot, boolean training) {
        var device = cols.getDevice();
        long n = cols.getShape().get(1);
        int h = arch.hiddenSize();
        NDArray z = hidden(ps, cols, training);
        try (NDArray perMap = z.reshape(-1, n, h)) { // a view of z
            if (layerEmbedding != null) {
                if (layerOneHot == null) {
                    throw new IllegalArgumentException("this detector has a layer embedding: pass each map's layer");
                }
                // one-hot (B, L) · embedding (L, H): starts from the input side, so nothing lands in the
                // parameters' manager.
                perMap.addi(layerOneHot.matMul(ps.getValue(layerEmbedding, device, training)).expandDims(1));
            }
            if (positionEmbedding != null) {
                requirePositionTokens(layerOneHot != null, n);
                try (NDArray pos = layerOneHot.matMul(ps.getValue(positionEmbedding, device, training));
                        NDArray perColumn = pos.reshape(-1, n, h)) {
                    perMap.addi(perColumn);
                }
            }
        }
        try (NDList rows = head(ps, z, training)) {
            return new NDList(rows.get(0).reshape(-1, n), rows.get(1).reshape(-1, n, h));
        }
    }

    /**
     * Inference on the maps of every layer of each sample, in order: row {@code s·L + l} holds sample
     * s's layer l. Gives the same logits as {@link #fromFeatures} with each row's layer one-hot, but
     * adds the layer (and position) embeddings by broadcasting over the samples instead of a one-hot
     * product per row, which at batch 256 on the MNIST ViT alone writes and reads a
     * {@code (B·L, N·H)} array.
     *
     * @param cols {@code (B·L, N, F)} from {@link #features}
     * @return logits {@code (B·L·N, 1)}, row-major over (sample, layer, column)
     */
    NDArray logitsInLayerOrder(ParameterStore ps, NDArray cols) {
        var device = cols.getDevice();
        long n = cols.getShape().get(1);
        int layers = arch.layers();
        int h = arch.hiddenSize();
        NDArray z = hidden(ps, cols, false);
        try (NDArray perLayer = z.reshape(-1, layers, n, h)) { // a view of z
            if (layerEmbedding != null) {
                try (NDArray e = attachedLike(ps.getValue(layerEmbedding, device, false).reshape(layers, 1, h), z)) {
                    perLayer.addi(e);
                }
            }
            if (positionEmbedding != null) {
                requirePositionTokens(true, n);
                try (NDArray p = attachedLike(ps.getValue(positionEmbedding, device, false).reshape(layers, n, h), z)) {
                    perLayer.addi(p);
                }
            }
        }
        NDList out = head(ps, z, false);
        out.get(1).close(); // the column embeddings, which only training reads
        return out.get(0);
    }

    /** A view of a parameter moved into {@code like}'s manager, so that nothing is left in the parameters'. */
    private static NDArray attachedLike(NDArray parameterView, NDArray like) {
        parameterView.attach(like.getManager());
        return parameterView;
    }

    private void requirePositionTokens(boolean layersGiven, long n) {
        if (!layersGiven || n != arch.tokens()) {
            throw new IllegalArgumentException("this detector has a position embedding for N = " + arch.tokens()
                    + ": pass each map's layer and maps of that N (got N = " + n + ")");
        }
    }

    /**
     * The column convolution, the z-score over the map's columns and the MLP's first linear layer,
     * before its layer and position embeddings. The per-column layers run on {@code (B·N, ·)} rows,
     * so that each is one matrix product with its bias added inside it (on a 3-D input PyTorch adds
     * the bias as a pass of its own).
     *
     * @param cols {@code (B, N, F)}
     * @return {@code (B·N, hidden)}, row-major over (map, column)
     */
    private NDArray hidden(ParameterStore ps, NDArray cols, boolean training) {
        var device = cols.getDevice();
        long n = cols.getShape().get(1);
        long f = cols.getShape().get(2);
        // Intermediates are closed as soon as the next step has read them (see statistics); autograd
        // keeps what the backward pass needs on its own.
        // Kernel-3 convolution along the columns, written as a linear map of each column's features
        // beside its left and right neighbours' (zero beyond the edges). DJL/PyTorch's conv1d on CPU
        // can return non-deterministic values (occasionally NaN) with two threads, while this form is
        // plain matrix arithmetic.
        // Each shift is one pad that adds a zero column on one side and drops one on the other.
        NDArray neighbours;
        try (NDArray left = cols.pad(new Shape(0, 0, 1, -1), 0f); NDArray right = cols.pad(new Shape(0, 0, -1, 1), 0f)) {
            neighbours = NDArrays.concat(new NDList(left, cols, right), 2); // (B, N, 3·F): [left, self, right]
        }
        NDArray h;
        try (neighbours; NDArray rows = neighbours.reshape(-1, 3 * f);
                NDArray pre = Linear.linear(rows, ps.getValue(columnWeight, device, training),
                        ps.getValue(columnBias, device, training)).singletonOrThrow();
                NDArray activated = act(pre)) {
            h = activated.reshape(-1, n, arch.columnChannels()); // (B, N, C2)
        }
        // Each column beside how far it stands out from the map's other columns, as a z-score over the
        // columns of its map: (B, N, 2·C2). Over-attention is a column that stands out.
        try (h; NDArray centred = h.sub(h.mean(new int[] {1}, true))) {
            // The floor keeps the division tame when a feature barely varies across the columns: a much
            // smaller floor lets such features amplify noise until training diverges.
            NDArray spread;
            try (NDArray square = centred.square()) {
                spread = square.mean(new int[] {1}, true).add(SPREAD_FLOOR).sqrt();
            }
            try (NDArray standardised = centred.div(spread); NDArray both = h.concat(standardised, 2);
                    NDArray rows = both.reshape(-1, 2L * arch.columnChannels())) {
                return Linear.linear(rows, ps.getValue(mlp1Weight, device, training), ps.getValue(mlp1Bias, device, training))
                        .singletonOrThrow();
            }
        }
    }

    /**
     * The MLP's activation and second layer (the column embedding), then the read-out; closes {@code z}.
     *
     * @param z {@code (B·N, hidden)}, the first layer's output with its embeddings added
     * @return logits {@code (B·N, 1)} and column embeddings {@code (B·N, hidden)}
     */
    private NDList head(ParameterStore ps, NDArray z, boolean training) {
        var device = z.getDevice();
        // The column embedding f_θ is taken before its activation, so that cosine similarities can be
        // negative and the contrastive term can push the two classes to opposite sides.
        NDArray embedding;
        try (z; NDArray a = act(z)) {
            embedding = Linear.linear(a, ps.getValue(mlp2Weight, device, training), ps.getValue(mlp2Bias, device, training))
                    .singletonOrThrow();
        }
        try (NDArray a = act(embedding)) {
            NDArray logits = Linear.linear(a, ps.getValue(outWeight, device, training), ps.getValue(outBias, device, training))
                    .singletonOrThrow();
            return new NDList(logits, embedding);
        }
    }

    /**
     * The paper's features: the 3 × 3 convolution over N·A and log(N·A + floor), pooled per column over
     * the query axis (mean and max of its planes, and the mean of the two input planes).
     *
     * @return {@code (B, N, 2·convChannels + 2)}
     */
    private NDArray convolved(ParameterStore ps, NDArray maps, long n, boolean training) {
        var device = maps.getDevice();
        // (B, 2, N, N): N·A and log(N·A + floor); scaled so that the features do not depend on N.
        NDArray scaled = Scalars.times(maps, n).expandDims(1);
        NDArray input = scaled.concat(scaled.add(LOG_FLOOR).log(), 1);
        NDArray x = Conv2d.conv2d(input, ps.getValue(convWeight, device, training), ps.getValue(convBias, device, training),
                        new Shape(1, 1), new Shape(1, 1), new Shape(1, 1))
                .singletonOrThrow();
        x = act(x);
        return NDArrays.concat(new NDList(x.mean(new int[] {2}), x.max(new int[] {2}), input.mean(new int[] {2})), 1)
                .transpose(0, 2, 1);
    }

    /**
     * Column statistics of N·A over the query axis, with no intermediate larger than the map: mean,
     * max, standard deviation, the CLS query's row, the mean of log(N·A + floor), the logarithms of the
     * mean and max, and the column token's own query row: its peak (log) and its sharpness (the mean of
     * N·A · log(N·A + floor) over the keys).
     *
     * @return {@code (B, N, 9)}
     */
    private static NDArray statistics(NDArray maps, long n) {
        // Each map-sized intermediate is closed as soon as it is reduced, so that at most three exist at
        // once and the allocator hands the same memory back: on a CPU, fresh pages for a map-sized array
        // cost more than the arithmetic on it. The product is taken in place (with a gradient through the
        // maps, autograd keeps the factor's value from before).
        try (NDArray scaled = Scalars.times(maps, n); // (B, N, N), uniform attention reads 1
                NDArray cls = scaled.get(new NDIndex(":, 0"))) { // a view, closed before scaled
            NDArray mean = scaled.mean(new int[] {1});
            NDArray max = scaled.max(new int[] {1});
            NDArray meanSquare;
            try (NDArray square = scaled.square()) {
                meanSquare = square.mean(new int[] {1});
            }
            NDArray spread = Scalars.atLeast(meanSquare.sub(mean.square()), 0).sqrt();
            // The token's own query row: how peaked its attention is, and its (N-scaled) negative entropy.
            NDArray rowMax = scaled.max(new int[] {2});
            NDArray logs;
            try (NDArray shifted = scaled.add(LOG_FLOOR)) {
                logs = shifted.log();
            }
            NDArray meanLog;
            NDArray rowSharpness;
            try (logs) {
                meanLog = logs.mean(new int[] {1});
                rowSharpness = logs.muli(scaled).mean(new int[] {2});
            }
            // (B, N, 9): mean, max, spread, CLS row, mean log; log mean, log max, log row max; sharpness.
            return NDArrays.concat(new NDList(
                    NDArrays.stack(new NDList(mean, max, spread, cls, meanLog), 2),
                    NDArrays.stack(new NDList(mean, max, rowMax), 2).add(LOG_FLOOR).log(),
                    rowSharpness.expandDims(2)), 2);
        }
    }

    /**
     * Leaky ReLU: a unit that goes negative for every input keeps a gradient, so the small network
     * cannot die at once under the contrastive term's 1/T-scaled gradients (with plain ReLU the
     * features can collapse to constants mid-training).
     */
    private static NDArray act(NDArray x) {
        return Activation.leakyRelu(x, LEAK);
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
     * Adds a constant to every output logit (in place), e.g. to undo the prior shift of a weighted BCE.
     *
     * @param delta the shift
     */
    void shiftOutputBias(float delta) {
        NDArray b = outBias.getArray();
        float[] v = b.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            v[i] += delta;
        }
        b.set(v);
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
