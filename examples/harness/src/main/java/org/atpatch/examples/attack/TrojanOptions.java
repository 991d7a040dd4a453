package org.atpatch.examples.attack;

import java.util.Arrays;

/**
 * Settings of the Trojan trigger search ({@link TrojanTrigger#optimise}): where the patch goes,
 * which hidden units it should excite, and the Adam search. Only the target is required.
 */
public final class TrojanOptions {

    private final int target;
    private final int size;
    private final int row;
    private final int col;
    private final int layer;
    private final int unitCount;
    private final int[] units;
    private final int steps;
    private final float learningRate;
    private final int batchSize;
    private final long seed;

    private TrojanOptions(Builder b) {
        target = b.target;
        size = b.size;
        row = b.row;
        col = b.col;
        layer = b.layer;
        unitCount = b.unitCount;
        units = b.units == null ? null : b.units.clone();
        steps = b.steps;
        learningRate = b.learningRate;
        batchSize = b.batchSize;
        seed = b.seed;
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the target class */
    public int target() {
        return target;
    }

    /**
     * The patch square in an image: the configured position, or flush with the bottom-right corner.
     *
     * @param image the image geometry
     * @return the square, checked to fit
     */
    public SquarePatch square(ImageShape image) {
        return new SquarePatch(row < 0 ? image.height() - size : row, col < 0 ? image.width() - size : col, size)
                .requireFits(image);
    }

    /** @return the token-state layer whose units are excited, or -1 for the last */
    public int layer() {
        return layer;
    }

    /** @return how many units to select when none are given */
    public int unitCount() {
        return unitCount;
    }

    /** @return the units to excite, or null to select {@link #unitCount()} of them */
    public int[] units() {
        return units == null ? null : units.clone();
    }

    /** @return Adam steps */
    public int steps() {
        return steps;
    }

    /** @return Adam's step size on the raw pattern */
    public float learningRate() {
        return learningRate;
    }

    /** @return samples per step */
    public int batchSize() {
        return batchSize;
    }

    /** @return the seed of the starting pattern and of the batch draws */
    public long seed() {
        return seed;
    }

    /** Builds {@link TrojanOptions}. */
    public static final class Builder {
        private int target = -1;
        private int size = 4;
        private int row = -1;
        private int col = -1;
        private int layer = -1;
        private int unitCount = 2;
        private int[] units;
        private int steps = 100;
        private float learningRate = 0.1f;
        private int batchSize = 32;
        private long seed;

        private Builder() {}

        /** @param v the target class (required) @return this */
        public Builder setTarget(int v) {
            target = v;
            return this;
        }

        /** @param v patch side in pixels (default 4) @return this */
        public Builder optSize(int v) {
            size = v;
            return this;
        }

        /**
         * @param r top row
         * @param c left column
         * @return this (default: flush with the bottom-right corner)
         */
        public Builder optPosition(int r, int c) {
            if (r < 0 || c < 0) {
                throw new IllegalArgumentException("patch position must be >= 0, got (" + r + ", " + c + ")");
            }
            row = r;
            col = c;
            return this;
        }

        /** @param v the token-state layer to read (default: the last) @return this */
        public Builder optLayer(int v) {
            if (v < 0) {
                throw new IllegalArgumentException("layer must be >= 0, got " + v);
            }
            layer = v;
            return this;
        }

        /** @param v units to select by clean-data variance when none are given (default 2) @return this */
        public Builder optUnitCount(int v) {
            unitCount = v;
            return this;
        }

        /** @param v the units to excite, instead of selecting them @return this */
        public Builder optUnits(int... v) {
            units = v.clone();
            return this;
        }

        /** @param v Adam steps (default 100) @return this */
        public Builder optSteps(int v) {
            steps = v;
            return this;
        }

        /** @param v Adam step size on the raw (pre-tanh) pattern (default 0.1) @return this */
        public Builder optLearningRate(float v) {
            learningRate = v;
            return this;
        }

        /** @param v samples per step (default 32) @return this */
        public Builder optBatchSize(int v) {
            batchSize = v;
            return this;
        }

        /** @param v seed of the starting pattern and batch draws (default 0) @return this */
        public Builder optSeed(long v) {
            seed = v;
            return this;
        }

        /** @return the options */
        public TrojanOptions build() {
            if (target == -1) {
                throw new IllegalArgumentException("the target class is required: call setTarget");
            }
            Attack.requireTarget(target);
            new SquarePatch(Math.max(row, 0), Math.max(col, 0), size);
            if (steps <= 0 || batchSize <= 0 || unitCount <= 0) {
                throw new IllegalArgumentException("steps, batch size and unit count must be positive, got "
                        + steps + ", " + batchSize + ", " + unitCount);
            }
            if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learning rate must be a positive number, got " + learningRate);
            }
            if (units != null && (units.length == 0 || Arrays.stream(units).anyMatch(u -> u < 0)
                    || Arrays.stream(units).distinct().count() != units.length)) {
                throw new IllegalArgumentException("units must be distinct, non-negative and at least one, got "
                        + Arrays.toString(units));
            }
            return new TrojanOptions(this);
        }
    }
}
