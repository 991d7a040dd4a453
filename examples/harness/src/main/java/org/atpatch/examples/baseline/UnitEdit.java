package org.atpatch.examples.baseline;

import java.util.Arrays;

/**
 * An edit of the head's input units, {@code h_i ← scale_i · h_i + shift_i}: pruning ({@code 0, 0}),
 * isolation at a mean ({@code 0, mean}), a CARE factor ({@code w, 0}), a do-intervention ({@code 0,
 * v}). Immutable.
 */
final class UnitEdit {

    private final float[] scale;
    private final float[] shift;

    private UnitEdit(float[] scale, float[] shift) {
        this.scale = scale;
        this.shift = shift;
    }

    /**
     * @param units the head's input units
     * @return the edit that changes nothing
     */
    static UnitEdit identity(int units) {
        float[] s = new float[units];
        Arrays.fill(s, 1f);
        return new UnitEdit(s, new float[units]);
    }

    /**
     * @param unit a unit
     * @param scaleValue its scale
     * @param shiftValue its shift
     * @return this edit with that unit's scale and shift replaced
     */
    UnitEdit with(int unit, float scaleValue, float shiftValue) {
        if (unit < 0 || unit >= scale.length) {
            throw new IllegalArgumentException("unit " + unit + " is outside the head's " + scale.length + " input units");
        }
        float[] s = scale.clone();
        float[] c = shift.clone();
        s[unit] = scaleValue;
        c[unit] = shiftValue;
        return new UnitEdit(s, c);
    }

    /** @return the units */
    int units() {
        return scale.length;
    }

    /** @return unit i's scale */
    float scale(int i) {
        return scale[i];
    }

    /** @return unit i's shift */
    float shift(int i) {
        return shift[i];
    }

    /** @return the units whose scale is not 1 or whose shift is not 0 */
    int[] changed() {
        return java.util.stream.IntStream.range(0, scale.length).filter(i -> scale[i] != 1f || shift[i] != 0f).toArray();
    }
}
