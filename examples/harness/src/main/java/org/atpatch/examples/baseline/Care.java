package org.atpatch.examples.baseline;

import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * CARE, causality-based repair (Sun, Sun, Pham and Shi, ICSE 2022): split the model at a hidden layer,
 * attribute the defect to each hidden neuron by do-interventions over its observed range, and search
 * multiplicative factors for the top neurons by particle-swarm optimisation of {@code (1 − α) · defect
 * + α · (1 − accuracy)}.
 *
 * <p><b>Split.</b> At the input units of the classifier's last linear layer ({@link HeadLayer}):
 * {@code f2} is that layer, so interventions and factors are exact edits of its weights and every
 * fitness evaluation runs on the host from the captured units ({@link HeadScorer}). The ranges are
 * the units' [min, max] over the clean samples and the probe.
 *
 * <p><b>Attribution.</b> Backdoor: for each unit and {@code values} points across its range, the unit
 * is set to the point on every stamped input and the mean softmax probability of the trigger's target
 * is read; the effect is max − min of that curve (CARE's code: 4 points). Fairness: the same with the
 * unfairness rate of the flips in place of the target probability (Socrates: 16 points).
 *
 * <p><b>Settings</b> ({@link #backdoor()}, {@link #fairness()}): backdoor 5 neurons, factors in [−10,
 * 10] from 1, α = 0.1; fairness 3 neurons, factors in [−1, 1] from 0, α = 0.3; both 20 particles, ω =
 * 0.8, c1 = c2 = 0.41, 100 iterations, at most 1,000 clean samples.
 *
 * <p>Immutable; see {@link Repair} for threads.
 */
public final class Care implements Repair {

    private final int values;
    private final int neurons;
    private final double lower;
    private final double upper;
    private final double start;
    private final double alpha;
    private final int iterations;
    private final int maxClean;
    private final long seed;

    private Care(int values, int neurons, double lower, double upper, double start, double alpha, int iterations,
            int maxClean, long seed) {
        if (values < 2 || neurons < 1 || iterations < 0 || maxClean < 1) {
            throw new IllegalArgumentException("CARE needs at least 2 intervention values, 1 neuron, 0 iterations and"
                    + " 1 clean sample, got " + values + ", " + neurons + ", " + iterations + ", " + maxClean);
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must lie in [0, 1], got " + alpha);
        }
        this.values = values;
        this.neurons = neurons;
        this.lower = lower;
        this.upper = upper;
        this.start = start;
        this.alpha = alpha;
        this.iterations = iterations;
        this.maxClean = maxClean;
        this.seed = seed;
    }

    /** @return CARE's backdoor settings (its public code) */
    public static Care backdoor() {
        return new Care(4, 5, -10, 10, 1, 0.1, 100, 1000, 0);
    }

    /** @return CARE's fairness settings (Socrates) */
    public static Care fairness() {
        return new Care(16, 3, -1, 1, 0, 0.3, 100, 1000, 0);
    }

    /**
     * @param v PSO iterations
     * @return these settings with that many iterations
     */
    public Care withIterations(int v) {
        return new Care(values, neurons, lower, upper, start, alpha, v, maxClean, seed);
    }

    /**
     * @param v the most clean samples read (the first ones; the fairness probe flips these)
     * @return these settings with that budget
     */
    public Care withMaxClean(int v) {
        return new Care(values, neurons, lower, upper, start, alpha, iterations, v, seed);
    }

    /**
     * @param v the seed of the swarm
     * @return these settings with it
     */
    public Care withSeed(long v) {
        return new Care(values, neurons, lower, upper, start, alpha, iterations, maxClean, v);
    }

    @Override
    public String name() {
        return "CARE";
    }

    @Override
    public Repaired repair(RepairInput in) {
        long t0 = System.nanoTime();
        try (HeadRepair r = HeadRepair.prepare(in, "care", maxClean)) {
            double[] effect = attribution(r);
            int[] top = IntStream.range(0, effect.length).boxed()
                    .sorted(Comparator.comparingDouble((Integer u) -> -effect[u])).limit(neurons)
                    .mapToInt(Integer::intValue).toArray();
            UnitEdit none = UnitEdit.identity(effect.length);
            ParticleSwarm.Result best = ParticleSwarm.builder().setBounds(lower, upper).optStart(start)
                    .optIterations(iterations).optSeed(seed).build()
                    .minimise(w -> fitness(r, factors(none, top, w)), top.length);
            UnitEdit edit = factors(none, top, best.point());
            r.head().apply(edit);
            Map<String, String> s = new LinkedHashMap<>();
            s.put("split", "classifier head input, " + r.head().units() + " units");
            s.put("clean samples", Integer.toString(r.clean().size()));
            s.put("probe inputs", Integer.toString(r.probeScorer().size()));
            s.put("intervention values", Integer.toString(values));
            s.put("repaired neurons", Arrays.toString(top));
            s.put("factors", Arrays.toString(Arrays.stream(best.point())
                    .mapToObj(v -> String.format(Locale.ROOT, "%.3f", v)).toArray()));
            s.put("pso", "20 particles, " + iterations + " iterations, bounds [" + lower + ", " + upper + "], start "
                    + start + ", alpha " + alpha);
            s.put("defect rate / clean accuracy before", String.format(Locale.ROOT, "%.4f / %.4f", r.defectRate(none),
                    r.accuracy(none)));
            s.put("defect rate / clean accuracy after", String.format(Locale.ROOT, "%.4f / %.4f", r.defectRate(edit),
                    r.accuracy(edit)));
            return new Repaired(r.release(), (System.nanoTime() - t0) / 1e9, s);
        }
    }

    /**
     * Each unit's causal effect: max − min over {@code values} do-interventions across its range of
     * the target's mean probability (backdoor) or of the unfairness rate (fairness).
     */
    double[] attribution(HeadRepair r) {
        int d = r.head().units();
        double[] effect = new double[d];
        UnitEdit none = UnitEdit.identity(d);
        int[] target = r.targets();
        for (int u = 0; u < d; u++) {
            float[] a = r.cleanScorer().range(u);
            float[] p = r.probeScorer().range(u);
            float lo = Math.min(a[0], p[0]);
            float hi = Math.max(a[1], p[1]);
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < values; k++) {
                UnitEdit doV = none.with(u, 0f, lo + (hi - lo) * k / (values - 1));
                double y = target != null ? r.probeScorer().meanProbability(doV, target) : r.defectRate(doV);
                min = Math.min(min, y);
                max = Math.max(max, y);
            }
            effect[u] = max - min;
        }
        return effect;
    }

    private double fitness(HeadRepair r, UnitEdit edit) {
        return (1 - alpha) * r.defectRate(edit) + alpha * (1 - r.accuracy(edit));
    }

    private static UnitEdit factors(UnitEdit none, int[] units, double[] w) {
        UnitEdit e = none;
        for (int i = 0; i < units.length; i++) {
            e = e.with(units[i], (float) w[i], 0f);
        }
        return e;
    }
}
