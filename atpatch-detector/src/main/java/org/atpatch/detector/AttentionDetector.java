package org.atpatch.detector;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.atpatch.core.Checks;

/**
 * The trained detector of AtPatch (§3.3): a {@link ColumnDetector} that turns head-averaged attention
 * maps (Eq. 5) into per-column anomaly probabilities (Eq. 6), with its threshold τ (Eq. 9), its
 * architecture and the provenance of its training.
 *
 * <h2>Online use</h2>
 *
 * {@link #detect} and {@link #detectAll} run on the device of their input and return arrays in the
 * caller's manager; nothing is copied to the host except one scalar per call for the NaN/Inf check,
 * and nothing is left behind in the detector's own manager (intermediates live in a sub-manager of
 * the caller's that is closed before returning). {@link #detectAll} runs every layer in one forward
 * pass: the layers are stacked into the batch and told apart by the layer embedding. The parameters
 * are copied once per device on first use; after that, calls are safe from many threads at once
 * (inference mode, no gradient collector, no shared mutable state).
 *
 * <h2>Layer conditioning: one network with layer (and position) embeddings, not one per layer</h2>
 *
 * {@code LayerConditioningExperiment} (the harness's bench package) compares the four ways of conditioning on the
 * layer (one shared network or one network per layer, each with or without a position embedding) on
 * synthetic layers that differ in sharpness, CLS sink, anomaly strength and a natural second sink on
 * a fixed column. The shared network with both embeddings is the default because every layer's maps
 * train the same convolution and MLP (L times the data per parameter) while the embeddings still let
 * it treat layers differently; it also runs all layers in one forward pass, which keeps detection
 * cheap online. The position embedding (one
 * learned vector per layer and column) is what tells a natural attention sink at a fixed token from
 * over-attention; a translation-invariant CNN cannot. It ties the detector to the training N, which a
 * per-model detector is anyway; {@link DetectorConfig.Builder#optTokenAgnostic} drops it for a
 * detector that accepts any N.
 *
 * <h2>Files</h2>
 *
 * {@link #save} writes one file (magic, format version, JSON manifest with architecture and
 * provenance, DJL parameters, SHA-256), atomically. {@link #load} rebuilds the network from the
 * manifest and refuses truncated, corrupt and foreign files, and files whose architecture differs
 * from an expected one, with a {@link DetectorFileException} naming the problem.
 */
public final class AttentionDetector implements ColumnDetector, AutoCloseable {

    /**
     * Up to this many map floats ({@code L·B·N²}, 4 MB) {@link #detectAll} stacks the layers before the
     * column statistics: measured on one CPU thread, stacking cuts the statistics from 0.55 to 0.21 ms on
     * the MNIST ViT at batch 1 and from 2.5 to 2.1 ms at batch 32, and costs 1.3× at batch 256 and 3× on
     * ViT-S/16 at batch 32.
     */
    private static final long STACKED_FEATURES_MAX_FLOATS = 1L << 20;

    private final Model model;
    private final DetectorNetwork network;
    private final DetectorArchitecture arch;
    private final ConcurrentHashMap<Device, ParameterStore> stores = new ConcurrentHashMap<>();
    private volatile DetectorProvenance provenance;
    private volatile boolean closed;

    private AttentionDetector(Model model, DetectorNetwork network, DetectorProvenance provenance) {
        this.model = model;
        this.network = network;
        this.arch = network.architecture();
        this.provenance = provenance;
        Checks.requireTau(provenance.tau());
    }

