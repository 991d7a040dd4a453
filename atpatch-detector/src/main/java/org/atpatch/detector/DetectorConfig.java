package org.atpatch.detector;

import ai.djl.Device;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How to train the detector (Eq. 7): optimiser, schedule, loss weights, network sizes and how τ is
 * chosen. Two presets:
 *
 * <ul>
 *   <li>{@link #defaults()} ({@link #smallDebuggingSet()}): the column-statistics detector ({@link
 *       DetectorArchitecture.Kind#COLUMN_STATISTICS}) trained with AdamW at learning rate 3e-3 with a
 *       cosine decay over all 50 epochs (no early stop; the epoch with the best validation F1 is kept),
 *       λ = 1, and τ chosen as the best F1 on the debugging set's held-out validation pairs. This is
 *       what {@code AtPatch.builder()} uses when no configuration is given, and the setting that
 *       calibrates the detector on debugging sets of a few hundred pairs (with
 *       the paper's constant 1e-4 such a detector ranks columns well but flags almost every clean
 *       map at τ = 0.1; docs/architecture.md, "Design decisions"). Over seven detector seeds on each of
 *       two victims it removes the backdoor as well as the paper's CNN, within the spread the seed
 *       alone causes, and it costs a fraction of the CNN online (docs/performance.md);
 *   <li>{@link #paper()}: the paper's Section 4.1.3 settings, its CNN ({@link
 *       DetectorArchitecture.Kind#PAPER_CNN}), AdamW at a constant 1e-4 for 50 epochs, λ = 1 and a
 *       fixed τ = 0.1, for reproducing it on large debugging sets.
 * </ul>
 *
 * Both use a contrastive temperature of 0.1. {@code optArchitecture(DetectorArchitecture.Kind.PAPER_CNN)}
 * puts the paper's CNN under the default training settings. {@link #builder()} starts from the defaults and
 * {@link #toBuilder()} from any configuration; every {@code optX} is validated when {@link
 * Builder#build()} runs and the message names the bad value. Instances are immutable and
 * thread-safe.
 */
public final class DetectorConfig {

    private final double learningRate;
    private final int epochs;
    private final double lambda;
    private final double temperature;
    private final int batchSize;
    private final long seed;
    private final double validationFraction;
    private final int patience;
    private final KeptEpoch keptEpoch;
    private final double positiveWeight;
    private final double weightDecay;
    private final TauSelection tauSelection;
    private final int contrastiveColumns;
    private final boolean progressBar;
    private final boolean tokenAgnostic;
    private final boolean layerEmbedding;
    private final boolean positionEmbedding;
    private final int convChannels;
    private final int columnChannels;
    private final int hiddenSize;
    private final Device device;
    private final boolean cosineDecay;
    private final DetectorArchitecture.Kind architectureKind;

    private DetectorConfig(Builder b) {
        architectureKind = b.architectureKind;
        cosineDecay = b.cosineDecay;
        learningRate = b.learningRate;
        epochs = b.epochs;
        lambda = b.lambda;
        temperature = b.temperature;
        batchSize = b.batchSize;
        seed = b.seed;
        validationFraction = b.validationFraction;
        patience = b.patience;
        keptEpoch = b.keptEpoch;
        positiveWeight = b.positiveWeight;
        weightDecay = b.weightDecay;
        tauSelection = b.tauSelection;
        contrastiveColumns = b.contrastiveColumns;
        progressBar = b.progressBar;
        tokenAgnostic = b.tokenAgnostic;
        layerEmbedding = b.layerEmbedding;
        positionEmbedding = b.positionEmbedding;
        convChannels = b.convChannels;
        columnChannels = b.columnChannels;
        hiddenSize = b.hiddenSize;
        device = b.device;
    }

    /** @return a builder that starts from {@link #defaults()} */
    public static Builder builder() {
        return defaults().toBuilder();
    }

    /** @return the library's defaults: {@link #smallDebuggingSet()} */
    public static DetectorConfig defaults() {
        return smallDebuggingSet();
    }

    /**
     * @return column statistics ({@link DetectorArchitecture.Kind#COLUMN_STATISTICS}) trained with AdamW at
     *     learning rate 3e-3 and cosine decay over all 50 epochs, keeping the best validation epoch, τ by the
     *     best F1 on the validation pairs; the other settings as in {@link #paper()}
     */
    public static DetectorConfig smallDebuggingSet() {
        return new Builder().optArchitecture(DetectorArchitecture.Kind.COLUMN_STATISTICS).optLearningRate(3e-3).optCosineDecay(true)
                .optPatience(0).optTauSelection(TauSelection.maxF1()).build();
    }

    /** @return the paper's settings: its CNN, AdamW at a constant 1e-4 for 50 epochs, λ = 1, fixed τ = 0.1 */
    public static DetectorConfig paper() {
        return new Builder().build();
    }

    /** @return a builder holding every setting of this configuration; changing it leaves this one as it is */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.cosineDecay = cosineDecay;
        b.learningRate = learningRate;
        b.epochs = epochs;
        b.lambda = lambda;
        b.temperature = temperature;
        b.batchSize = batchSize;
        b.seed = seed;
        b.validationFraction = validationFraction;
        b.patience = patience;
        b.keptEpoch = keptEpoch;
        b.positiveWeight = positiveWeight;
        b.weightDecay = weightDecay;
        b.tauSelection = tauSelection;
        b.contrastiveColumns = contrastiveColumns;
        b.progressBar = progressBar;
        b.tokenAgnostic = tokenAgnostic;
        b.layerEmbedding = layerEmbedding;
        b.positionEmbedding = positionEmbedding;
        b.convChannels = convChannels;
        b.columnChannels = columnChannels;
        b.hiddenSize = hiddenSize;
        b.device = device;
        b.architectureKind = architectureKind;
        return b;
    }

    /** @return AdamW's learning rate */
    public double learningRate() {
        return learningRate;
    }

    /** @return the maximum number of epochs */
    public int epochs() {
        return epochs;
    }

    /** @return λ, the weight of the contrastive term */
    public double lambda() {
        return lambda;
    }

    /** @return the contrastive temperature T */
    public double temperature() {
        return temperature;
    }

    /** @return maps per batch */
    public int batchSize() {
        return batchSize;
    }

    /** @return the seed of initialisation, shuffling, splitting and sampling */
    public long seed() {
        return seed;
    }

    /** @return the share of pairs held out for validation */
    public double validationFraction() {
        return validationFraction;
    }

    /** @return epochs without validation improvement before stopping; 0 = never stop early */
    public int patience() {
        return patience;
    }

    /** @return which epoch's parameters the trained detector keeps */
    public KeptEpoch keptEpoch() {
        return keptEpoch;
    }

    /** Which epoch's parameters training keeps. */
    public enum KeptEpoch {
        /**
         * The epoch with the best strict map-level validation F1 at its τ (ties: the lowest validation
         * loss): the choice that fits the validation pairs, at the price of their noise.
         */
        BEST_VALIDATION,
        /**
         * The last epoch run: with the cosine schedule the learning rate has decayed to 0 there, so the
         * parameters have settled; validation still chooses τ. Does not pick a noisy early epoch whose
         * validation F1 happened to peak.
         */
        LAST;

        /** @return the lower-case, dash-separated name, e.g. {@code best-validation} */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }

        /**
         * @param label a {@link #label()}
         * @return the kept epoch of that label
         * @throws IllegalArgumentException naming the labels there are
         */
        public static KeptEpoch byLabel(String label) {
            for (KeptEpoch k : values()) {
                if (k.label().equals(label)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown kept epoch '" + label + "': use best-validation or last");
        }
    }

    /** @return the BCE weight of anomalous columns, or NaN for automatic */
    public double positiveWeight() {
        return positiveWeight;
    }

    /** @return AdamW's decoupled weight decay */
    public double weightDecay() {
        return weightDecay;
    }

    /** @return how τ is chosen after training */
    public TauSelection tauSelection() {
        return tauSelection;
    }

    /** @return the most column embeddings per batch in the contrastive term */
    public int contrastiveColumns() {
        return contrastiveColumns;
    }

    /** @return whether a console progress bar is shown */
    public boolean progressBar() {
        return progressBar;
    }

    /** @return whether the trained detector accepts any N (otherwise only the training N) */
    public boolean tokenAgnostic() {
        return tokenAgnostic;
    }

    /** @return whether the network gets a layer embedding */
    public boolean layerEmbedding() {
        return layerEmbedding;
    }

    /** @return whether the network gets a (layer, column) position embedding (only with a fixed N) */
    public boolean positionEmbedding() {
        return positionEmbedding;
    }

    /** @return how the network turns maps into per-column features */
    public DetectorArchitecture.Kind architectureKind() {
        return architectureKind;
    }

    /** @return channels of the 2-D convolution ({@link DetectorArchitecture.Kind#PAPER_CNN} only) */
    public int convChannels() {
        return convChannels;
    }

    /** @return channels of the column convolution */
    public int columnChannels() {
        return columnChannels;
    }

    /** @return the MLP width */
    public int hiddenSize() {
        return hiddenSize;
    }

    /** @return whether the learning rate decays along a cosine to 0 over the configured epochs */
    public boolean cosineDecay() {
        return cosineDecay;
    }

    /** @return the training device, or {@code null} for the engine's default */
    public Device device() {
        return device;
    }

    /**
     * The architecture for data of a given shape.
     *
     * @param tokens N of the training data
     * @param layers L of the training data
     * @return the architecture
     */
    public DetectorArchitecture architecture(int tokens, int layers) {
        return DetectorArchitecture.builder()
                .optKind(architectureKind)
                .setLayers(layers)
                .optTokens(tokenAgnostic ? -1 : tokens)
                .optLayerEmbedding(layerEmbedding)
                .optPositionEmbedding(positionEmbedding && !tokenAgnostic)
                .optConvChannels(convChannels)
                .optColumnChannels(columnChannels)
                .optHiddenSize(hiddenSize)
                .build();
    }

    /** @return every setting by name, for provenance */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architecture", architectureKind.label());
        m.put("optimizer", "AdamW");
        m.put("learningRate", learningRate);
        m.put("learningRateSchedule", cosineDecay ? "cosine" : "constant");
        m.put("epochs", epochs);
        m.put("lambda", lambda);
        m.put("temperature", temperature);
        m.put("batchSize", batchSize);
        m.put("seed", seed);
        m.put("validationFraction", validationFraction);
        m.put("patience", patience);
        m.put("keptEpoch", keptEpoch.label());
        m.put("positiveWeight", Double.isNaN(positiveWeight) ? "auto" : positiveWeight);
        m.put("weightDecay", weightDecay);
        m.put("tauSelection", tauSelection.describe());
        m.put("contrastiveColumns", contrastiveColumns);
        m.put("tokenAgnostic", tokenAgnostic);
        m.put("layerEmbedding", layerEmbedding);
        m.put("positionEmbedding", positionEmbedding);
        m.put("convChannels", convChannels);
        m.put("columnChannels", columnChannels);
        m.put("hiddenSize", hiddenSize);
        m.put("device", device == null ? "default" : device.toString());
        return m;
    }

    @Override
    public String toString() {
        return "DetectorConfig" + toMap();
    }

    /**
     * Builds a {@link DetectorConfig}; every field is optional. Obtain one from {@link
     * DetectorConfig#builder()} (the defaults) or {@link DetectorConfig#toBuilder()}. Not thread-safe.
     */
    public static final class Builder {
        private double learningRate = 1e-4;
        private int epochs = 50;
        private double lambda = 1.0;
        private double temperature = ContrastiveLoss.DEFAULT_TEMPERATURE;
        private int batchSize = 32;
        private long seed = 42;
        private double validationFraction = 0.2;
        private int patience = 10;
        private KeptEpoch keptEpoch = KeptEpoch.BEST_VALIDATION;
        private double positiveWeight = Double.NaN;
        private double weightDecay = 0.01;
        private TauSelection tauSelection = TauSelection.fixed(0.1);
        private int contrastiveColumns = 512;
        private boolean progressBar = true;
        private boolean tokenAgnostic;
        private boolean layerEmbedding = true;
        private boolean positionEmbedding = true;
        private int convChannels = 8;
        private int columnChannels = 16;
        private int hiddenSize = 32;
        private Device device;
        private boolean cosineDecay;
        private DetectorArchitecture.Kind architectureKind = DetectorArchitecture.Kind.PAPER_CNN;

        private Builder() {}

        /**
         * @param kind how the network turns maps into per-column features (the paper's CNN in {@link
         *     DetectorConfig#paper()})
         * @return this builder
         */
        public Builder optArchitecture(DetectorArchitecture.Kind kind) {
            this.architectureKind = java.util.Objects.requireNonNull(kind, "kind");
            return this;
        }

        /**
         * @param lr AdamW learning rate, finite and > 0 (defaults 3e-3; paper 1e-4)
         * @return this builder
         */
        public Builder optLearningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        /**
         * @param epochs maximum epochs, > 0 (default 50)
         * @return this builder
         */
        public Builder optEpochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /**
         * @param lambda λ of Eq. 7, finite and ≥ 0 (default 1; 0 trains with BCE alone)
         * @return this builder
         */
        public Builder optLambda(double lambda) {
            this.lambda = lambda;
            return this;
        }

        /**
         * @param t contrastive temperature, finite and > 0 (default 0.1)
         * @return this builder
         */
        public Builder optTemperature(double t) {
            this.temperature = t;
            return this;
        }

        /**
         * @param b maps per batch, ≥ 2 (default 32); a clean/anomalous pair is never split
         * @return this builder
         */
        public Builder optBatchSize(int b) {
            this.batchSize = b;
            return this;
        }

        /**
         * @param seed the seed (default 42); training on CPU is deterministic for a given seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * @param f share of pairs held out for validation and τ selection, in [0, 1) (default 0.2)
         * @return this builder
         */
        public Builder optValidationFraction(double f) {
            this.validationFraction = f;
            return this;
        }

        /**
         * @param epochs stop after this many epochs without a better validation F1 (the trainer's criterion)
         *     and keep the best epoch's parameters; 0 = run every epoch (0 in {@link DetectorConfig#defaults()},
         *     10 in {@link DetectorConfig#paper()})
         * @return this builder
         */
        public Builder optPatience(int epochs) {
            this.patience = epochs;
            return this;
        }

        /**
         * @param v which epoch's parameters to keep (default {@link KeptEpoch#BEST_VALIDATION})
         * @return this builder
         */
        public Builder optKeptEpoch(KeptEpoch v) {
            this.keptEpoch = java.util.Objects.requireNonNull(v, "keptEpoch");
            return this;
        }

        /**
         * @param w BCE weight of anomalous columns, finite and > 0; default automatic: the square root of
         *     the ratio of normal to anomalous columns in the training data (see {@link DetectorTrainer})
         * @return this builder
         */
        public Builder optPositiveWeight(double w) {
            this.positiveWeight = w;
            return this;
        }

        /**
         * @param wd AdamW decoupled weight decay, finite and ≥ 0 (default 0.01)
         * @return this builder
         */
        public Builder optWeightDecay(double wd) {
            this.weightDecay = wd;
            return this;
        }

        /**
         * @param tau a fixed τ in (0, 1) (the paper's 0.1; the defaults choose τ on validation pairs instead)
         * @return this builder
         */
        public Builder optTau(double tau) {
            this.tauSelection = TauSelection.fixed(tau);
            return this;
        }

        /**
         * @param selection how to choose τ on the validation data after training (defaults: best F1; paper:
         *     fixed 0.1)
         * @return this builder
         */
        public Builder optTauSelection(TauSelection selection) {
            this.tauSelection = java.util.Objects.requireNonNull(selection, "selection");
            return this;
        }

        /**
         * @param c most column embeddings per batch in the contrastive term, ≥ 2 (default 512); every
         *     anomalous column and its counterpart are kept, normal ones sampled
         * @return this builder
         */
        public Builder optContrastiveColumns(int c) {
            this.contrastiveColumns = c;
            return this;
        }

        /**
         * @param on show DJL's console progress bar (default true)
         * @return this builder
         */
        public Builder optProgressBar(boolean on) {
            this.progressBar = on;
            return this;
        }

        /**
         * @param on let the trained detector accept any N (default false: only the training data's N)
         * @return this builder
         */
        public Builder optTokenAgnostic(boolean on) {
            this.tokenAgnostic = on;
            return this;
        }

        /**
         * @param on condition the network on the layer with a learned embedding (default true)
         * @return this builder
         */
        public Builder optLayerEmbedding(boolean on) {
            this.layerEmbedding = on;
            return this;
        }

        /**
         * @param on condition the network on a learned embedding per (layer, column position), which
         *     tells natural attention sinks at fixed positions from over-attention (default true;
         *     ignored with {@link #optTokenAgnostic}, whose detector accepts any N)
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
         * @param c channels of the column convolution (default 16)
         * @return this builder
         */
        public Builder optColumnChannels(int c) {
            this.columnChannels = c;
            return this;
        }

        /**
         * @param h MLP width (default 32)
         * @return this builder
         */
        public Builder optHiddenSize(int h) {
            this.hiddenSize = h;
            return this;
        }

        /**
         * @param on decay the learning rate along a cosine from its value to 0 over {@link #optEpochs}
         *     epochs (defaults: on; paper: off, a constant rate); steadier final epochs at high rates
         * @return this builder
         */
        public Builder optCosineDecay(boolean on) {
            this.cosineDecay = on;
            return this;
        }

        /**
         * @param device where to train (default: the engine's default device)
         * @return this builder
         */
        public Builder optDevice(Device device) {
            this.device = device;
            return this;
        }

        /**
         * @return the configuration
         * @throws IllegalArgumentException naming the first value out of range
         */
        public DetectorConfig build() {
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learning rate must be > 0 and finite, got " + learningRate);
            }
            if (epochs <= 0) {
                throw new IllegalArgumentException("epochs must be > 0, got " + epochs);
            }
            if (!(lambda >= 0) || Double.isInfinite(lambda)) {
                throw new IllegalArgumentException("λ (lambda) must be >= 0 and finite, got " + lambda);
            }
            if (!(temperature > 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("contrastive temperature must be > 0 and finite, got "
                        + temperature);
            }
            if (batchSize < 2) {
                throw new IllegalArgumentException("batch size must be >= 2 (a clean/anomalous pair), got "
                        + batchSize);
            }
            if (!(validationFraction >= 0 && validationFraction < 1)) {
                throw new IllegalArgumentException("validation fraction must lie in [0, 1), got "
                        + validationFraction);
            }
            if (patience < 0) {
                throw new IllegalArgumentException("patience must be >= 0 (0 = off), got " + patience);
            }
            if (!Double.isNaN(positiveWeight) && (!(positiveWeight > 0) || Double.isInfinite(positiveWeight))) {
                throw new IllegalArgumentException("positive weight must be > 0 and finite, got " + positiveWeight);
            }
            if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
                throw new IllegalArgumentException("weight decay must be >= 0 and finite, got " + weightDecay);
            }
            if (contrastiveColumns < 2) {
                throw new IllegalArgumentException("contrastive columns must be >= 2, got " + contrastiveColumns);
            }
            // Fails early on bad network sizes.
            DetectorArchitecture.builder().setLayers(1).optConvChannels(convChannels)
                    .optColumnChannels(columnChannels).optHiddenSize(hiddenSize).build();
            return new DetectorConfig(this);
        }
    }
}
