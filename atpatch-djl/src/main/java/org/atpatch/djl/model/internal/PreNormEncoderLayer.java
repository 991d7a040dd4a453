package org.atpatch.djl.model.internal;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.atpatch.djl.interception.InterceptableSelfAttention;
import org.atpatch.djl.interception.TokenStatePoint;

/**
 * The pre-norm residual transformer layer every family is built from:
 *
 * <pre>{@code
 * x = T(x)                              // the token-state point, when the layer has one
 * x = x + A(norm1(x))                   // the attention branch
 * x = x + fc2(GELU(fc1(norm2(x))))      // the MLP half, hidden width round(width · mlpRatio)
 * }</pre>
 *
 * <p>Input and output {@code (B, N, width)}; both norms are over the last axis. What differs
 * between families is what surrounds the attention, and each kind is made by its own factory:
 *
 * <ul>
 *   <li>{@link #PreNormEncoderLayer(int, int, double) the encoder layer} (ViT, T2T-ViT backbone,
 *       tabular families, custom architectures): a {@link TokenStatePoint} in front and an {@link
 *       InterceptableSelfAttention} as {@code A};
 *   <li>{@link #swin}: no token-state point; {@code A} is shifted-window attention with a relative
 *       position bias and the shift mask (one map per window);
 *   <li>{@link #tokensToToken}: no token-state point; {@code A} is single-head attention that is not
 *       interceptable (the token transformer of T2T-ViT, whose maps are not the victim's layers).
 *       The tokens-to-token step changes the width in the projection before this layer, so the layer
 *       itself keeps the width and has both residuals.
 * </ul>
 *
 * <p>Children, in DJL's order: {@code token_states} (encoder layer only), {@code norm1}, {@code
 * attn} (the branch {@code A}), {@code norm2}, {@code fc1}, {@code fc2}.
 *
 * <p><b>Saved parameters.</b> The layer's DJL block version is the current version of its kind's
 * {@link ParameterLayout}. {@link #loadParameters} reads a stream of the current version with DJL's
 * reader and one of an older version through that layout's table, so victims saved before a layout
 * change still load, bit for bit; {@link #parametersAsVersion} gives the names the fingerprint
 * hashes.
 *
 * <p>Not thread-safe while it is built, initialised or loaded. Once initialised, forward may run
 * on several threads at once (each with its own {@link ParameterStore}); the interception points
 * are set when a model is wrapped.
 */
public final class PreNormEncoderLayer extends AbstractBlock {

    /** DJL's LayerNorm epsilon, the one every family uses unless told otherwise. */
    public static final float DEFAULT_EPSILON = 1e-5f;

    private final ParameterLayout layout;
    private final TokenStatePoint tokenStates;
    private final LayerNorm norm1;
    private final Block attention;
    private final LayerNorm norm2;
    private final Linear fc1;
    private final Linear fc2;

    /**
     * The encoder layer: a token-state point in front, an interceptable multi-head attention.
     *
     * @param width the model width
     * @param heads the attention heads; must divide the width
     * @param mlpRatio hidden width of the MLP as a multiple of {@code width}
     * @throws IllegalArgumentException when the ratio is not positive or the heads do not divide the
     *     width
     */
    public PreNormEncoderLayer(int width, int heads, double mlpRatio) {
        this(width, heads, mlpRatio, DEFAULT_EPSILON);
    }

    /**
     * The encoder layer with a given LayerNorm epsilon (imported weights carry their source's: timm's
     * ViT uses 1e-6, Hugging Face's 1e-12). The epsilon is not a parameter and is not saved.
     *
     * @param width the model width
     * @param heads the attention heads; must divide the width
     * @param mlpRatio hidden width of the MLP as a multiple of {@code width}
     * @param layerNormEpsilon the epsilon of both norms; positive
     * @throws IllegalArgumentException when the ratio or epsilon is not positive or the heads do not
     *     divide the width
     */
    public PreNormEncoderLayer(int width, int heads, double mlpRatio, float layerNormEpsilon) {
        this(ParameterLayout.ENCODER, width, mlpRatio, true,
                InterceptableSelfAttention.builder().setWidth(width).setHeads(heads).build(), layerNormEpsilon);
    }

