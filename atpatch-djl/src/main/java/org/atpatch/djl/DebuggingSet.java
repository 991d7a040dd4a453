package org.atpatch.djl;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The debugging set of Section 3.2: pairs of a clean input and its anomalous counterpart (a
 * triggered image, or a protected-attribute flip whose prediction diverged) with the anomalous
 * token columns of the counterpart, plus optional extra clean inputs. It is the offline training
 * data of AtPatch: the clean side gives Q and the detector's negatives, the anomalous side its
 * positives. Inputs are held on the host as flat float arrays of one sample's shape.
 */
public final class DebuggingSet {

    /** Where a debugging set came from. */
    public enum Kind {
        /** Clean-backdoor pairs from trigger inversion or a known trigger (3.2.1). */
        BACKDOOR,
        /** Clean-bias pairs from protected-attribute flips (3.2.2). */
        FAIRNESS
    }

    /**
     * One clean / anomalous pair.
     *
     * @param clean the clean input x (or x̂)
     * @param anomalous the anomalous input x′
     * @param columns the anomalous token columns of x′, {@code [N]}
     */
    public record Pair(float[] clean, float[] anomalous, boolean[] columns) {}

    private final Kind kind;
    private final Shape sampleShape;
    private final int tokens;
    private final List<Pair> pairs;
    private final List<float[]> cleanOnly;
    private final Map<String, String> provenance;

    private DebuggingSet(Builder b) {
        this.kind = b.kind;
        this.sampleShape = b.sampleShape;
        this.tokens = b.tokens;
        this.pairs = List.copyOf(b.pairs);
        this.cleanOnly = List.copyOf(b.cleanOnly);
        this.provenance = Map.copyOf(b.provenance);
    }

    /**
     * @param kind backdoor or fairness
     * @param sampleShape one input's shape, without the batch axis
     * @param tokens N, the token count of the model's maps
     * @return a builder
     */
    public static Builder builder(Kind kind, Shape sampleShape, int tokens) {
        return new Builder(kind, sampleShape, tokens);
    }

    /** @return backdoor or fairness */
    public Kind kind() {
        return kind;
    }

    /** @return one input's shape */
    public Shape sampleShape() {
        return sampleShape;
    }

    /** @return N */
    public int tokens() {
        return tokens;
    }

    /** @return the clean / anomalous pairs */
    public List<Pair> pairs() {
        return pairs;
    }

    /** @return clean inputs without a counterpart */
    public List<float[]> cleanOnly() {
        return cleanOnly;
    }

    /** @return how the set was built (method, seeds, targets, counts) */
    public Map<String, String> provenance() {
        return provenance;
    }

    /** @return whether there is nothing to train on */
    public boolean isEmpty() {
        return pairs.isEmpty();
    }

    /** Builds a {@link DebuggingSet}, checking every input's size and column count. */
    public static final class Builder {
        private final Kind kind;
        private final Shape sampleShape;
        private final int tokens;
        private final long size;
        private final List<Pair> pairs = new ArrayList<>();
        private final List<float[]> cleanOnly = new ArrayList<>();
        private final Map<String, String> provenance = new LinkedHashMap<>();

        private Builder(Kind kind, Shape sampleShape, int tokens) {
            if (kind == null || sampleShape == null || tokens <= 0) {
                throw new IllegalArgumentException("kind, sample shape and a positive N are required");
            }
            this.kind = kind;
            this.sampleShape = sampleShape;
            this.tokens = tokens;
            this.size = sampleShape.size();
        }

        /**
         * @param clean x
         * @param anomalous x′
         * @param columns the anomalous columns of x′; at least one
         * @return this
         */
        public Builder addPair(float[] clean, float[] anomalous, boolean[] columns) {
            check(clean, "clean input of pair " + pairs.size());
            check(anomalous, "anomalous input of pair " + pairs.size());
            if (columns.length != tokens) {
                throw new IllegalArgumentException("pair " + pairs.size() + " labels " + columns.length
                        + " columns, the model has N = " + tokens);
            }
            boolean any = false;
            for (boolean c : columns) {
                any |= c;
            }
            if (!any) {
                throw new IllegalArgumentException("pair " + pairs.size() + " has no anomalous column");
            }
            pairs.add(new Pair(clean.clone(), anomalous.clone(), columns.clone()));
            return this;
        }

        /**
         * @param clean an extra clean input
         * @return this
         */
        public Builder addClean(float[] clean) {
            check(clean, "clean input " + cleanOnly.size());
            cleanOnly.add(clean.clone());
            return this;
        }

        /**
         * @param key what
         * @param value its value
         * @return this
         */
        public Builder optProvenance(String key, String value) {
            provenance.put(key, value);
            return this;
        }

        private void check(float[] x, String what) {
            if (x.length != size) {
                throw new IllegalArgumentException(what + " has " + x.length + " values, expected "
                        + size + " for shape " + sampleShape);
            }
            for (float v : x) {
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException(what + " contains NaN or Inf");
                }
            }
        }

        /** @return the set */
        public DebuggingSet build() {
            return new DebuggingSet(this);
        }
    }

    @Override
    public String toString() {
        return kind + " debugging set: " + pairs.size() + " pairs, " + cleanOnly.size() + " extra clean, N = "
                + tokens + ", input " + sampleShape + ", " + Arrays.toString(provenance.entrySet().toArray());
    }
}
