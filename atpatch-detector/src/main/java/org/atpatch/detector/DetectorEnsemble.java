package org.atpatch.detector;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;
import org.atpatch.core.Checks;

/**
 * Several detectors read as one (the paper's §5.4 proposal against adaptive attackers): a column is
 * anomalous when <em>any</em> member's probability exceeds that member's own τ, so a trigger must
 * evade every member at once. Members of different architectures or training objectives (the paper's
 * CNN beside column statistics, for example) fail on different inputs.
 *
 * <p>Each member's probability {@code p} is mapped onto a common scale on which {@link #TAU} is every
 * member's threshold: {@code p ↦ ½·p/τᵢ} up to {@code τᵢ} and {@code ½ + ½·(p − τᵢ)/(1 − τᵢ)} above
 * it, continuous and strictly increasing. The ensemble's probability is the largest of these, so at
 * τ = {@link #TAU} it flags a column exactly when some member, alone at its own τ, would; a patched
 * model built with this detector and no explicit τ uses {@link #TAU}. Shapes are those of {@link
 * ColumnDetector}: {@code (batch, N)} per layer, {@code (batch, L, N)} for all layers.
 *
 * <p>The ensemble does not own its members: close them where they were made (a patched model built
 * from a bundle closes that bundle's detector). It holds no state of its own beyond the member list,
 * so it is as thread-safe as its members ({@link AttentionDetector} is).
 */
public final class DetectorEnsemble implements ColumnDetector {

    /** The threshold on the ensemble's scale at which it flags what some member flags at its own τ. */
    public static final double TAU = 0.5;

    private final List<ColumnDetector> members;
    private final double[] taus;
    private final int tokens;
    private final int layers;

    private DetectorEnsemble(List<ColumnDetector> members, double[] taus) {
        this.members = List.copyOf(members);
        this.taus = taus.clone();
        this.tokens = agreed(this.members, ColumnDetector::tokens, "N");
        this.layers = agreed(this.members, ColumnDetector::layers, "layer count");
    }

    /**
     * The trained detectors, each at the τ it carries.
     *
     * @param detectors at least one
     * @return the ensemble
     * @throws IllegalArgumentException when there is none, or they were built for different N or layer counts
     */
    public static DetectorEnsemble of(AttentionDetector... detectors) {
        Builder b = builder();
        for (AttentionDetector d : detectors) {
            b.addMember(d);
        }
        return b.build();
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the members, in the order they were added */
    public List<ColumnDetector> members() {
        return members;
    }

    /**
     * @param i a member's index
     * @return the τ that member is read at
     */
    public double memberTau(int i) {
        return taus[i];
    }

    /** @return {@link #TAU}, the threshold a patched model should use with this detector */
    public double tau() {
        return TAU;
    }

    @Override
    public NDArray detect(NDArray headAveraged, int layer) {
        return combine(i -> members.get(i).detect(headAveraged, layer));
    }

    @Override
    public NDArray detectAll(List<NDArray> headAveragedPerLayer) {
        return combine(i -> members.get(i).detectAll(headAveragedPerLayer));
    }

    /** The largest of the members' probabilities, each on the common scale. */
    private NDArray combine(IntFunction<NDArray> member) {
        NDArray result = null;
        for (int i = 0; i < members.size(); i++) {
            NDArray p = member.apply(i);
            NDArray scaled = onCommonScale(p, taus[i]);
            if (result == null) {
                result = scaled;
            } else {
                NDArray max = result.maximum(scaled);
                result.close();
                scaled.close();
                result = max;
            }
        }
        return result;
    }

    /**
     * Maps probabilities read at {@code tau} onto the scale on which {@link #TAU} is the threshold.
     * Closes {@code p}; the result is in {@code p}'s manager.
     */
    static NDArray onCommonScale(NDArray p, double tau) {
        NDManager caller = p.getManager();
        try (p; NDManager scope = caller.newSubManager(p.getDevice())) {
            p.tempAttach(scope);
            // The clamps keep float rounding from moving a value across TAU: at or below τ stays at or
            // below it, above τ stays above it, as the member's own comparison has it.
            // Scalars: an adaptive attacker differentiates through the ensemble.
            NDArray below = Scalars.atMost(Scalars.times(p, TAU / tau), TAU);
            NDArray above = Scalars.atLeast(Scalars.times(p.sub((float) tau), (1 - TAU) / (1 - tau)).addi((float) TAU),
                    Math.nextUp((float) TAU));
            NDArray out = NDArrays.where(p.lte((float) tau), below, above);
            out.attach(caller);
            return out;
        }
    }

    private static int agreed(List<ColumnDetector> members, ToIntFunction<ColumnDetector> what,
            String name) {
        int value = -1;
        for (ColumnDetector d : members) {
            int v = what.applyAsInt(d);
            if (v >= 0 && value >= 0 && v != value) {
                throw new IllegalArgumentException("the members were built for different " + name + "s (" + value
                        + " and " + v + "): an ensemble reads one model's maps");
            }
            value = v >= 0 ? v : value;
        }
        return value;
    }

    @Override
    public int tokens() {
        return tokens;
    }

    @Override
    public int layers() {
        return layers;
    }

    /** Builds a {@link DetectorEnsemble}; not thread-safe. */
    public static final class Builder {

        private final List<ColumnDetector> members = new ArrayList<>();
        private final List<Double> taus = new ArrayList<>();

        private Builder() {}

        /**
         * @param detector a trained detector, read at the τ it carries
         * @return this
         */
        public Builder addMember(AttentionDetector detector) {
            return addMember(detector, Objects.requireNonNull(detector, "detector").tau());
        }

        /**
         * @param detector a detector
         * @param tau the τ it flags at, strictly between 0 and 1
         * @return this
         */
        public Builder addMember(ColumnDetector detector, double tau) {
            members.add(Objects.requireNonNull(detector, "detector"));
            taus.add(Checks.requireTau(tau));
            return this;
        }

        /**
         * @return the ensemble
         * @throws IllegalArgumentException when no member was added, or the members disagree on N or
         *     the layer count
         */
        public DetectorEnsemble build() {
            if (members.isEmpty()) {
                throw new IllegalArgumentException("an ensemble needs at least one member detector");
            }
            return new DetectorEnsemble(members, taus.stream().mapToDouble(Double::doubleValue).toArray());
        }
    }
}