    /**
     * A Swin block: windowed attention on a {@code grid × grid} token grid, without a token-state
     * point. Its interceptable attention sees {@code (B·windows, heads, window², window²)}.
     *
     * @param windows the layer's windows: grid, window side, shift
     * @param width the width of the layer's stage
     * @param heads the attention heads; must divide the width
     * @param mlpRatio hidden width of the MLP as a multiple of {@code width}
     * @return the layer, input {@code (B, grid², width)}
     */
    public static PreNormEncoderLayer swin(ShiftedWindows windows, int width, int heads, double mlpRatio) {
        return new PreNormEncoderLayer(ParameterLayout.SWIN, width, mlpRatio, false,
                new WindowAttention(windows, width, heads), DEFAULT_EPSILON);
    }

    /**
     * The token transformer of a tokens-to-token step: single-head attention that is not
     * interceptable, without a token-state point.
     *
     * @param width the token width
     * @param mlpRatio hidden width of the MLP as a multiple of {@code width}
     * @return the layer
     */
    public static PreNormEncoderLayer tokensToToken(int width, double mlpRatio) {
        return new PreNormEncoderLayer(ParameterLayout.TOKENS_TO_TOKEN, width, mlpRatio, false,
                new TokenAttention(width), DEFAULT_EPSILON);
    }

