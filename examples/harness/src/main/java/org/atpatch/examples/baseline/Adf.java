package org.atpatch.examples.baseline;

import ai.djl.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.FairnessFlips;
import org.atpatch.djl.debugset.ProtectedAttribute;
import org.atpatch.djl.testing.VictimTrainer;

/**
 * ADF (Zhang et al., ICSE 2020), fairness only: generates individual discriminatory instances (IDIs:
 * inputs whose prediction changes when only a protected attribute changes) by a global then a local
 * search, then repairs by retraining a copy with every IDI's protected variants labelled with the
 * prediction on the IDI as found, as the AtPatch paper's comparison does.
 *
 * <p><b>Global phase</b> (at most {@code globalIterations} per seed): a seed that is not an IDI takes
 * the flip {@code x'} whose class probabilities differ most from its own and moves by {@code x ←
 * clip(x + s · sign g(x) ⊙ [sign g(x) = sign g(x')])}, {@code s = 1}, protected features fixed, where
 * g is the gradient of the cross-entropy against the point's own prediction. The inputs hold
 * categorical codes and standardised numbers; codes have no gradient through an embedding lookup, so g
 * is a central finite difference of step 1 per feature (ADF's step on integer-coded features), one
 * sided at a bound. The bounds are each feature's [min, max] on the clean data.
 *
 * <p><b>Local phase</b> ({@code localIterations} steps from each global IDI): a random walk that moves
 * one non-protected feature by ±1, choosing features with probability inversely proportional to
 * their finite-difference gradient magnitude at the global IDI, and moves only onto IDIs; every
 * visited input is checked. ADF runs basin hopping here; the walk keeps its step and its preference
 * for small gradients.
 *
 * <p><b>Seeds</b>: up to {@code maxSeeds} clean samples drawn at random (ADF clusters the data into 4
 * k-means clusters and draws round-robin; not done here).
 *
 * <p>Immutable; see {@link Repair} for threads.
 */
public final class Adf implements Repair {

    private static final int BATCH = 1024;

    private final int maxSeeds;
    private final int globalIterations;
    private final int localIterations;
    private final int fineTuneEpochs;
    private final float learningRate;
    private final int batchSize;
    private final long seed;

    private Adf(Builder b) {
        maxSeeds = b.maxSeeds;
        globalIterations = b.globalIterations;
        localIterations = b.localIterations;
        fineTuneEpochs = b.fineTuneEpochs;
        learningRate = b.learningRate;
        batchSize = b.batchSize;
        seed = b.seed;
    }

