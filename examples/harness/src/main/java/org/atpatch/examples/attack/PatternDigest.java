package org.atpatch.examples.attack;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A short, stable name for a trigger pattern's exact values, for attack fingerprints. */
final class PatternDigest {

    private PatternDigest() {}

    /**
     * @param values the pattern
     * @return {@code sha256:} and the first 16 hex digits of the SHA-256 of the values' IEEE bits, big-endian
     */
    static String of(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES);
        for (float v : values) {
            bytes.putInt(Float.floatToIntBits(v));
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes.array());
            return "sha256:" + HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @param values a pattern
     * @param what what it is, for the message
     * @return the pattern
     * @throws IllegalArgumentException when a value is outside {@code [0, 1]} (or NaN)
     */
    static float[] requireUnitRange(float[] values, String what) {
        for (int i = 0; i < values.length; i++) {
            if (!(values[i] >= 0 && values[i] <= 1)) {
                throw new IllegalArgumentException(what + " values must lie in [0, 1], got " + values[i] + " at index " + i);
            }
        }
        return values;
    }
}
