package org.atpatch.djl.model.internal;

import ai.djl.MalformedModelException;
import java.util.List;
import java.util.Map;

/**
 * The parameter layouts of {@link PreNormEncoderLayer}, one constant per kind of layer, each with
 * its current version and, for every older version, the table that maps what that version saved
 * onto the current structure. This is the only place where saved layouts are described.
 *
 * <p><b>What a saved stream holds.</b> DJL saves a block tree ({@code Block.saveParameters}, which
 * {@code Model.save} wraps in a small header) as a pre-order walk: for each block its version byte
 * and its metadata (by default its input shapes; a {@code Linear} writes its unit and input-feature
 * counts and its input shape, a {@code LayerNorm} its input shapes and normalised shape), then each
 * of its own parameters (a marker, a version, the parameter's own short name such as {@code weight}
 * or {@code relative_position_bias}, and the encoded array), then its children in insertion order. {@code Block.loadParameters} reads the
 * stream back in the same walk over the block it is given: block names and the ordinal-prefixed
 * parameter paths ({@code 03stage0_block0_03mlp_02fc1_weight}) are never written or read, and the
 * only name checked is each parameter's short name. What a layout must keep, then, is the order of
 * blocks, their kinds and versions, and the order, short names and shapes of parameters.
 *
 * <p><b>Telling layouts apart.</b> A layer's DJL block version is the current layout version of its
 * kind, so the version byte at the head of a saved layer says which layout follows; a kind whose
 * layout never changed still writes what its version 1 wrote, byte for byte. Everything outside the
 * layers (embeddings, patch merging, norms, heads) keeps its layout and is read by DJL as it is.
 *
 * <p><b>The tables.</b> Each row is one step of an older layout's stream, in the order that layout
 * wrote it, and names where its content lives now. Paths are child names as DJL prefixes them
 * ({@code 02attn}), from the layer down, separated by {@code /}; the last step of a parameter's path
 * is its short name. DJL's parameter name of a path is its steps joined by {@code _}, so the older
 * column also gives the names that layout had. The kinds of row are:
 *
 * <ul>
 *   <li>{@link Step#SELF}: the layer's own header (its version byte, already read, and its input
 *       shapes);
 *   <li>{@link Step#DROPPED}: the header of a container the older layout had and the current one
 *       does not (a plain DJL block of version 1: its version byte and input shapes are read and
 *       discarded);
 *   <li>{@link Step#PARAMETER}: one parameter, loaded into the current parameter at {@code current};
 *   <li>{@link Step#BLOCK}: a whole block, whose own layout is unchanged, loaded by its own reader
 *       into the current block at {@code current};
 *   <li>{@link Step#ADDED}: a container the current layout has and the older one did not: nothing is
 *       read; it takes the layer's input shapes when the layer was not initialised before loading.
 * </ul>
 *
 * <p>Every table maps its version straight onto the current layout, so a change of layout bumps
 * the kind's version, adds a table for the version it leaves, and rewrites the {@code current}
 * column of the older tables.
 *
 * <p><b>Fingerprint naming.</b> A patch bundle stores its victim's fingerprint, a hash over
 * parameter names and shapes. To keep fingerprints, and so saved bundles, valid across layouts,
 * they hash every layer's parameters as version 1 of its kind named and ordered them ({@link
 * PreNormEncoderLayer#parametersAsVersion}, and {@code org.atpatch.djl.model.ParameterNames} for a
 * whole model). Each kind starts at version 1.
 *
 * <p>Immutable; safe to share between threads.
 */
public enum ParameterLayout {

    /**
     * The encoder layer of the ViT and tabular families and of custom architectures: a token-state
     * point, {@code norm1}, an interceptable multi-head attention, {@code norm2}, {@code fc1}, {@code
     * fc2}. Still its first layout.
     */
    ENCODER(1, Map.of()),

    /**
     * A Swin block: {@code norm1}, shifted-window attention with its relative position bias,
     * {@code norm2}, {@code fc1}, {@code fc2}. Version 1 kept the bias on the layer and the MLP half
     * in a container of its own ({@code mlp}: {@code norm}, {@code fc1}, {@code fc2}); version 2
     * moves the bias into the attention branch and the MLP half onto the layer.
     */
    SWIN(2, Map.of(1, List.of(
            self(),
            parameter("relative_position_bias", "02attn/relative_position_bias"),
            block("01norm1", "01norm1"),
            block("02attn", "02attn/01attention"),
            dropped("03mlp"),
            block("03mlp/01norm", "03norm2"),
            block("03mlp/02fc1", "04fc1"),
            block("03mlp/03fc2", "05fc2"),
            added("02attn")))),

    /**
     * The token transformer of a tokens-to-token step: {@code norm1}, single-head attention ({@code
     * qkv}, {@code proj}), {@code norm2}, {@code fc1}, {@code fc2}. Version 1 kept {@code qkv} and
     * {@code proj} on the layer and the MLP half in a container of its own ({@code mlp}); version 2
     * puts them in the attention branch and the MLP half on the layer.
     */
    TOKENS_TO_TOKEN(2, Map.of(1, List.of(
            self(),
            block("01norm1", "01norm1"),
            block("02qkv", "02attn/01qkv"),
            block("03proj", "02attn/02proj"),
            dropped("04mlp"),
            block("04mlp/01norm", "03norm2"),
            block("04mlp/02fc1", "04fc1"),
            block("04mlp/03fc2", "05fc2"),
            added("02attn"))));

    /** The kinds of row in a table; see the class description. */
    public enum Step {
        /** The layer's own header. */
        SELF,
        /** The header of a container that the current layout no longer has. */
        DROPPED,
        /** One parameter. */
        PARAMETER,
        /** A whole block with an unchanged layout of its own. */
        BLOCK,
        /** A container that the older layout did not have; nothing in the stream. */
        ADDED
    }

    /**
     * One row of a table.
     *
     * @param step what the older stream holds at this point
     * @param older the path in the older layout; empty for {@link Step#SELF} and {@link Step#ADDED}
     * @param current the path in the current layout; empty for {@link Step#SELF} and {@link
     *     Step#DROPPED}
     */
    public record Row(Step step, String older, String current) {

        /** @return the older path as DJL's parameter-name prefix ({@code 03mlp_02fc1}) */
        public String olderName() {
            return older.replace('/', '_');
        }
    }

    private final int version;
    private final Map<Integer, List<Row>> older;

    ParameterLayout(int version, Map<Integer, List<Row>> older) {
        this.version = version;
        this.older = older;
    }

    /** @return the current layout version, which is also the layer's DJL block version */
    public int version() {
        return version;
    }

    /**
     * @param saved a layout version found in a stream
     * @return the table that reads it into the current layout
     * @throws MalformedModelException when this kind never had that version
     */
    public List<Row> rowsFor(int saved) throws MalformedModelException {
        List<Row> rows = older.get(saved);
        if (rows == null) {
            throw new MalformedModelException("a " + name() + " layer saved with parameter layout version " + saved
                    + " cannot be read: this build reads version " + version
                    + (older.isEmpty() ? "" : " and " + older.keySet()));
        }
        return rows;
    }

    private static Row self() {
        return new Row(Step.SELF, "", "");
    }

    private static Row parameter(String older, String current) {
        return new Row(Step.PARAMETER, older, current);
    }

    private static Row block(String older, String current) {
        return new Row(Step.BLOCK, older, current);
    }

    private static Row dropped(String older) {
        return new Row(Step.DROPPED, older, "");
    }

    private static Row added(String current) {
        return new Row(Step.ADDED, "", current);
    }
}
