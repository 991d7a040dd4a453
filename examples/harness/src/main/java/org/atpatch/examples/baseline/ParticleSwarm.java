package org.atpatch.examples.baseline;

import java.util.Arrays;
import java.util.Random;
import java.util.function.ToDoubleFunction;

/**
 * Global-best particle-swarm minimisation in a box (Kennedy and Eberhart), as CARE uses it: each
 * particle moves by {@code v ← ω v + c1 r1 (pbest − x) + c2 r2 (gbest − x)}, {@code x ← clip(x + v)},
 * with {@code r1, r2} uniform per coordinate. The first particle starts at the given start point, the
 * others uniformly in the box; velocities start uniform in ±10 % of the box's width and are clamped
 * to its width. Deterministic for a seed. Immutable; {@link #minimise} may run on several threads at
 * once.
 */
public final class ParticleSwarm {

    private final double lower;
    private final double upper;
    private final double start;
    private final int particles;
    private final int iterations;
    private final double inertia;
    private final double cognitive;
    private final double social;
    private final long seed;

    private ParticleSwarm(Builder b) {
        lower = b.lower;
        upper = b.upper;
        start = b.start;
        particles = b.particles;
        iterations = b.iterations;
        inertia = b.inertia;
        cognitive = b.cognitive;
        social = b.social;
        seed = b.seed;
    }

    /** @return a builder with CARE's settings: 20 particles, 100 iterations, ω 0.8, c1 = c2 = 0.41 */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The best point found and its value.
     *
     * @param point the position
     * @param value the objective there
     * @param evaluations objective evaluations spent
     */
    public record Result(double[] point, double value, int evaluations) {}

    /**
     * @param objective the function minimised; called with a fresh array it may keep
     * @param dimensions the dimensions; positive
     * @return the best position found
     */
    public Result minimise(ToDoubleFunction<double[]> objective, int dimensions) {
        if (dimensions <= 0) {
            throw new IllegalArgumentException("the swarm needs at least one dimension, got " + dimensions);
        }
        Random r = new Random(seed);
        double width = upper - lower;
        double[][] x = new double[particles][dimensions];
        double[][] v = new double[particles][dimensions];
        double[][] best = new double[particles][];
        double[] bestValue = new double[particles];
        double[] global = null;
        double globalValue = Double.POSITIVE_INFINITY;
        int evaluations = 0;
        for (int p = 0; p < particles; p++) {
            for (int d = 0; d < dimensions; d++) {
                x[p][d] = p == 0 ? start : lower + r.nextDouble() * width;
                v[p][d] = (r.nextDouble() * 2 - 1) * 0.1 * width;
            }
            bestValue[p] = objective.applyAsDouble(x[p].clone());
            evaluations++;
            best[p] = x[p].clone();
            if (bestValue[p] < globalValue) {
                globalValue = bestValue[p];
                global = x[p].clone();
            }
        }
        for (int it = 0; it < iterations; it++) {
            for (int p = 0; p < particles; p++) {
                for (int d = 0; d < dimensions; d++) {
                    double vel = inertia * v[p][d] + cognitive * r.nextDouble() * (best[p][d] - x[p][d])
                            + social * r.nextDouble() * (global[d] - x[p][d]);
                    v[p][d] = Math.max(-width, Math.min(width, vel));
                    x[p][d] = Math.max(lower, Math.min(upper, x[p][d] + v[p][d]));
                }
                double f = objective.applyAsDouble(x[p].clone());
                evaluations++;
                if (f < bestValue[p]) {
                    bestValue[p] = f;
                    best[p] = x[p].clone();
                    if (f < globalValue) {
                        globalValue = f;
                        global = x[p].clone();
                    }
                }
            }
        }
        return new Result(Arrays.copyOf(global, dimensions), globalValue, evaluations);
    }

    /** Builds a {@link ParticleSwarm}; the box is required. */
    public static final class Builder {
        private double lower = Double.NaN;
        private double upper = Double.NaN;
        private double start = Double.NaN;
        private int particles = 20;
        private int iterations = 100;
        private double inertia = 0.8;
        private double cognitive = 0.41;
        private double social = 0.41;
        private long seed;

        private Builder() {}

        /**
         * @param lo lower bound of every coordinate
         * @param hi upper bound, above {@code lo}
         * @return this
         */
        public Builder setBounds(double lo, double hi) {
            lower = lo;
            upper = hi;
            return this;
        }

        /** @param v the first particle's coordinate (default: the box's centre) @return this */
        public Builder optStart(double v) {
            start = v;
            return this;
        }

        /** @param v particles (default 20) @return this */
        public Builder optParticles(int v) {
            particles = v;
            return this;
        }

        /** @param v iterations after the initial evaluation (default 100) @return this */
        public Builder optIterations(int v) {
            iterations = v;
            return this;
        }

        /**
         * @param omega inertia (default 0.8)
         * @param c1 pull to the particle's best (default 0.41)
         * @param c2 pull to the swarm's best (default 0.41)
         * @return this
         */
        public Builder optCoefficients(double omega, double c1, double c2) {
            inertia = omega;
            cognitive = c1;
            social = c2;
            return this;
        }

        /** @param v seed (default 0) @return this */
        public Builder optSeed(long v) {
            seed = v;
            return this;
        }

        /** @return the swarm */
        public ParticleSwarm build() {
            if (!(upper > lower) || Double.isInfinite(upper - lower)) {
                throw new IllegalArgumentException("the swarm needs finite bounds lower < upper, got [" + lower + ", "
                        + upper + "]");
            }
            if (Double.isNaN(start)) {
                start = (lower + upper) / 2;
            }
            if (start < lower || start > upper) {
                throw new IllegalArgumentException("the start " + start + " lies outside [" + lower + ", " + upper + "]");
            }
            if (particles < 1 || iterations < 0) {
                throw new IllegalArgumentException("the swarm needs at least one particle and iterations >= 0, got "
                        + particles + " and " + iterations);
            }
            return new ParticleSwarm(this);
        }
    }
}
