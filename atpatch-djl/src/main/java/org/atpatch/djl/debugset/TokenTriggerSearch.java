package org.atpatch.djl.debugset;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
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
 *   <li><b>Screen</b> every candidate token for every class: insert it into {@code screenTexts} pool
 *       texts the model does not already put in that class, at the same random columns for every
 *       token, in large batches; its score is the mean log-probability of the class. A token is
 *       judged in context, as a trigger acts: alone, as {@code [CLS] t [SEP]}, many ordinary words
 *       of a class already score near certainty and bury the trigger;
 *   <li><b>verify</b> each class's {@code candidatesPerClass} best-screened tokens: insert the token
 *       at its column into each pool text the model does not already put in that class, and count
 *       how many it sends there (the flip rate), and how many of the half of those texts the model
 *       holds farthest from the class (by the log-probability gap to the class) it sends there (the
 *       confident flip rate);
 *   <li><b>test</b> the flip rates of all verified (class, token) pairs with the {@link
 *       MadAnomalyIndex}: a pair is flagged when its index exceeds the threshold, its flip rate lies
 *       above the median, and its confident flip rate is at least {@code minConfidentFlipRate}.
 * </ol>
 *
 * <p>The last condition is where a trigger and a strong natural word part: a backdoor trigger
 * overrides the rest of the text, so it also sends the texts the model is surest about; a word of
 * the class's own vocabulary tips mostly the texts that were near the boundary already.
 *
 * <p>The outlier test runs over (class, token) pairs, not over classes as in Neural Cleanse: with
 * two classes (sentiment) a test across classes has two values and can never find an outlier.
 *
 * <p>Not thread-safe; the model must not be trained while it searches.
 */
public final class TokenTriggerSearch {

    private static final Logger LOG = LoggerFactory.getLogger(TokenTriggerSearch.class);

    private final int candidatesPerClass;
    private final int screenTexts;
    private final double threshold;
    private final double minConfidentFlipRate;
    private final int batchSize;
    private final long seed;