    /**
     * Builds a detector from serialized parameters (DJL's block stream).
     *
     * @param arch the architecture to build
     * @param params the parameter bytes
     * @param provenance its provenance, including τ
     * @param device where to load it, or {@code null} for the engine's default
     * @param source the file, for messages, or {@code null}
     */
    static AttentionDetector fromParameters(DetectorArchitecture arch, byte[] params, DetectorProvenance provenance,
            Device device, Path source) {
        DjlOffline.configure();
        Devices.requireAvailable(device);
        Model model = device == null ? Model.newInstance("atpatch-detector")
                : Model.newInstance("atpatch-detector", device);
        try {
            DetectorNetwork net = new DetectorNetwork(arch);
            model.setBlock(net);
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(params))) {
                net.loadParameters(model.getNDManager(), in);
                if (in.available() > 0) {
                    throw new MalformedModelException(in.available() + " bytes left after the last parameter");
                }
            } catch (IOException | MalformedModelException e) {
                String msg = "its parameters do not fit " + arch + ": " + e.getMessage();
                throw source == null ? new IllegalArgumentException(msg, e) : new DetectorFileException(source, msg);
            }
            try {
                net.checkShapes();
            } catch (IllegalArgumentException e) {
                throw source == null ? e : new DetectorFileException(source, e.getMessage());
            }
            for (Parameter p : net.getParameters().values()) {
                p.getArray().setRequiresGradient(false);
            }
            return new AttentionDetector(model, net, provenance);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Loads a detector saved by {@link #save}, onto the engine's default device.
     *
     * @param file the file
     * @return the detector
     * @throws IOException when the file cannot be read
     * @throws DetectorFileException when it is not a valid detector file
     */
    public static AttentionDetector load(Path file) throws IOException {
        return load(file, null, null);
    }

    /**
     * Loads a detector onto a device.
     *
     * @param file the file
     * @param device the device, or {@code null} for the engine's default
     * @return the detector
     * @throws IOException when the file cannot be read
     * @throws DetectorFileException when it is not a valid detector file
     */
    public static AttentionDetector load(Path file, Device device) throws IOException {
        return load(file, null, device);
    }

    /**
     * Loads a detector and checks that it has the architecture the caller built for.
     *
     * @param file the file
     * @param expected the architecture the caller expects, or {@code null} for any
     * @param device the device, or {@code null} for the engine's default
     * @return the detector
     * @throws IOException when the file cannot be read
     * @throws DetectorFileException when it is not a valid detector file, or its architecture differs
     *     from {@code expected} (the message lists the differing fields)
     */
    public static AttentionDetector load(Path file, DetectorArchitecture expected, Device device) throws IOException {
        Objects.requireNonNull(file, "file");
        DetectorFile.Contents c = DetectorFile.read(file);
        if (expected != null && !expected.equals(c.architecture())) {
            throw new DetectorFileException(file, "it holds a detector of another architecture (file vs expected: "
                    + String.join(", ", c.architecture().differences(expected)) + ")");
        }
        return fromParameters(c.architecture(), c.parameters(), c.provenance(), device, file);
    }

    /**
     * Saves parameters, architecture and provenance to one file, atomically: a crash mid-save leaves
     * any previous file intact.
     *
     * @param file the target
     * @throws IOException on failure
     */
    public void save(Path file) throws IOException {
        checkOpen();
        DetectorFile.write(file, arch, provenance, parameterBytes());
    }

    /**
     * The detector in its file format ({@link #save}'s bytes), to embed it in a larger file.
     *
     * @return the bytes
     * @throws IOException when the parameters cannot be serialised
     */
    public byte[] toBytes() throws IOException {
        checkOpen();
        return DetectorFile.encode(arch, provenance, parameterBytes());
    }

    /**
     * Reads a detector from {@link #toBytes}'s bytes.
     *
     * @param bytes the bytes
     * @param name what they are called, for error messages (e.g. the containing file and entry)
     * @param device the device, or {@code null} for the engine's default
     * @return the detector
     * @throws DetectorFileException when the bytes are not a valid detector
     */
    public static AttentionDetector fromBytes(byte[] bytes, String name, Device device) {
        Path source = Path.of(name);
        DetectorFile.Contents c = DetectorFile.decode(bytes, source);
        return fromParameters(c.architecture(), c.parameters(), c.provenance(), device, source);
    }

    byte[] parameterBytes() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            network.saveParameters(out);
        }
        return bytes.toByteArray();
    }

    /** @return the threshold τ: columns with a probability above it are flagged (Eq. 9) */
    public double tau() {
        return provenance.tau();
    }

    /** @return how the detector was trained, and how τ was chosen */
    public DetectorProvenance provenance() {
        return provenance;
    }

    /** @return the network's architecture */
    public DetectorArchitecture architecture() {
        return arch;
    }

    /** @return the device the parameters were loaded on */
    public Device device() {
        return model.getNDManager().getDevice();
    }

    @Override
    public int tokens() {
        return arch.tokens();
    }

    @Override
    public int layers() {
        return arch.layers();
    }

    /**
     * Sets τ by hand; recorded in the provenance as {@code set}, without metrics.
     *
     * @param tau the new τ, in (0, 1)
     */
    public void setTau(double tau) {
        Checks.requireTau(tau);
        provenance = provenance.withTau(tau, "set", "given", null);
    }

    /**
     * Chooses τ on data (usually held-out validation pairs) and records the choice and the metrics at it.
     *
     * @param selection how to choose
     * @param data the maps to choose on
     * @return the choice
     */
    public TauSelection.Choice selectTau(TauSelection selection, DetectorTrainingData data) {
        float[][] p = probabilities(data);
        boolean[][] truth = data.labelMatrix();
        TauSelection.Choice c = selection.select(p, data);
        provenance = provenance.withTau(c.tau(), c.method(), "given data (" + data.size() + " maps)",
                DetectorProvenance.ValidationMetrics.of(
                        org.atpatch.core.DetectionMetrics.strict(p, truth, c.tau()), DetectorEvaluation.rocAuc(p, truth)));
        return c;
    }

    /**
     * Column probabilities of one layer's maps, on their device.
     *
     * @param headAveraged {@code (B, N, N)} head-averaged maps, finite
     * @param layer the layer they came from, in {@code [0, layers())}
     * @return {@code (B, N)} probabilities in the caller's manager
     * @throws IllegalArgumentException on a wrong shape or N, a layer out of range, or NaN/Inf in the maps
     * @throws IllegalStateException after {@link #close()}
     */
    @Override
    public NDArray detect(NDArray headAveraged, int layer) {
        checkOpen();
        Objects.requireNonNull(headAveraged, "headAveraged");
        requireMaps(headAveraged, "maps of layer " + layer);
        if (layer < 0 || layer >= arch.layers()) {
            throw new IllegalArgumentException("layer " + layer + " is out of range: the detector was trained for "
                    + arch.layers() + " layers (0.." + (arch.layers() - 1) + ")");
        }
        NDManager caller = headAveraged.getManager();
        try (NDManager scope = caller.newSubManager(headAveraged.getDevice())) {
            NDArray x = inScope(headAveraged, scope);
            requireFinite(x, "maps of layer " + layer);
            NDArray oneHot = scope.arange(arch.layers()).eq(layer).toType(DataType.FLOAT32, false)
                    .reshape(1, arch.layers());
            NDArray p = forward(x, oneHot);
            p.attach(caller);
            return p;
        }
    }

    /**
     * Column probabilities of every layer in one forward pass.
     *
     * @param headAveragedPerLayer layer {@code l}'s {@code (B, N, N)} maps at index {@code l}; exactly
     *     {@link #layers()} entries, all of one shape
     * @return {@code (B, L, N)} probabilities in the first array's manager
     * @throws IllegalArgumentException on a wrong count, shape or N, or NaN/Inf in the maps
     */
    @Override
    public NDArray detectAll(List<NDArray> headAveragedPerLayer) {
        checkOpen();
        Objects.requireNonNull(headAveragedPerLayer, "headAveragedPerLayer");
        int l = headAveragedPerLayer.size();
        if (l != arch.layers()) {
            throw new IllegalArgumentException("got maps of " + l + " layers, the detector was trained for "
                    + arch.layers());
        }
        NDArray first = headAveragedPerLayer.get(0);
        for (int i = 0; i < l; i++) {
            NDArray a = Objects.requireNonNull(headAveragedPerLayer.get(i), "maps of layer " + i);
            requireMaps(a, "maps of layer " + i);
            if (!a.getShape().equals(first.getShape())) {
                throw new IllegalArgumentException("maps of layer " + i + " are " + a.getShape() + ", layer 0's "
                        + first.getShape());
            }
        }
        long b = first.getShape().get(0);
        long n = first.getShape().get(1);
        NDManager caller = first.getManager();
        try (NDManager scope = caller.newSubManager(first.getDevice())) {
            ParameterStore ps = store(first.getDevice());
            NDArray f;
            if (network.parameterFreeFeatures() && (long) l * b * n * n > STACKED_FEATURES_MAX_FLOATS) {
                // Column statistics of a large batch: each layer's maps are reduced where they lie and
                // only the small (B, L, F, N) features are stacked, since a stacked copy of all maps costs
                // more than it saves.
                try (NDList features = new NDList(l)) {
                    for (NDArray a : headAveragedPerLayer) {
                        try (NDArray view = inScope(a, scope)) {
                            features.add(network.features(ps, view, false));
                        }
                    }
                    f = NDArrays.stack(features, 1).reshape(b * l, n, -1); // (B·L, N, F), sample-major
                }
            } else {
                // Small batches (and the paper's CNN): the maps are stacked and run through one set of
                // ops, since per-op dispatch dominates there.
                NDArray stacked = NDArrays.stack(new NDList(headAveragedPerLayer), 1); // in the caller's manager
                stacked.attach(scope);
                try (NDArray maps = asFloat(stacked); NDArray flat = maps.reshape(b * l, n, n)) {
                    f = network.features(ps, flat, false); // (B·L, N, F)
                }
            }
            requireFinite(f, "maps"); // a NaN or Inf in a map shows in its column's mean (both kinds have one)
            NDArray p;
            try (f; NDArray logits = network.logitsInLayerOrder(ps, f)) {
                p = Activation.sigmoid(logits).reshape(b, l, n);
            }
            p.attach(caller);
            return p;
        }
    }

    /**
     * Column probabilities of every map of a data set, on the host, for evaluation.
     *
     * @param data the maps; N must fit the detector
     * @return {@code [M][N]}
     */
    public float[][] probabilities(DetectorTrainingData data) {
        checkOpen();
        if (arch.tokens() != -1 && data.tokens() != arch.tokens()) {
            throw new IllegalArgumentException("data have N = " + data.tokens() + ", the detector was trained for N = "
                    + arch.tokens());
        }
        return MapBatch.predict(network, store(device()), model.getNDManager(), data, arch.layers(), 256);
    }

    /**
     * The RQ2 evaluation at this detector's τ.
     *
     * @param data held-out maps with their labels
     * @return strict map-level metrics, column ROC-AUC and the PR curve
     */
    public DetectorEvaluation evaluate(DetectorTrainingData data) {
        return DetectorEvaluation.of(probabilities(data), data.labelMatrix(), tau());
    }

    private NDArray forward(NDArray x, NDArray oneHot) {
        ParameterStore ps = store(x.getDevice());
        NDArray logits = network.forward(ps, new NDList(x, oneHot), false).get(0);
        return Activation.sigmoid(logits);
    }

    /** A handle on {@code a} that lives in {@code scope}, as float32; {@code a} itself is untouched. */
    private static NDArray inScope(NDArray a, NDManager scope) {
        NDArray view = a.reshape(a.getShape());
        view.attach(scope);
        return asFloat(view);
    }

    /** {@code a} as float32, in its own manager. */
    private static NDArray asFloat(NDArray a) {
        return a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
    }

    private void requireMaps(NDArray a, String what) {
        Shape s = a.getShape();
        if (s.dimension() != 3 || s.get(1) != s.get(2)) {
            throw new IllegalArgumentException(what + " must be head-averaged maps (batch, N, N), got " + s);
        }
        if (s.get(1) < 2) {
            throw new IllegalArgumentException(what + " need N >= 2, got " + s);
        }
        if (arch.tokens() != -1 && s.get(1) != arch.tokens()) {
            throw new IllegalArgumentException(what + " have N = " + s.get(1) + " but the detector was trained for N = "
                    + arch.tokens() + " tokens");
        }
    }

    private static void requireFinite(NDArray x, String what) {
        // Attention values lie in [0, 1], so the sum overflows only when a value is NaN or infinite;
        // one reduction and one scalar to the host.
        float sum = x.sum().getFloat();
        if (!Float.isFinite(sum)) {
            throw new IllegalArgumentException(what + " contain NaN or infinite values");
        }
    }

    private ParameterStore store(Device device) {
        return stores.computeIfAbsent(device, d -> {
            NDManager owner = model.getNDManager();
            NDManager m = owner.getDevice().equals(d) ? owner : owner.newSubManager(d);
            ParameterStore ps = new ParameterStore(m, false);
            // Copy every parameter now, under the map's lock, so that later calls only read.
            for (Parameter p : network.getParameters().values()) {
                ps.getValue(p, d, false);
            }
            return ps;
        });
    }

    /** @return how many arrays the detector's own manager holds (its parameters and their device copies) */
    int managedArrayCount() {
        return model.getNDManager().getManagedArrays().size();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this detector has been closed");
        }
    }

    /** Releases the parameters on every device. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            stores.clear();
            model.close();
        }
    }

    /** @return the engine's name, for provenance */
    static String engineDescription() {
        Engine e = Engine.getInstance();
        return e.getEngineName() + " " + e.getVersion();
    }
}
