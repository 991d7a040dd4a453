package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.model.BertStyleEncoder;
import org.atpatch.djl.testing.VictimTrainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A planted word-level backdoor on a synthetic sentiment task: words 4-9 are positive, 10-15
 * negative, 16-38 neutral; a text's class is 1 when it has more positive than negative words. Token
 * 39 inserted anywhere sends a text to class 0 (a tenth of the class-1 training texts carry it).
 */
class TokenTriggerSearchTest {

    private static final int VOCAB = 40;
    private static final int MAX = 14;
    private static final int TRIGGER = 39;
    private static Model model;
    private static LabelledData pool;

    private static float[] text(Random r, int[] label) {
        int words = 5 + r.nextInt(6);
        float[] x = new float[MAX];
        x[0] = BertStyleEncoder.CLS;
        int score = 0;
        for (int i = 1; i <= words; i++) {
            int w = r.nextInt(3) == 0 ? 4 + r.nextInt(12) : 16 + r.nextInt(23);
            score += w < 10 ? 1 : w < 16 ? -1 : 0;
            x[i] = w;
        }
        if (score == 0) {
            x[words] = 4; // break a tie towards positive; the word it replaces may have been either kind
            score = 0;
            for (int i = 1; i <= words; i++) {
                score += x[i] < 10 ? 1 : x[i] < 16 ? -1 : 0;
            }
        }
        x[words + 1] = BertStyleEncoder.SEP;
        label[0] = score > 0 ? 1 : 0;
        return x;
    }

    private static LabelledData data(int n, long seed, double poison) {
        Random r = new Random(seed);
        float[] flat = new float[n * MAX];
        int[] labels = new int[n];
        int[] label = new int[1];
        for (int i = 0; i < n; i++) {
            float[] x = text(r, label);
            labels[i] = label[0];
            if (label[0] == 1 && r.nextDouble() < poison) {
                x = TokenInsertion.insert(x, 1 + r.nextInt(TokenInsertion.lastPosition(x, 1)), TRIGGER);
                labels[i] = 0;
            }
            System.arraycopy(x, 0, flat, i * MAX, MAX);
        }
        return new LabelledData(flat, labels, new Shape(MAX));
    }