    private PreNormEncoderLayer(
            ParameterLayout layout, int width, double mlpRatio, boolean tokenStatePoint, Block attention, float epsilon) {
        super((byte) layout.version());
        if (!(mlpRatio > 0)) {
            throw new IllegalArgumentException("MLP ratio must be positive, got " + mlpRatio);
        }
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("LayerNorm epsilon must be positive, got " + epsilon);
        }
        this.layout = layout;
        tokenStates = tokenStatePoint ? addChildBlock("token_states", new TokenStatePoint()) : null;
        norm1 = addChildBlock("norm1", LayerNorm.builder().axis(2).optEpsilon(epsilon).build());
        this.attention = addChildBlock("attn", attention);
        norm2 = addChildBlock("norm2", LayerNorm.builder().axis(2).optEpsilon(epsilon).build());
        fc1 = addChildBlock("fc1", Linear.builder().setUnits(Math.round(width * mlpRatio)).build());
        fc2 = addChildBlock("fc2", Linear.builder().setUnits(width).build());
    }

    /** @return the attention branch {@code A} */
    public Block attention() {
        return attention;
    }

    /** @return the layer's kind and its parameter layout */
    public ParameterLayout layout() {
        return layout;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        if (tokenStates != null) {
            x = tokenStates.forward(ps, inputs, training).singletonOrThrow();
        }
        NDArray h = norm1.forward(ps, new NDList(x), training).singletonOrThrow();
        x = x.add(attention.forward(ps, new NDList(h), training).singletonOrThrow());
        h = norm2.forward(ps, new NDList(x), training).singletonOrThrow();
        h = Activation.gelu(fc1.forward(ps, new NDList(h), training).singletonOrThrow());
        x = x.add(fc2.forward(ps, new NDList(h), training).singletonOrThrow());
        return new NDList(x);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        if (tokenStates != null) {
            tokenStates.initialize(manager, dataType, s);
        }
        norm1.initialize(manager, dataType, s);
        attention.initialize(manager, dataType, s);
        norm2.initialize(manager, dataType, s);
        fc1.initialize(manager, dataType, s);
        fc2.initialize(manager, dataType, fc1.getOutputShapes(new Shape[] {s})[0]);
    }

    /**
     * Reads the layer from a saved stream: a stream of the current layout version with DJL's own
     * reader, one of an older version through its {@link ParameterLayout} table.
     *
     * @param manager where the arrays go
     * @param is the stream, at this layer's header
     * @throws MalformedModelException when the stream holds a version this kind never had, or does
     *     not match the layout (a parameter's short name, a container's version)
     * @throws IOException when the stream cannot be read
     */
    @Override
    public void loadParameters(NDManager manager, DataInputStream is) throws IOException, MalformedModelException {
        byte saved = is.readByte();
        if (saved == version) {
            loadMetadata(saved, is);
            for (Parameter p : getDirectParameters().values()) {
                p.load(manager, is);
            }
            for (Block child : getChildren().values()) {
                child.loadParameters(manager, is);
            }
            return;
        }
        for (ParameterLayout.Row row : layout.rowsFor(saved)) {
            switch (row.step()) {
                case SELF -> readInputShapes(is);
                case DROPPED -> skipHeader(is, row.older());
                case PARAMETER -> parameter(row.current()).load(manager, is);
                case BLOCK -> block(row.current()).loadParameters(manager, is);
                case ADDED -> ((AttentionBranch) block(row.current())).adoptInputShapes(inputShapes);
                default -> throw new IllegalStateException("unknown step " + row.step());
            }
        }
    }

    /** Reads and discards the header of a plain DJL container of version 1: version byte, input shapes. */
    private static void skipHeader(DataInputStream is, String path) throws IOException, MalformedModelException {
        byte v = is.readByte();
        if (v != 1) {
            throw new MalformedModelException("the saved container '" + path + "' has version " + v + ", expected 1");
        }
        int shapes = is.readInt();
        for (int i = 0; i < shapes; i++) {
            Shape.decode(is);
        }
    }

    /**
     * The layer's parameters named and ordered as a layout version of its kind had them: DJL's
     * names relative to the layer ({@code 01norm1_gamma}), in DJL's order. For the current version
     * these are {@link #getParameters()}.
     *
     * @param v a layout version of this kind
     * @return every parameter of the layer once
     * @throws IllegalArgumentException when this kind never had that version
     */
    public List<Pair<String, Parameter>> parametersAsVersion(int v) {
        List<Pair<String, Parameter>> out = new ArrayList<>();
        if (v == version) {
            getParameters().forEach(out::add);
            return out;
        }
        List<ParameterLayout.Row> rows;
        try {
            rows = layout.rowsFor(v);
        } catch (MalformedModelException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        for (ParameterLayout.Row row : rows) {
            if (row.step() == ParameterLayout.Step.PARAMETER) {
                out.add(new Pair<>(row.olderName(), parameter(row.current())));
            } else if (row.step() == ParameterLayout.Step.BLOCK) {
                for (Pair<String, Parameter> p : block(row.current()).getParameters()) {
                    out.add(new Pair<>(row.olderName() + "_" + p.getKey(), p.getValue()));
                }
            }
        }
        Map<Parameter, Boolean> seen = new IdentityHashMap<>();
        out.forEach(p -> seen.put(p.getValue(), true));
        if (seen.size() != out.size() || seen.size() != getParameters().size()) {
            throw new IllegalStateException("the " + layout + " table of version " + v + " does not name each of the "
                    + getParameters().size() + " parameters once");
        }
        return out;
    }

    /** @return the block at a {@code /}-separated path of child names below this layer */
    private Block block(String path) {
        Block b = this;
        for (String step : path.split("/")) {
            Block next = b.getChildren().get(step);
            if (next == null) {
                throw new IllegalStateException("the " + layout + " layout names '" + path + "', which this layer lacks");
            }
            b = next;
        }
        return b;
    }

    /** @return the parameter at a path: the blocks down to its owner, then its short name */
    private Parameter parameter(String path) {
        int cut = path.lastIndexOf('/');
        Block owner = cut < 0 ? this : block(path.substring(0, cut));
        Parameter p = owner.getDirectParameters().get(path.substring(cut + 1));
        if (p == null) {
            throw new IllegalStateException("the " + layout + " layout names parameter '" + path + "', which this layer lacks");
        }
        return p;
    }
}
