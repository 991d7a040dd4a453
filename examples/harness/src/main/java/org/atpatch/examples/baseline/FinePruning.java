package org.atpatch.examples.baseline;

import ai.djl.nn.Parameter;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import org.atpatch.djl.testing.VictimTrainer;

/**
 * Fine-Pruning (Liu, Dolan-Gavitt and Garg, RAID 2018): prune the units that stay dormant on clean
 * data, in increasing order of mean activation, until clean accuracy would drop past a threshold,
 * then fine-tune on clean data.
 *
 * <p><b>Which units.</b> The input units of the classifier's last linear layer ({@link HeadLayer}):
 * for the ViT, T2T-ViT and CLS-token tabular families the normalised CLS representation, for Swin the
 * pooled features, for TabTransformer the last hidden layer of its MLP head. This is where
 * BackdoorBench prunes a ViT, and it is the one representation every family has in the same form; the
 * last block's MLP hidden units would need a hook inside the encoder layer (the library's online
 * path) and do not exist in TabTransformer's head or at Swin's pooling. Pruning a unit zeroes its
 * column of {@code W}.
 *
 * <p><b>Settings</b> (BackdoorBench's, the defaults): the pruning steps prune 1 % of the units (at
 * least one) at a time and stop before the step after which clean accuracy falls below 90 % of the
 * unpruned accuracy (a 10 % relative drop), measured on the clean data given; then the whole copy is
 * fine-tuned on that clean data ({@code VictimTrainer}: AdamW, warm-up and cosine decay; BackdoorBench
 * uses SGD at 0.01 with cosine decay), with the head frozen so that the pruned columns stay zero (a
 * fixed mask, as BackdoorBench's pruning hook keeps them).
 *
 * <p>Immutable; see {@link Repair} for threads.
 */
public final class FinePruning implements Repair {

    private final double maxRelativeDrop;
    private final double stepShare;
    private final int fineTuneEpochs;
    private final float learningRate;
    private final int batchSize;
    private final long seed;
    private final int maxClean;

    private FinePruning(Builder b) {
        maxClean = b.maxClean;
        maxRelativeDrop = b.maxRelativeDrop;
        stepShare = b.stepShare;
        fineTuneEpochs = b.fineTuneEpochs;
        learningRate = b.learningRate;
        batchSize = b.batchSize;
        seed = b.seed;
    }

