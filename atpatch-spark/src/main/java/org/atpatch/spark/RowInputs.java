package org.atpatch.spark;

import java.util.List;

/** Reads a row's input array into a batch buffer, and says what is wrong with a bad one. */
final class RowInputs {

    private RowInputs() {}

    /**
     * Copies one sample into {@code batch} at {@code offset}.
     *
     * @param values the input column's value: a list of Float or Double, or null
     * @param batch the batch buffer
     * @param offset where the sample starts in it
     * @param size the sample's expected number of values
     * @param shape the sample's shape, for the message
     * @return null when the sample was copied, else why it cannot be scored
     */
    static String read(List<?> values, float[] batch, int offset, int size, String shape) {
        if (values == null) {
            return "the input is null";
        }
        if (values.size() != size) {
            return "the input has " + values.size() + " values but the model takes " + size + " (one sample shaped "
                    + shape + ", flattened row-major)";
        }
        for (int i = 0; i < size; i++) {
            Object v = values.get(i);
            if (v == null) {
                return "input value " + i + " is null";
            }
            float f = ((Number) v).floatValue();
            if (!Float.isFinite(f)) {
                double d = ((Number) v).doubleValue();
                return "input value " + i + " is " + (Double.isNaN(d) ? "NaN"
                        : Double.isInfinite(d) ? "infinite" : d + ", outside float32's range");
            }
            batch[offset + i] = f;
        }
        return null;
    }
}