    /** @return a builder with ADF's search budget: 1,000 seeds, 10 global and 1,000 local iterations */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "ADF";
    }

    /**
     * The IDIs found.
     *
     * @param global IDIs of the global phase
     * @param local further IDIs of the local phase
     * @param labels the prediction on each IDI (global then local), which its variants are trained on
     */
    public record Found(List<float[]> global, List<float[]> local, int[] labels) {
        /** @return every IDI, global first */
        public List<float[]> all() {
            List<float[]> a = new ArrayList<>(global);
            a.addAll(local);
            return a;
        }
    }

    @Override
    public Repaired repair(RepairInput in) {
        if (!(in.defect() instanceof Defect.Unfairness u)) {
            throw new IllegalArgumentException("ADF repairs unfairness, not " + in.defect().getClass().getSimpleName());
        }
        long t0 = System.nanoTime();
        Model copy = ModelCopy.of(in.victim(), in.architecture(), in.clean().sampleShape(), "adf");
        try {
            Found found = search(in.victim(), in.clean(), u.flips());
            double searchSeconds = (System.nanoTime() - t0) / 1e9;
            List<float[]> x = new ArrayList<>();
            List<Integer> y = new ArrayList<>();
            for (int i = 0; i < in.clean().size(); i++) {
                x.add(in.clean().sample(i));
                y.add(in.clean().labels()[i]);
            }
            List<float[]> idis = found.all();
            for (int i = 0; i < idis.size(); i++) {
                x.add(idis.get(i));
                y.add(found.labels()[i]);
                for (FairnessFlips.Flip f : u.flips().flipsOf(idis.get(i))) {
                    x.add(f.input());
                    y.add(found.labels()[i]);
                }
            }
            LabelledData unl = LabelledData.unlabelled(x, in.clean().sampleShape());
            LabelledData train = new LabelledData(unl.inputs(), y.stream().mapToInt(Integer::intValue).toArray(),
                    in.clean().sampleShape());
            if (fineTuneEpochs > 0) {
                VictimTrainer.builder().optEpochs(fineTuneEpochs).optLearningRate(learningRate)
                        .optBatchSize(Math.min(batchSize, train.size())).optSeed(seed).optProgress(false).build()
                        .fit(copy, train);
            }
            Map<String, String> s = new LinkedHashMap<>();
            s.put("seeds", Math.min(maxSeeds, in.clean().size()) + " random clean samples");
            s.put("global iterations", Integer.toString(globalIterations));
            s.put("local iterations", Integer.toString(localIterations));
            s.put("IDIs global / local", found.global().size() + " / " + found.local().size());
            s.put("search seconds", String.format(java.util.Locale.ROOT, "%.1f", searchSeconds));
            s.put("retraining", train.size() + " inputs (clean + IDIs with their flips), " + fineTuneEpochs
                    + " epochs, lr " + learningRate + ", batch " + batchSize);
            return new Repaired(copy, (System.nanoTime() - t0) / 1e9, s);
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
    }

    /**
     * The global and local search on a model.
     *
     * @param model the model searched; read only
     * @param clean the clean data: seeds and feature bounds
     * @param flips the protected attributes' flips
     * @return the distinct IDIs found
     */
    public Found search(Model model, LabelledData clean, FairnessFlips flips) {
        if (clean.size() == 0) {
            throw new IllegalArgumentException("ADF needs clean data for its seeds, got none");
        }
        int f = clean.sampleSize();
        boolean[] fixed = new boolean[f];
        for (ProtectedAttribute a : flips.attributes()) {
            fixed[a.index()] = true;
        }
        float[] lo = new float[f];
        float[] hi = new float[f];
        Arrays.fill(lo, Float.POSITIVE_INFINITY);
        Arrays.fill(hi, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < clean.size(); i++) {
            float[] s = clean.sample(i);
            for (int j = 0; j < f; j++) {
                lo[j] = Math.min(lo[j], s[j]);
                hi[j] = Math.max(hi[j], s[j]);
            }
        }
        Search search = new Search(model, flips, fixed, lo, hi, clean.sampleShape());
        Random r = new Random(seed);
        int[] order = r.ints(0, clean.size()).distinct().limit(Math.min(maxSeeds, clean.size())).toArray();
        List<float[]> active = new ArrayList<>();
        for (int i : order) {
            active.add(clean.sample(i));
        }
        List<float[]> global = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int it = 0; it <= globalIterations && !active.isEmpty(); it++) {
            Search.Checked c = search.check(active);
            List<float[]> next = new ArrayList<>();
            List<float[]> partners = new ArrayList<>();
            for (int i = 0; i < active.size(); i++) {
                if (c.idi()[i]) {
                    if (seen.add(Arrays.toString(active.get(i)))) {
                        global.add(active.get(i));
                        labels.add(c.prediction()[i]);
                    }
                } else if (it < globalIterations) {
                    next.add(active.get(i));
                    partners.add(c.partner()[i]);
                }
            }
            if (next.isEmpty()) {
                break;
            }
            float[][] gx = search.gradients(next);
            float[][] gp = search.gradients(partners);
            active = new ArrayList<>();
            for (int i = 0; i < next.size(); i++) {
                float[] x = next.get(i).clone();
                boolean moved = false;
                for (int j = 0; j < f; j++) {
                    float sx = Math.signum(gx[i][j]);
                    if (!fixed[j] && sx != 0 && sx == Math.signum(gp[i][j])) {
                        x[j] = Math.max(lo[j], Math.min(hi[j], x[j] + sx));
                        moved |= x[j] != next.get(i)[j];
                    }
                }
                if (moved) {
                    active.add(x);
                }
            }
        }
        List<float[]> local = localSearch(search, global, labels, seen, r);
        return new Found(global, local, labels.stream().mapToInt(Integer::intValue).toArray());
    }

    private List<float[]> localSearch(Search search, List<float[]> global, List<Integer> labels, Set<String> seen,
            Random r) {
        List<float[]> local = new ArrayList<>();
        if (global.isEmpty() || localIterations == 0) {
            return local;
        }
        int f = global.get(0).length;
        float[][] g = search.gradients(global);
        double[][] cumulative = new double[global.size()][f];
        for (int i = 0; i < global.size(); i++) {
            double sum = 0;
            for (int j = 0; j < f; j++) {
                sum += search.fixed[j] ? 0 : 1 / (Math.abs(g[i][j]) + 1e-6);
                cumulative[i][j] = sum;
            }
            for (int j = 0; j < f; j++) {
                cumulative[i][j] /= sum;
            }
        }
        List<float[]> walkers = new ArrayList<>();
        global.forEach(x -> walkers.add(x.clone()));
        for (int it = 0; it < localIterations; it++) {
            List<float[]> candidates = new ArrayList<>();
            for (int i = 0; i < walkers.size(); i++) {
                float[] x = walkers.get(i).clone();
                double u = r.nextDouble();
                int j = 0;
                while (j < f - 1 && cumulative[i][j] < u) {
                    j++;
                }
                x[j] = Math.max(search.lo[j], Math.min(search.hi[j], x[j] + (r.nextBoolean() ? 1 : -1)));
                candidates.add(x);
            }
            Search.Checked c = search.check(candidates);
            for (int i = 0; i < candidates.size(); i++) {
                if (c.idi()[i]) {
                    walkers.set(i, candidates.get(i));
                    if (seen.add(Arrays.toString(candidates.get(i)))) {
                        local.add(candidates.get(i));
                        labels.add(c.prediction()[i]);
                    }
                }
            }
        }
        return local;
    }

    /** The model's predictions, IDI checks and finite-difference gradients, batched. */
    private static final class Search {
        private final Model model;
        private final FairnessFlips flips;
        private final boolean[] fixed;
        private final float[] lo;
        private final float[] hi;
        private final ai.djl.ndarray.types.Shape shape;

        Search(Model model, FairnessFlips flips, boolean[] fixed, float[] lo, float[] hi, ai.djl.ndarray.types.Shape shape) {
            this.model = model;
            this.flips = flips;
            this.fixed = fixed;
            this.lo = lo;
            this.hi = hi;
            this.shape = shape;
        }

        /**
         * @param idi whether each input is an IDI
         * @param prediction each input's predicted class
         * @param partner each input's flip with the largest L1 difference of class probabilities
         */
        record Checked(boolean[] idi, int[] prediction, float[][] partner) {}

        Checked check(List<float[]> xs) {
            List<float[]> rows = new ArrayList<>(xs);
            int[] first = new int[xs.size() + 1];
            List<float[]> flipped = new ArrayList<>();
            for (int i = 0; i < xs.size(); i++) {
                first[i] = flipped.size();
                flips.flipsOf(xs.get(i)).forEach(fl -> flipped.add(fl.input()));
            }
            first[xs.size()] = flipped.size();
            rows.addAll(flipped);
            float[][] z = ModelOutputs.logits(model, LabelledData.unlabelled(rows, shape), BATCH);
            boolean[] idi = new boolean[xs.size()];
            int[] pred = new int[xs.size()];
            float[][] partner = new float[xs.size()][];
            for (int i = 0; i < xs.size(); i++) {
                pred[i] = ModelOutputs.argMax(z[i]);
                double[] p = ModelOutputs.softmax(z[i]);
                double widest = -1;
                for (int k = first[i]; k < first[i + 1]; k++) {
                    float[] zk = z[xs.size() + k];
                    idi[i] |= ModelOutputs.argMax(zk) != pred[i];
                    double[] q = ModelOutputs.softmax(zk);
                    double l1 = 0;
                    for (int c = 0; c < p.length; c++) {
                        l1 += Math.abs(p[c] - q[c]);
                    }
                    if (l1 > widest) {
                        widest = l1;
                        partner[i] = flipped.get(k);
                    }
                }
            }
            return new Checked(idi, pred, partner);
        }

        /** Central differences (one-sided at a bound) of −log p(own prediction), per non-fixed feature. */
        float[][] gradients(List<float[]> xs) {
            int f = fixed.length;
            List<float[]> rows = new ArrayList<>(xs);
            for (float[] x : xs) {
                for (int j = 0; j < f; j++) {
                    float[] up = x.clone();
                    float[] down = x.clone();
                    up[j] = Math.min(hi[j], x[j] + 1);
                    down[j] = Math.max(lo[j], x[j] - 1);
                    rows.add(up);
                    rows.add(down);
                }
            }
            float[][] z = ModelOutputs.logits(model, LabelledData.unlabelled(rows, shape), BATCH);
            float[][] g = new float[xs.size()][f];
            for (int i = 0; i < xs.size(); i++) {
                int own = ModelOutputs.argMax(z[i]);
                for (int j = 0; j < f; j++) {
                    int at = xs.size() + (i * f + j) * 2;
                    float span = rows.get(at)[j] - rows.get(at + 1)[j];
                    if (fixed[j] || span == 0) {
                        continue;
                    }
                    double up = -Math.log(ModelOutputs.softmax(z[at])[own]);
                    double down = -Math.log(ModelOutputs.softmax(z[at + 1])[own]);
                    g[i][j] = (float) ((up - down) / span);
                }
            }
            return g;
        }
    }

    /** Builds an {@link Adf}. */
    public static final class Builder {
        private int maxSeeds = 1000;
        private int globalIterations = 10;
        private int localIterations = 1000;
        private int fineTuneEpochs = 5;
        private float learningRate = 1e-4f;
        private int batchSize = 256;
        private long seed;

        private Builder() {}

        /**
         * @param seeds most seeds (default 1,000)
         * @param global global iterations per seed (default 10)
         * @param local local steps from each global IDI (default 1,000)
         * @return this
         */
        public Builder optSearch(int seeds, int global, int local) {
            maxSeeds = seeds;
            globalIterations = global;
            localIterations = local;
            return this;
        }

        /**
         * @param epochs retraining epochs, 0 for none (default 5)
         * @param lr peak learning rate (default 1e-4)
         * @param batch batch size (default 256)
         * @return this
         */
        public Builder optRetraining(int epochs, float lr, int batch) {
            fineTuneEpochs = epochs;
            learningRate = lr;
            batchSize = batch;
            return this;
        }

        /** @param v seed of the seeds, the walk and the retraining (default 0) @return this */
        public Builder optSeed(long v) {
            seed = v;
            return this;
        }

        /** @return the repair */
        public Adf build() {
            if (maxSeeds <= 0 || globalIterations < 0 || localIterations < 0) {
                throw new IllegalArgumentException("ADF needs at least one seed and iterations >= 0, got " + maxSeeds
                        + " seeds, " + globalIterations + " global, " + localIterations + " local");
            }
            if (fineTuneEpochs < 0 || !(learningRate > 0) || batchSize <= 0) {
                throw new IllegalArgumentException("retraining needs epochs >= 0, a positive learning rate and batch, got "
                        + fineTuneEpochs + ", " + learningRate + ", " + batchSize);
            }
            return new Adf(this);
        }
    }
}
