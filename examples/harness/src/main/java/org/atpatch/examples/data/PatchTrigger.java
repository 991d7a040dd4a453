package org.atpatch.examples.data;

import org.atpatch.djl.LabelledData;
import org.atpatch.examples.attack.Attack;
import org.atpatch.examples.attack.SquarePatch;

/**
 * The BadNets attack: a square stamped at a fixed position of every channel, either solid or a
 * checkerboard of {@code value} and {@code 1 − value} (distinct on bright and dark content alike);
 * the victim is trained from scratch on data {@link #poison poisoned} with it.
 *
 * @param row top pixel row
 * @param col left pixel column
 * @param size side in pixels
 * @param value the pixel value of the square (of its top-left cell for a checkerboard), in {@code [0, 1]}
 * @param checkerboard whether the square alternates {@code value} and {@code 1 − value}
 * @param target the target class
 */
public record PatchTrigger(int row, int col, int size, float value, boolean checkerboard, int target) implements Attack {

    /** Validates what does not depend on the image: size, value and target (the position is checked when stamping). */
    public PatchTrigger {
        new SquarePatch(row, col, size);
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException("trigger value must lie in [0, 1], got " + value);
        }
        Attack.requireTarget(target);
    }

    /**
     * A solid square.
     *
     * @param row top pixel row
     * @param col left pixel column
     * @param size side in pixels
     * @param value the pixel value
     * @param target the target class
     */
    public PatchTrigger(int row, int col, int size, float value, int target) {
        this(row, col, size, value, false, target);
    }

    /**
     * Stamps the trigger on every sample; the same as {@link #applyTrigger}.
     *
     * @param data clean data (labels kept)
     * @return triggered copies
     */
    public LabelledData apply(LabelledData data) {
        return new SquarePatch(row, col, size).stamp(data,
                (ch, dr, dc) -> checkerboard && (dr + dc) % 2 == 1 ? 1f - value : value);
    }

    @Override
    public LabelledData applyTrigger(LabelledData clean) {
        return apply(clean);
    }

    @Override
    public String name() {
        return "BadNets";
    }

    @Override
    public String fingerprint() {
        return "BadNets(row=" + row + ",col=" + col + ",size=" + size + ",value=" + value + ",checkerboard="
                + checkerboard + ",target=" + target + ")";
    }
}
