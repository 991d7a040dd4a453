package org.atpatch.djl.debugset;

import ai.djl.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.model.BertStyleEncoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a backdoor debugging set for a {@link BertStyleEncoder} from word-level triggers: each pair
 * is a clean pool text and the same text with the trigger's tokens inserted at a random column,
 * labelled with the inserted columns. Triggers come from a {@link TokenTriggerSearch} (the defender
 * does not know the trigger) or are given ({@link #addTrigger}, when it is known). A pair is kept
 * only when the model sends the triggered text to the trigger's class, and pool texts of that class
 * are not used (unless told otherwise); some further pool texts join as clean inputs.
 *
 * <p>Not thread-safe; the model must not be trained while the set is built.
 */
public final class TextDebuggingSetBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(TextDebuggingSetBuilder.class);

    private final Model model;
    private final BertStyleEncoder bert;
    private final LabelledData pool;
    private final List<int[]> triggers = new ArrayList<>();
    private final List<Integer> targets = new ArrayList<>();
    private final List<String> origins = new ArrayList<>();
    private int pairsPerTrigger = 400;
    private int cleanOnly = 200;
    private boolean keepOnlySuccessful = true;
    private int batchSize = 256;
    private long seed;

    private TextDebuggingSetBuilder(Model model, LabelledData pool) {
        if (model == null || !(model.getBlock() instanceof BertStyleEncoder b)) {
            throw new IllegalArgumentException("a text debugging set needs a model whose block is a BertStyleEncoder");
        }
        if (pool == null || pool.size() == 0) {
            throw new IllegalArgumentException("a debugging set needs clean data; the pool is empty");
        }
        if (!pool.sampleShape().equals(b.sampleInputShape())) {
            throw new IllegalArgumentException("pool texts are shaped " + pool.sampleShape() + ", the model takes "
                    + b.sampleInputShape());
        }
        this.model = model;
        this.bert = b;
        this.pool = pool;
    }

    /**
     * @param model the victim
     * @param pool clean tokenised texts with their true labels
     * @return a builder
     */
    public static TextDebuggingSetBuilder of(Model model, LabelledData pool) {
        return new TextDebuggingSetBuilder(model, pool);
    }

    /**
     * Adds a known trigger.
     *
     * @param tokens its token ids, inserted together in this order
     * @param target the class it sends texts to
     * @return this
     */
    public TextDebuggingSetBuilder addTrigger(int[] tokens, int target) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a trigger needs at least one token");
        }
        for (int t : tokens) {
            if (t <= BertStyleEncoder.UNK || t >= bert.vocabularySize()) {
                throw new IllegalArgumentException("trigger token " + t + " is reserved or outside the vocabulary");
            }
        }
        triggers.add(tokens.clone());
        targets.add(target);
        origins.add("given " + Arrays.toString(tokens) + " -> " + target);
        return this;
    }

    /**
     * Adds every flagged pair of a search as a one-token trigger.
     *
     * @param result a search's result
     * @return this
     */
    public TextDebuggingSetBuilder addTriggers(TokenTriggerSearch.Result result) {
        for (TokenTriggerSearch.Candidate c : result.flagged()) {
            addTrigger(new int[] {c.token()}, c.target());
            origins.set(origins.size() - 1, "searched " + c.token() + " -> " + c.target());
        }
        return this;
    }

    /** @param v pairs per trigger at most (default 400), positive @return this */
    public TextDebuggingSetBuilder optPairsPerTrigger(int v) {
        pairsPerTrigger = v;
        return this;
    }

    /** @param v further clean texts (default 200), not negative @return this */
    public TextDebuggingSetBuilder optCleanOnly(int v) {
        cleanOnly = v;
        return this;
    }

    /** @param v keep only pairs whose trigger fires (default true) @return this */
    public TextDebuggingSetBuilder optKeepOnlySuccessful(boolean v) {
        keepOnlySuccessful = v;
        return this;
    }

    /** @param v texts per forward (default 256), positive @return this */
    public TextDebuggingSetBuilder optBatchSize(int v) {
        batchSize = v;
        return this;
    }

    /** @param v seeds the pool order and insertion columns @return this */
    public TextDebuggingSetBuilder optSeed(long v) {
        seed = v;
        return this;
    }

    /** @return the debugging set; without triggers it holds clean texts only (logged) */
    public DebuggingSet build() {
        if (pairsPerTrigger <= 0 || cleanOnly < 0 || batchSize <= 0) {
            throw new IllegalArgumentException("pairs per trigger and batch size must be positive, clean-only not negative");
        }
        int n = bert.maxLength();
        DebuggingSet.Builder out = DebuggingSet.builder(DebuggingSet.Kind.BACKDOOR, pool.sampleShape(), n);
        out.optProvenance("method", "word-level trigger tokens inserted at a random column");
        out.optProvenance("triggers", String.join("; ", origins));
        out.optProvenance("seed", Long.toString(seed));
        if (triggers.isEmpty()) {
            LOG.warn("no trigger given: the text debugging set has no pairs");
        }
        Random random = new Random(seed);
        int[] order = new int[pool.size()];
        Arrays.setAll(order, i -> i);
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        boolean[] used = new boolean[pool.size()];
        for (int k = 0; k < triggers.size(); k++) {
            int[] tokens = triggers.get(k);
            int target = targets.get(k);
            List<Integer> from = new ArrayList<>();
            List<float[]> inserted = new ArrayList<>();
            List<boolean[]> columns = new ArrayList<>();
            for (int i : order) {
                if (inserted.size() == pairsPerTrigger) {
                    break;
                }
                if (pool.labels()[i] == target) {
                    continue;
                }
                float[] x = pool.sample(i);
                int position = 1 + random.nextInt(TokenInsertion.lastPosition(x, tokens.length));
                from.add(i);
                inserted.add(TokenInsertion.insert(x, position, tokens));
                columns.add(TokenInsertion.columns(n, position, tokens.length));
            }
            int[] predicted = Predictions.classes(model, LabelledData.unlabelled(inserted, pool.sampleShape()), batchSize);
            int kept = 0;
            for (int p = 0; p < inserted.size(); p++) {
                if (!keepOnlySuccessful || predicted[p] == target) {
                    out.addPair(pool.sample(from.get(p)), inserted.get(p), columns.get(p));
                    used[from.get(p)] = true;
                    kept++;
                }
            }
            LOG.info("trigger {}: {} of {} pairs kept", origins.get(k), kept, inserted.size());
        }
        int added = 0;
        for (int i = 0; i < order.length && added < cleanOnly; i++) {
            if (!used[order[i]]) {
                out.addClean(pool.sample(order[i]));
                added++;
            }
        }
        return out.build();
    }
}
