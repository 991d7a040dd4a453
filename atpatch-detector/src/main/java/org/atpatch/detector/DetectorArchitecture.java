package org.atpatch.detector;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The shape of the detector network (Eq. 6): everything needed to rebuild it before its parameters
 * are loaded, and what a loaded file is checked against.
 *
 * <p>The network, for a head-averaged map {@code (B, N, N)} (Eq. 5) scaled by N so that uniform
 * attention reads 1:
 *
 * <ol>
 *   <li>per-column features pooled over the query axis, by one of two {@link Kind}s:
 *       <ul>
 *         <li>{@link Kind#PAPER_CNN}, the paper's: two input planes, the scaled map and its logarithm
 *             (over-attention multiplies a column, so it shows as a shift in log space), one {@code
 *             3×3} convolution with padding to {@link #convChannels()} planes and leaky ReLU, then the
 *             mean and max of those planes and the mean of the two input planes per column: {@code (B,
 *             N, 2·convChannels + 2)}. It writes a {@code (B, convChannels, N, N)} activation, the
 *             cost that dominates online. This builder's default and {@link DetectorConfig#paper()}'s;
 *         <li>{@link Kind#COLUMN_STATISTICS}: {@value #STATISTICS} statistics of the
 *             N-scaled map, read with reductions and a few map-sized intermediates (the scaled map,
 *             its square, its logarithm, their product) and nothing larger: the column's mean (its attention mass), maximum and standard
 *             deviation over the queries, the CLS query's attention to it, the mean of its
 *             log-attention, the logarithms of its mean and maximum, and the column token's own query
 *             row (its peak, log, and its sharpness): {@code (B, N, 9)}. The library's default
 *             ({@link DetectorConfig#defaults()});
 *       </ul>
 *   <li>a kernel-3 convolution along the columns to {@link #columnChannels()} and leaky ReLU, then each
 *       column's features next to their difference from the map's mean column (the map as context);
 *   <li>a shared MLP per column with {@link #hiddenSize()} units; its first layer adds the learned
 *       embedding of the map's layer when {@link #layerEmbedding()} is on, and of the (layer, column)
 *       position when {@link #positionEmbedding()} is on; the second layer's output is the column
 *       embedding {@code f_θ} that the contrastive term of Eq. 7 works on;
 *   <li>a linear read-out to one logit per column; σ of it is the anomaly probability.
 * </ol>
 *
 * Only the embeddings depend on L (and the position embedding on N); without a position embedding
 * the same parameters run for any N. {@link #tokens()} records the N the detector was trained for
 * ({@code -1}: accept any), and inputs of another N are refused when it is fixed.
 *
 * <p>Cost per map: the per-column part takes {@code N·(3·F·columnChannels + 2·columnChannels·hiddenSize
 * + hiddenSize² + hiddenSize)} multiply-adds for F {@link #columnFeatures()}; in front of it the paper's
 * CNN adds {@code N²·18·convChannels} multiply-adds and writes {@code convChannels·N²} floats, the column
 * statistics about five elementwise passes over the {@code N²} map.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class DetectorArchitecture {

    /** Version of the network definition; bumped when the same fields would build another network. */
    public static final int NETWORK_VERSION = 1;

    /** Per-column statistics of {@link Kind#COLUMN_STATISTICS}. */
    public static final int STATISTICS = 9;

    /** How the network turns a map into per-column features before the column convolution. */
    public enum Kind {
        /** The paper's 3 × 3 convolution over the map, pooled per column. */
        PAPER_CNN("paper-cnn"),
        /** Statistics of each column over the queries, read straight from the map. */
        COLUMN_STATISTICS("column-statistics");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** @return the name used in files, provenance and on command lines */
        public String label() {
            return label;
        }

        /**
         * @param label {@code paper-cnn} or {@code column-statistics}
         * @return the kind
         * @throws IllegalArgumentException naming the known labels
         */
        public static Kind byName(String label) {
            for (Kind k : values()) {
                if (k.label.equals(label)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown detector architecture '" + label + "': paper-cnn or column-statistics");
        }
    }

    private final int tokens;
    private final int layers;
    private final boolean layerEmbedding;
    private final boolean positionEmbedding;
    private final int convChannels;
    private final int columnChannels;
    private final int hiddenSize;
    private final int networkVersion;
    /** The kind's label; absent (null) in files written before there were two, which hold the paper's CNN. */
    private final String kind;

    private DetectorArchitecture(Builder b) {
        this.kind = b.kind.label();
        this.tokens = b.tokens;
        this.layers = b.layers;
        this.layerEmbedding = b.layerEmbedding;
        this.positionEmbedding = b.positionEmbedding;
        this.convChannels = b.convChannels;
        this.columnChannels = b.columnChannels;
        this.hiddenSize = b.hiddenSize;
        this.networkVersion = NETWORK_VERSION;
    }

    /** @return a builder; {@link Builder#setLayers(int)} is required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the N the detector accepts, or -1 for any */
    public int tokens() {
        return tokens;
    }

    /** @return L, the number of layers whose maps the detector accepts */
    public int layers() {
        return layers;
    }

    /** @return whether a learned per-layer embedding conditions the MLP */
    public boolean layerEmbedding() {
        return layerEmbedding;
    }

    /**
     * @return whether a learned embedding per layer and column position conditions the MLP (needs a
     *     fixed {@link #tokens()})
     */
    public boolean positionEmbedding() {
        return positionEmbedding;
    }

    /** @return how the network turns a map into per-column features */
    public Kind kind() {
        return kind == null ? Kind.PAPER_CNN : Kind.byName(kind);
    }

    /** @return per-column features the column convolution reads: {@code 2·convChannels + 2} or {@value #STATISTICS} */
    public int columnFeatures() {
        return kind() == Kind.PAPER_CNN ? 2 * convChannels + 2 : STATISTICS;
    }

    /** @return channels of the 2-D convolution over the map ({@link Kind#PAPER_CNN} only) */
    public int convChannels() {
        return convChannels;
    }

    /** @return channels of the 1-D convolution along the columns */
    public int columnChannels() {
        return columnChannels;
    }

    /** @return width of the per-column MLP and of the column embedding */
    public int hiddenSize() {
        return hiddenSize;
    }

    /** @return {@link #NETWORK_VERSION} when this object was built or read */
    public int networkVersion() {
        return networkVersion;
    }

    /**
     * This architecture with another token count.
     *
     * @param n N, or -1 for any
     * @return the copy
     */
    public DetectorArchitecture withTokens(int n) {
        return toBuilder().optTokens(n).build();
    }

    /** @return a builder holding this architecture's values */
    public Builder toBuilder() {
        return new Builder()
                .optKind(kind())
                .optTokens(tokens)
                .setLayers(layers)
                .optLayerEmbedding(layerEmbedding)
                .optPositionEmbedding(positionEmbedding)
                .optConvChannels(convChannels)
                .optColumnChannels(columnChannels)
                .optHiddenSize(hiddenSize);
    }

    /**
     * Lists the fields in which {@code other} differs from this architecture.
     *
     * @param other the other architecture
     * @return e.g. {@code ["tokens 17 vs 26"]}; empty when they build the same network
     */
    public List<String> differences(DetectorArchitecture other) {
        List<String> d = new ArrayList<>();
        diff(d, "networkVersion", networkVersion, other.networkVersion);
        diff(d, "kind", kind(), other.kind());
        diff(d, "tokens", tokens, other.tokens);
        diff(d, "layers", layers, other.layers);
        diff(d, "layerEmbedding", layerEmbedding, other.layerEmbedding);
        diff(d, "positionEmbedding", positionEmbedding, other.positionEmbedding);
        diff(d, "convChannels", convChannels, other.convChannels);
        diff(d, "columnChannels", columnChannels, other.columnChannels);
        diff(d, "hiddenSize", hiddenSize, other.hiddenSize);
        return d;
    }

    private static void diff(List<String> out, String name, Object a, Object b) {
        if (!a.equals(b)) {
            out.add(name + " " + a + " vs " + b);
        }
    }

    /**
     * Checks a value read back from a file.
     *
     * @throws IllegalArgumentException naming the bad field
     */
    void validate() {
        if (networkVersion != NETWORK_VERSION) {
            throw new IllegalArgumentException("detector network version " + networkVersion
                    + " is not supported by this library (it builds version " + NETWORK_VERSION + ")");
        }
        toBuilder().build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DetectorArchitecture a && differences(a).isEmpty();
    }

    @Override
    public int hashCode() {
        return Objects.hash(networkVersion, kind(), tokens, layers, layerEmbedding, positionEmbedding, convChannels,
                columnChannels, hiddenSize);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "DetectorArchitecture{kind=%s, tokens=%d, layers=%d, layerEmbedding=%b, positionEmbedding=%b, "
                        + "convChannels=%d, columnChannels=%d, hiddenSize=%d, networkVersion=%d}",
                kind().label(), tokens, layers, layerEmbedding, positionEmbedding, convChannels, columnChannels, hiddenSize,
                networkVersion);
    }

    /** Builds a {@link DetectorArchitecture}; {@code setX} is required, {@code optX} optional. */
    public static final class Builder {
        private int tokens = -1;
        private int layers = -1;
        private boolean layerEmbedding = true;
        private boolean positionEmbedding;
        private int convChannels = 8;
        private int columnChannels = 16;
        private int hiddenSize = 32;
        private Kind kind = Kind.PAPER_CNN;

        private Builder() {}

        /**
         * @param kind how maps become per-column features (default {@link Kind#PAPER_CNN})
         * @return this builder
         */
        public Builder optKind(Kind kind) {
            this.kind = Objects.requireNonNull(kind, "kind");
            return this;
        }

        /**
         * @param layers L, at least 1 (required)
         * @return this builder
         */
        public Builder setLayers(int layers) {
            this.layers = layers;
            return this;
        }

        /**
         * @param tokens the N to accept, at least 2, or -1 for any (default -1; the trainer fixes it
         *     to the training data's N)
         * @return this builder
         */
        public Builder optTokens(int tokens) {
            this.tokens = tokens;
            return this;
        }

        /**
         * @param on whether to condition on the layer with a learned embedding (default true)
         * @return this builder
         */
        public Builder optLayerEmbedding(boolean on) {
            this.layerEmbedding = on;
            return this;
        }

        /**
         * @param on condition the MLP on a learned embedding per (layer, column position), so that a
         *     column that is naturally attended at one layer (an attention sink) is told apart from
         *     over-attention; needs a fixed {@link #optTokens} (default false)
         * @return this builder
         */
        public Builder optPositionEmbedding(boolean on) {
            this.positionEmbedding = on;
            return this;
        }

        /**
         * @param c channels of the 2-D convolution (default 8)
         * @return this builder
         */
        public Builder optConvChannels(int c) {
            this.convChannels = c;
            return this;
        }

        /**
         * @param c channels of the convolution along the columns (default 16)
         * @return this builder
         */
        public Builder optColumnChannels(int c) {
            this.columnChannels = c;
            return this;
        }

        /**
         * @param h width of the per-column MLP (default 32)
         * @return this builder
         */
        public Builder optHiddenSize(int h) {
            this.hiddenSize = h;
            return this;
        }

        /**
         * @return the architecture
         * @throws IllegalArgumentException if a value is out of range
         */
        public DetectorArchitecture build() {
            if (layers < 1) {
                throw new IllegalArgumentException("layers must be >= 1, got " + layers
                        + (layers == -1 ? " (setLayers is required)" : ""));
            }
            if (tokens != -1 && tokens < 2) {
                throw new IllegalArgumentException("tokens must be >= 2 or -1 (any), got " + tokens);
            }
            if (positionEmbedding && tokens == -1) {
                throw new IllegalArgumentException("a position embedding needs a fixed N: set tokens");
            }
            positive("convChannels", convChannels);
            positive("columnChannels", columnChannels);
            positive("hiddenSize", hiddenSize);
            return new DetectorArchitecture(this);
        }

        private static void positive(String name, int v) {
            if (v < 1 || v > 4096) {
                throw new IllegalArgumentException(name + " must lie in [1, 4096], got " + v);
            }
        }
    }
}
