package org.atpatch.djl.debugset;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.model.BertStyleEncoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds word-level backdoor triggers of a {@link BertStyleEncoder} without knowing them: the
 * discrete counterpart of Neural Cleanse's trigger inversion. A word-level trigger (BadNL) is one
 * token that, inserted anywhere, sends almost every input to the target class; natural words move
 * some inputs, not almost all.
 *
 * <ol>
 *   <li><b>Screen</b> every candidate token alone, as {@code [CLS] t [SEP]}, in large batches: its
 *       log-probability of each class;
 *   <li><b>verify</b> each class's {@code candidatesPerClass} best-screened tokens: insert the token
 *       at a random column (the same columns for every token) into each pool text the model does not
 *       already put in that class, and count how many it sends there (the flip rate);
 *   <li><b>test</b> the flip rates of all verified (class, token) pairs with the {@link
 *       MadAnomalyIndex}: a pair is flagged when its index exceeds the threshold, its flip rate lies
 *       above the median, and it flips at least {@code minFlipRate} of the texts.
 * </ol>
 *
 * <p>The outlier test runs over (class, token) pairs, not over classes as in Neural Cleanse: with
 * two classes (sentiment) a test across classes has two values and can never find an outlier.
 *
 * <p>Not thread-safe; the model must not be trained while it searches.
 */
public final class TokenTriggerSearch {

    private static final Logger LOG = LoggerFactory.getLogger(TokenTriggerSearch.class);

    private final int candidatesPerClass;
    private final double threshold;
    private final double minFlipRate;
    private final int batchSize;
    private final long seed;