    private TokenTriggerSearch(Builder b) {
        candidatesPerClass = b.candidatesPerClass;
        screenTexts = b.screenTexts;
        threshold = b.threshold;
        minConfidentFlipRate = b.minConfidentFlipRate;
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
     * @param screenLogProbability its mean log-probability of {@code target} over the screen texts
     * @param flipRate the share of the pool texts not already in {@code target} that it sends there
     * @param confidentFlipRate the same share among the half of those texts farthest from {@code target}
     * @param anomalyIndex the MAD anomaly index of its flip rate among all verified pairs
     * @param flagged whether it is taken for a trigger
     */
    public record Candidate(int token, int target, double screenLogProbability, double flipRate, double confidentFlipRate,
            double anomalyIndex, boolean flagged) {}

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
        float[][] logp = logProbabilities(model, pool);
        int[] predicted = new int[pool.size()];
        for (int i = 0; i < predicted.length; i++) {
            for (int c = 1; c < logp[i].length; c++) {
                predicted[i] = logp[i][c] > logp[i][predicted[i]] ? c : predicted[i];
            }
        }
        Random random = new Random(seed);
        int[] positions = new int[pool.size()];
        for (int i = 0; i < pool.size(); i++) {
            positions[i] = 1 + random.nextInt(TokenInsertion.lastPosition(pool.sample(i), 1));
        }
        List<int[]> tried = new ArrayList<>(); // {token, class}
        List<Double> rates = new ArrayList<>();
        List<Double> confidentRates = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            final int cls = c;
            int[] others = IntStream.range(0, pool.size()).filter(i -> predicted[i] != cls).toArray();
            if (others.length == 0) {
                continue;
            }
            // The half of the other texts the model holds farthest from cls.
            int[] byGap = Arrays.stream(others).boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> logp[i][cls] - logp[i][predicted[i]]))
                    .mapToInt(Integer::intValue).toArray();
            int half = Math.max(1, byGap.length / 2);
            boolean[] confident = new boolean[pool.size()];
            for (int k = 0; k < half; k++) {
                confident[byGap[k]] = true;
            }
            float[] screen = screen(model, pool, Arrays.copyOf(others, Math.min(screenTexts, others.length)), positions,
                    candidates, cls);
            int[] best = IntStream.range(0, candidates.length).boxed()
                    .sorted(Comparator.comparingDouble((Integer k) -> -screen[k]))
                    .limit(candidatesPerClass).mapToInt(Integer::intValue).toArray();
            for (int k : best) {
                List<float[]> inserted = new ArrayList<>(others.length);
                for (int i : others) {
                    inserted.add(TokenInsertion.insert(pool.sample(i), positions[i], candidates[k]));
                }
                int[] after = Predictions.classes(model, LabelledData.unlabelled(inserted, pool.sampleShape()), batchSize);
                long flipped = Arrays.stream(after).filter(p -> p == cls).count();
                long confidentFlipped = IntStream.range(0, others.length).filter(j -> confident[others[j]] && after[j] == cls)
                        .count();
                tried.add(new int[] {candidates[k], c});
                rates.add((double) flipped / others.length);
                confidentRates.add((double) confidentFlipped / half);
                scores.add((double) screen[k]);
            }
        }
        double[] r = rates.stream().mapToDouble(Double::doubleValue).toArray();
        MadAnomalyIndex mad = MadAnomalyIndex.of(r);
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < r.length; i++) {
            boolean flagged = mad.index(i) > threshold && r[i] > mad.median() && confidentRates.get(i) >= minConfidentFlipRate;
            out.add(new Candidate(tried.get(i)[0], tried.get(i)[1], scores.get(i), r[i], confidentRates.get(i), mad.index(i),
                    flagged));
        }
        out.sort(Comparator.comparingDouble(Candidate::flipRate).reversed());
        LOG.info("token trigger search: {} pairs verified, median flip rate {}, flagged {}", out.size(),
                mad.median(), out.stream().filter(Candidate::flagged).toList());
        return new Result(out);
    }

    /** The model's log-probabilities of every class for every pool text, {@code [text][class]}. */
    private float[][] logProbabilities(Model model, LabelledData pool) {
        float[][] out = new float[pool.size()][];
        for (int from = 0; from < pool.size(); from += batchSize) {
            int to = Math.min(pool.size(), from + batchSize);
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDArray z = model.getBlock().forward(new ParameterStore(m, false), new NDList(pool.batch(m, from, to)), false)
                        .singletonOrThrow().logSoftmax(1);
                int classes = (int) z.getShape().get(1);
                float[] flat = z.toFloatArray();
                for (int i = from; i < to; i++) {
                    out[i] = Arrays.copyOfRange(flat, (i - from) * classes, (i - from + 1) * classes);
                }
            }
        }
        return out;
    }

    /**
     * Each candidate inserted into each screen text at its column: the mean log-probability of
     * {@code cls}, {@code [candidate]}.
     */
    private float[] screen(Model model, LabelledData pool, int[] texts, int[] positions, int[] candidates, int cls) {
        int n = (int) pool.sampleShape().size();
        int perBatch = Math.max(1, batchSize / texts.length);
        float[] out = new float[candidates.length];
        for (int from = 0; from < candidates.length; from += perBatch) {
            int to = Math.min(candidates.length, from + perBatch);
            float[] ids = new float[(to - from) * texts.length * n];
            int row = 0;
            for (int k = from; k < to; k++) {
                for (int i : texts) {
                    System.arraycopy(TokenInsertion.insert(pool.sample(i), positions[i], candidates[k]), 0, ids, row++ * n, n);
                }
            }
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDArray x = m.create(ids, new Shape(row, n));
                float[] logp = model.getBlock().forward(new ParameterStore(m, false), new NDList(x), false)
                        .singletonOrThrow().logSoftmax(1).get(":, " + cls).reshape(to - from, texts.length).mean(new int[] {1})
                        .toFloatArray();
                System.arraycopy(logp, 0, out, from, to - from);
            }
        }
        return out;
    }

    /** Builds a {@link TokenTriggerSearch}. Not thread-safe. */
    public static final class Builder {
        private int candidatesPerClass = 24;
        private int screenTexts = 4;
        private double threshold = MadAnomalyIndex.DEFAULT_THRESHOLD;
        private double minConfidentFlipRate = 0.5;
        private int batchSize = 256;
        private long seed;

        private Builder() {}

        /** @param v tokens verified per class (default 24), positive @return this */
        public Builder optCandidatesPerClass(int v) {
            candidatesPerClass = v;
            return this;
        }

        /**
         * @param v pool texts of other classes each candidate is screened in, per class (default 4),
         *     positive; the screen's cost is candidates × classes × this many forwards of one text
         * @return this
         */
        public Builder optScreenTexts(int v) {
            screenTexts = v;
            return this;
        }

        /** @param v the anomaly-index threshold (default 2), positive @return this */
        public Builder optThreshold(double v) {
            threshold = v;
            return this;
        }

        /**
         * @param v the least confident flip rate of a trigger (default 0.5), in [0, 1]: the share of the
         *     other classes' texts the model is surest about that it must send to its class
         * @return this
         */
        public Builder optMinConfidentFlipRate(double v) {
            minConfidentFlipRate = v;
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
            if (candidatesPerClass <= 0 || screenTexts <= 0 || batchSize <= 0) {
                throw new IllegalArgumentException("candidates per class, screen texts and batch size must be positive, got "
                        + candidatesPerClass + ", " + screenTexts + " and " + batchSize);
            }
            if (!(threshold > 0) || !(minConfidentFlipRate >= 0 && minConfidentFlipRate <= 1)) {
                throw new IllegalArgumentException("threshold must be positive and the min confident flip rate in [0, 1], got "
                        + threshold + " and " + minConfidentFlipRate);
            }
            return new TokenTriggerSearch(this);
        }
    }
}