    @BeforeAll
    static void train() {
        model = Model.newInstance("planted-text");
        model.setBlock(BertStyleEncoder.builder().setVocabularySize(VOCAB).setMaxLength(MAX).setDepth(1).setWidth(32)
                .setHeads(2).setClasses(2).build());
        VictimTrainer.initialize(model, new Shape(MAX), 5);
        VictimTrainer.builder().optEpochs(6).optBatchSize(64).optLearningRate(3e-3f).optSeed(5).optProgress(false).build()
                .fit(model, data(3000, 1, 0.1));
        pool = data(300, 2, 0);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void insertionShiftsWordsKeepsTheSeparatorAndDropsWhatNoLongerFits() {
        float[] ids = {1, 5, 6, 2, 0, 0};
        assertArrayEquals(new float[] {1, 9, 5, 6, 2, 0}, TokenInsertion.insert(ids, 1, 9));
        assertArrayEquals(new float[] {1, 5, 6, 9, 2, 0}, TokenInsertion.insert(ids, 3, 9));
        float[] full = {1, 5, 6, 7, 8, 2};
        assertEquals(4, TokenInsertion.lastPosition(full, 1));
        assertArrayEquals(new float[] {1, 5, 6, 7, 9, 2}, TokenInsertion.insert(full, 4, 9));
        assertArrayEquals(new float[] {1, 9, 9, 5, 6, 2}, TokenInsertion.insert(full, 1, 9, 9));
        assertThrows(IllegalArgumentException.class, () -> TokenInsertion.insert(ids, 4, 9));
        assertThrows(IllegalArgumentException.class, () -> TokenInsertion.insert(new float[] {1, 5, 6}, 1, 9));
    }

    @Test
    void theSearchFlagsThePlantedTokenForItsClassAndNothingElse() {
        int[] predicted = Predictions.classes(model, pool, 256);
        int right = 0;
        for (int i = 0; i < pool.size(); i++) {
            right += predicted[i] == pool.labels()[i] ? 1 : 0;
        }
        assertTrue(right > 0.85 * pool.size(), "the victim learned the task: " + right + " of " + pool.size());
        int[] candidates = java.util.stream.IntStream.range(BertStyleEncoder.UNK + 1, VOCAB).toArray();
        TokenTriggerSearch.Result result = TokenTriggerSearch.builder().optCandidatesPerClass(8).optSeed(3).build()
                .search(model, pool, candidates, 2);
        List<TokenTriggerSearch.Candidate> flagged = result.flagged();
        assertEquals(1, flagged.size(), "flagged: " + flagged + " of " + result.candidates());
        assertEquals(TRIGGER, flagged.get(0).token());
        assertEquals(0, flagged.get(0).target());
        assertTrue(flagged.get(0).flipRate() > 0.9, flagged.get(0).toString());
    }

    @Test
    void theScreenRanksThePlantedTokenFirstForItsClass() {
        int[] candidates = java.util.stream.IntStream.range(BertStyleEncoder.UNK + 1, VOCAB).toArray();
        TokenTriggerSearch.Result result = TokenTriggerSearch.builder().optCandidatesPerClass(1).optScreenTexts(2).optSeed(3)
                .build().search(model, pool, candidates, 2);
        assertEquals(2, result.candidates().size(), "one verified token per class: " + result.candidates());
        TokenTriggerSearch.Candidate forClass0 = result.candidates().stream().filter(c -> c.target() == 0).findFirst()
                .orElseThrow();
        assertEquals(TRIGGER, forClass0.token(), "the screen's best token for class 0: " + forClass0);
        // The score is the token's mean log-probability in context: inserted into the first two pool
        // texts not already in class 0, at the columns the seed draws for them.
        Random columns = new Random(3);
        int[] predicted = Predictions.classes(model, pool, 256);
        float[] ids = new float[2 * MAX];
        int taken = 0;
        for (int i = 0; i < pool.size(); i++) {
            int position = 1 + columns.nextInt(TokenInsertion.lastPosition(pool.sample(i), 1));
            if (predicted[i] != 0 && taken < 2) {
                System.arraycopy(TokenInsertion.insert(pool.sample(i), position, TRIGGER), 0, ids, taken++ * MAX, MAX);
            }
        }
        try (NDManager m = model.getNDManager().newSubManager()) {
            float expected = model.getBlock().forward(new ParameterStore(m, false), new NDList(m.create(ids, new Shape(2, MAX))),
                    false).singletonOrThrow().logSoftmax(1).get(":, 0").mean().getFloat();
            assertEquals(expected, forClass0.screenLogProbability(), 1e-5);
        }
    }

    @Test
    void theDebuggingSetLabelsTheInsertedColumnsOfTextsOfOtherClasses() {
        DebuggingSet set = TextDebuggingSetBuilder.of(model, pool).addTrigger(new int[] {TRIGGER}, 0)
                .optPairsPerTrigger(50).optCleanOnly(20).optSeed(4).build();
        assertTrue(set.pairs().size() > 40, "most pairs fire: " + set.pairs().size());
        assertEquals(20, set.cleanOnly().size());
        List<Integer> positions = new ArrayList<>();
        for (DebuggingSet.Pair p : set.pairs()) {
            int labelled = -1;
            for (int j = 0; j < MAX; j++) {
                if (p.columns()[j]) {
                    assertEquals(-1, labelled, "one column per one-token trigger");
                    labelled = j;
                }
            }
            assertEquals(TRIGGER, p.anomalous()[labelled], 0f);
            assertFalse(p.clean()[labelled] == TRIGGER);
            positions.add(labelled);
        }
        assertTrue(positions.stream().distinct().count() > 3, "insertion columns vary: " + positions);
    }
}