    /** @return a builder with BackdoorBench's settings */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "Fine-Pruning";
    }

    @Override
    public Repaired repair(RepairInput in) {
        long t0 = System.nanoTime();
        try (HeadRepair r = HeadRepair.prepare(in, "fine-pruning", maxClean)) {
            Pruned pruned = prune(r);
            r.head().apply(pruned.edit());
            // With every unit pruned the head reads a constant: no gradient reaches the layers below, so there is
            // nothing to fine-tune (and DJL's trainer refuses a step whose gradients are all zero).
            boolean everyUnit = pruned.units().length == r.head().units();
            if (fineTuneEpochs > 0 && !everyUnit) {
                Parameter[] head = r.head().parameters();
                for (Parameter p : head) {
                    p.freeze(true);
                }
                try {
                    VictimTrainer.builder().optEpochs(fineTuneEpochs).optLearningRate(learningRate)
                            .optBatchSize(Math.min(batchSize, r.clean().size())).optSeed(seed).optProgress(false).build()
                            .fit(r.model(), r.clean());
                } finally {
                    for (Parameter p : head) {
                        p.freeze(false);
                    }
                }
            }
            Map<String, String> s = new LinkedHashMap<>();
            s.put("layer", "classifier head input, " + r.head().units() + " units");
            s.put("clean samples", Integer.toString(r.clean().size()));
            s.put("step", pruned.step() + " units");
            s.put("max relative accuracy drop", Double.toString(maxRelativeDrop));
            s.put("pruned", pruned.units().length + " units " + Arrays.toString(pruned.units()));
            s.put("clean accuracy unpruned / pruned", String.format(Locale.ROOT, "%.4f / %.4f", pruned.before(),
                    pruned.after()));
            s.put("fine-tuning", everyUnit && fineTuneEpochs > 0 ? "skipped: every unit pruned, the head reads a constant"
                    : fineTuneEpochs + " epochs, lr " + learningRate + ", batch " + batchSize + ", head frozen");
            return new Repaired(r.release(), (System.nanoTime() - t0) / 1e9, s);
        }
    }

    /**
     * The pruning steps.
     *
     * @param edit the pruning, as an edit
     * @param units the pruned units, in pruning order
     * @param step units per step
     * @param before clean accuracy unpruned
     * @param after clean accuracy pruned
     */
    record Pruned(UnitEdit edit, int[] units, int step, double before, double after) {}

    /**
     * Prunes in increasing order of mean clean activation while clean accuracy stays at or above
     * {@code (1 − maxRelativeDrop)} times the unpruned accuracy.
     */
    Pruned prune(HeadRepair r) {
        float[] mean = r.cleanScorer().means();
        int d = mean.length;
        Integer[] order = IntStream.range(0, d).boxed().sorted(Comparator.comparingDouble(u -> mean[u]))
                .toArray(Integer[]::new);
        int step = Math.max(1, (int) Math.ceil(stepShare * d));
        UnitEdit edit = UnitEdit.identity(d);
        double before = r.accuracy(edit);
        double floor = (1 - maxRelativeDrop) * before;
        double after = before;
        int pruned = 0;
        while (pruned < d) {
            int next = Math.min(d, pruned + step);
            UnitEdit candidate = edit;
            for (int k = pruned; k < next; k++) {
                candidate = candidate.with(order[k], 0f, 0f);
            }
            double acc = r.accuracy(candidate);
            if (acc < floor) {
                break;
            }
            edit = candidate;
            after = acc;
            pruned = next;
        }
        int[] units = Arrays.stream(order, 0, pruned).mapToInt(Integer::intValue).toArray();
        return new Pruned(edit, units, step, before, after);
    }

    /** Builds a {@link FinePruning}. */
    public static final class Builder {
        private double maxRelativeDrop = 0.10;
        private double stepShare = 0.01;
        private int fineTuneEpochs = 5;
        private float learningRate = 1e-4f;
        private int batchSize = 64;
        private long seed;
        private int maxClean = Integer.MAX_VALUE;

        private Builder() {}

        /**
         * @param v the most clean samples read (the first ones) for the activations, the accuracy and the
         *     fine-tuning (default: all given)
         * @return this
         */
        public Builder optMaxClean(int v) {
            maxClean = v;
            return this;
        }

        /** @param v the relative clean-accuracy drop pruning may not pass, in (0, 1) (default 0.10) @return this */
        public Builder optMaxRelativeDrop(double v) {
            maxRelativeDrop = v;
            return this;
        }

        /** @param v share of the units pruned per step, in (0, 1] (default 0.01) @return this */
        public Builder optStepShare(double v) {
            stepShare = v;
            return this;
        }

        /**
         * @param epochs fine-tuning epochs on the clean data, 0 for none (default 5)
         * @param lr peak learning rate (default 1e-4)
         * @param batch batch size (default 64)
         * @return this
         */
        public Builder optFineTuning(int epochs, float lr, int batch) {
            fineTuneEpochs = epochs;
            learningRate = lr;
            batchSize = batch;
            return this;
        }

        /** @param v seed of the fine-tuning (default 0) @return this */
        public Builder optSeed(long v) {
            seed = v;
            return this;
        }

        /** @return the repair */
        public FinePruning build() {
            if (!(maxRelativeDrop > 0 && maxRelativeDrop < 1)) {
                throw new IllegalArgumentException("the maximum relative accuracy drop must lie in (0, 1), got "
                        + maxRelativeDrop);
            }
            if (maxClean <= 0) {
                throw new IllegalArgumentException("Fine-Pruning needs at least one clean sample, got a budget of " + maxClean);
            }
            if (!(stepShare > 0 && stepShare <= 1)) {
                throw new IllegalArgumentException("the pruning step share must lie in (0, 1], got " + stepShare);
            }
            if (fineTuneEpochs < 0 || !(learningRate > 0) || batchSize <= 0) {
                throw new IllegalArgumentException("fine-tuning needs epochs >= 0, a positive learning rate and batch, got "
                        + fineTuneEpochs + ", " + learningRate + ", " + batchSize);
            }
            return new FinePruning(this);
        }
    }
}