    private TokenTriggerSearch(Builder b) {
        candidatesPerClass = b.candidatesPerClass;
        threshold = b.threshold;
        minFlipRate = b.minFlipRate;
        batchSize = b.batchSize;
        seed = b.seed;
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * One verified (class, token) pair.
     *
     * @param token the token id
     * @param target the class it was tried for
     * @param screenLogProbability its log-probability of {@code target} alone
     * @param flipRate the share of the pool texts not already in {@code target} that it sends there
     * @param anomalyIndex the MAD anomaly index of its flip rate among all verified pairs
     * @param flagged whether it is taken for a trigger
     */
    public record Candidate(int token, int target, double screenLogProbability, double flipRate, double anomalyIndex,
            boolean flagged) {}

    /**
     * What a search found.
     *
     * @param candidates every verified pair, highest flip rate first
     */
    public record Result(List<Candidate> candidates) {

        /** Copies the list. */
        public Result {
            candidates = List.copyOf(candidates);
        }

        /** @return the flagged pairs, highest flip rate first */
        public List<Candidate> flagged() {
            return candidates.stream().filter(Candidate::flagged).toList();
        }
    }

    /**
     * @param model a model whose block is an initialised {@link BertStyleEncoder}
     * @param pool clean tokenised texts {@code (maxLength)} the defender holds (labels unused)
     * @param candidates the token ids to try (ordinary words, not the reserved ids)
     * @param classes the model's class count
     * @return every verified pair and which are flagged
     * @throws IllegalArgumentException when the model is not a {@link BertStyleEncoder}, the pool is
     *     empty, or a candidate is a reserved id or outside the vocabulary
     */
    public Result search(Model model, LabelledData pool, int[] candidates, int classes) {
        if (!(model.getBlock() instanceof BertStyleEncoder bert)) {
            throw new IllegalArgumentException("the token trigger search needs a BertStyleEncoder, got "
                    + (model.getBlock() == null ? "no block" : model.getBlock().getClass().getSimpleName()));
        }
        if (pool.size() == 0 || candidates.length == 0) {
            throw new IllegalArgumentException("the search needs a non-empty pool and candidate list");
        }
        for (int t : candidates) {
            if (t <= BertStyleEncoder.UNK || t >= bert.vocabularySize()) {
                throw new IllegalArgumentException("candidate token " + t + " is reserved or outside the vocabulary of "
                        + bert.vocabularySize());
            }
        }
        float[][] screen = screen(model, candidates, classes); // [class][candidate]
        int[] predicted = Predictions.classes(model, pool, batchSize);
        Random random = new Random(seed);
        int[] positions = new int[pool.size()];
        for (int i = 0; i < pool.size(); i++) {
            positions[i] = 1 + random.nextInt(TokenInsertion.lastPosition(pool.sample(i), 1));
        }
        List<int[]> tried = new ArrayList<>(); // {token, class}
        List<Double> rates = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            final int cls = c;
            int[] others = IntStream.range(0, pool.size()).filter(i -> predicted[i] != cls).toArray();
            if (others.length == 0) {
                continue;
            }
            int[] best = IntStream.range(0, candidates.length).boxed()
                    .sorted(Comparator.comparingDouble((Integer k) -> -screen[cls][k]))
                    .limit(candidatesPerClass).mapToInt(Integer::intValue).toArray();
            for (int k : best) {
                List<float[]> inserted = new ArrayList<>(others.length);
                for (int i : others) {
                    inserted.add(TokenInsertion.insert(pool.sample(i), positions[i], candidates[k]));
                }
                int[] after = Predictions.classes(model, LabelledData.unlabelled(inserted, pool.sampleShape()), batchSize);
                long flipped = java.util.Arrays.stream(after).filter(p -> p == cls).count();
                tried.add(new int[] {candidates[k], c});
                rates.add((double) flipped / others.length);
                scores.add((double) screen[c][k]);
            }
        }
        double[] r = rates.stream().mapToDouble(Double::doubleValue).toArray();
        MadAnomalyIndex mad = MadAnomalyIndex.of(r);
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < r.length; i++) {
            boolean flagged = mad.index(i) > threshold && r[i] > mad.median() && r[i] >= minFlipRate;
            out.add(new Candidate(tried.get(i)[0], tried.get(i)[1], scores.get(i), r[i], mad.index(i), flagged));
        }
        out.sort(Comparator.comparingDouble(Candidate::flipRate).reversed());
        LOG.info("token trigger search: {} pairs verified, median flip rate {}, flagged {}", out.size(),
                mad.median(), out.stream().filter(Candidate::flagged).toList());
        return new Result(out);
    }

    /** Each candidate alone as {@code [CLS] t [SEP]}: its log-probability of each class, {@code [class][candidate]}. */
    private float[][] screen(Model model, int[] candidates, int classes) {
        float[][] out = new float[classes][candidates.length];
        for (int from = 0; from < candidates.length; from += batchSize) {
            int to = Math.min(candidates.length, from + batchSize);
            float[] ids = new float[(to - from) * 3];
            for (int k = from; k < to; k++) {
                ids[(k - from) * 3] = BertStyleEncoder.CLS;
                ids[(k - from) * 3 + 1] = candidates[k];
                ids[(k - from) * 3 + 2] = BertStyleEncoder.SEP;
            }
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDArray x = m.create(ids, new Shape(to - from, 3));
                float[] logp = model.getBlock().forward(new ParameterStore(m, false), new NDList(x), false)
                        .singletonOrThrow().logSoftmax(1).toFloatArray();
                for (int k = from; k < to; k++) {
                    for (int c = 0; c < classes; c++) {
                        out[c][k] = logp[(k - from) * classes + c];
                    }
                }
            }
        }
        return out;
    }

    /** Builds a {@link TokenTriggerSearch}. Not thread-safe. */
    public static final class Builder {
        private int candidatesPerClass = 24;
        private double threshold = MadAnomalyIndex.DEFAULT_THRESHOLD;
        private double minFlipRate = 0.5;
        private int batchSize = 256;
        private long seed;

        private Builder() {}

        /** @param v tokens verified per class (default 24), positive @return this */
        public Builder optCandidatesPerClass(int v) {
            candidatesPerClass = v;
            return this;
        }

        /** @param v the anomaly-index threshold (default 2), positive @return this */
        public Builder optThreshold(double v) {
            threshold = v;
            return this;
        }

        /** @param v the least flip rate of a trigger (default 0.5), in [0, 1] @return this */
        public Builder optMinFlipRate(double v) {
            minFlipRate = v;
            return this;
        }

        /** @param v texts per forward (default 256), positive @return this */
        public Builder optBatchSize(int v) {
            batchSize = v;
            return this;
        }

        /** @param v seeds the insertion columns @return this */
        public Builder optSeed(long v) {
            seed = v;
            return this;
        }

        /** @return the search */
        public TokenTriggerSearch build() {
            if (candidatesPerClass <= 0 || batchSize <= 0) {
                throw new IllegalArgumentException("candidates per class and batch size must be positive, got "
                        + candidatesPerClass + " and " + batchSize);
            }
            if (!(threshold > 0) || !(minFlipRate >= 0 && minFlipRate <= 1)) {
                throw new IllegalArgumentException("threshold must be positive and the min flip rate in [0, 1], got "
                        + threshold + " and " + minFlipRate);
            }
            return new TokenTriggerSearch(this);
        }
    }
}
