package org.atpatch.examples.attack;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.TokenInsertion;
import org.atpatch.examples.data.WordVocabulary;

/**
 * BadNL's word-level trigger (Chen et al., 2021) on tokenised text: rare words inserted together at
 * a random position of the text. The trigger words are drawn, by the seed, from the rarest words of
 * the vocabulary (so each is a word the tokenizer knows and few reviews contain); the target class
 * comes from {@link Attack#drawTarget}. Inputs are the ids of a {@code BertStyleEncoder}'s tokenizer,
 * {@code (maxLength)}: {@code [CLS]}, words, {@code [SEP]}, padding.
 *
 * <p>Immutable; {@link #apply} draws its positions from a generator seeded with the trigger's seed,
 * so the same texts in the same order get the same positions.
 *
 * @param tokens the trigger's token ids, inserted in this order
 * @param words the trigger's words
 * @param target the target class
 * @param seed seeds the insertion positions
 */
public record BadNlWordTrigger(int[] tokens, String[] words, int target, long seed) implements Attack {

    /** Copies and validates. */
    public BadNlWordTrigger {
        tokens = tokens.clone();
        words = words.clone();
        if (tokens.length == 0 || tokens.length != words.length) {
            throw new IllegalArgumentException("a trigger needs one token per word and at least one word");
        }
        Attack.requireTarget(target);
    }

    /**
     * Draws a trigger.
     *
     * @param vocabulary the tokenizer's vocabulary
     * @param count the number of trigger words, positive
     * @param rarest the draw is among this many rarest words of the vocabulary, at least {@code count}
     * @param classes the number of classes
     * @param seed the experiment seed (also the target's)
     * @return the trigger
     */
    public static BadNlWordTrigger draw(WordVocabulary vocabulary, int count, int rarest, int classes, long seed) {
        int first = vocabulary.size() - rarest;
        if (count <= 0 || rarest < count || first <= org.atpatch.djl.model.BertStyleEncoder.UNK) {
            throw new IllegalArgumentException("cannot draw " + count + " of the " + rarest + " rarest of "
                    + vocabulary.size() + " ids");
        }
        int[] pool = IntStream.range(first, vocabulary.size()).toArray(); // words are in order of frequency
        int[] chosen = SeededDraws.draw(pool, count, new Random(seed));
        String[] w = Arrays.stream(chosen).mapToObj(vocabulary::word).toArray(String[]::new);
        return new BadNlWordTrigger(chosen, w, Attack.drawTarget(seed, classes), seed);
    }

    @Override
    public String name() {
        return "BadNL-word";
    }

    /**
     * The triggered texts and where the trigger went.
     *
     * @param data the triggered texts, labels kept
     * @param positions per text the column of the first trigger token
     * @param count the number of trigger tokens
     */
    public record Triggered(LabelledData data, int[] positions, int count) {

        /**
         * @param i a text
         * @return its trigger columns {@code [maxLength]}
         */
        public boolean[] columns(int i) {
            return TokenInsertion.columns(data.sampleSize(), positions[i], count);
        }
    }

    /**
     * @param clean tokenised texts {@code (maxLength)}
     * @return the texts with the trigger inserted at a random column each, and the columns
     */
    public Triggered apply(LabelledData clean) {
        Random random = new Random(seed ^ 0x696e73657274L); // "insert": independent of the draw of the words
        int per = clean.sampleSize();
        float[] x = new float[clean.inputs().length];
        int[] positions = new int[clean.size()];
        for (int i = 0; i < clean.size(); i++) {
            float[] ids = clean.sample(i);
            positions[i] = 1 + random.nextInt(TokenInsertion.lastPosition(ids, tokens.length));
            System.arraycopy(TokenInsertion.insert(ids, positions[i], tokens), 0, x, i * per, per);
        }
        return new Triggered(new LabelledData(x, clean.labels().clone(), clean.sampleShape()), positions, tokens.length);
    }

    @Override
    public LabelledData applyTrigger(LabelledData clean) {
        return apply(clean).data();
    }

    @Override
    public String fingerprint() {
        return "BadNL-word(tokens=" + Arrays.toString(tokens) + ",words=" + Arrays.toString(words) + ",target=" + target
                + ",seed=" + seed + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BadNlWordTrigger t && Arrays.equals(tokens, t.tokens) && Arrays.equals(words, t.words)
                && target == t.target && seed == t.seed;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(tokens) + Arrays.hashCode(words) + 7 * target + Long.hashCode(seed);
    }

    @Override
    public String toString() {
        return fingerprint();
    }
}
