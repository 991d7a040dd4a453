package org.atpatch.core;

import java.util.Arrays;
import java.util.List;

/**
 * The anomalous columns the detector flagged for one sample: 𝒦 of Eq. 9, as one entry per layer
 * that flagged anything, with the detector's probabilities.
 *
 * @param layers the layers that flagged at least one column, in increasing layer order
 */
public record AnomalySet(List<LayerFlags> layers) {

    /**
     * The columns one layer flagged.
     *
     * @param layer the layer index
     * @param columns the flagged columns, increasing
     * @param probabilities the detector's probability for each flagged column, same order
     */
    public record LayerFlags(int layer, int[] columns, float[] probabilities) {

        /** Validates lengths. */
        public LayerFlags {
            if (columns.length != probabilities.length) {
                throw new IllegalArgumentException("layer " + layer + ": " + columns.length
                        + " columns but " + probabilities.length + " probabilities");
            }
            columns = columns.clone();
            probabilities = probabilities.clone();
        }

        @Override
        public int[] columns() {
            return columns.clone();
        }

        @Override
        public float[] probabilities() {
            return probabilities.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof LayerFlags f
                    && f.layer == layer
                    && Arrays.equals(f.columns, columns)
                    && Arrays.equals(f.probabilities, probabilities);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * layer + Arrays.hashCode(columns)) + Arrays.hashCode(probabilities);
        }

        @Override
        public String toString() {
            return "layer " + layer + ": " + Arrays.toString(columns) + " p=" + Arrays.toString(probabilities);
        }
    }

    /** Copies the list. */
    public AnomalySet {
        layers = List.copyOf(layers);
    }

    /** @return the empty set: nothing flagged */
    public static AnomalySet none() {
        return new AnomalySet(List.of());
    }

    /** @return whether nothing was flagged */
    public boolean isEmpty() {
        return layers.isEmpty();
    }

    /** @return the union over layers of the flagged columns, increasing */
    public int[] union() {
        return layers.stream().flatMapToInt(f -> Arrays.stream(f.columns)).distinct().sorted().toArray();
    }
}
