package org.atpatch.djl.debugset;

import java.util.Arrays;
import org.atpatch.djl.model.BertStyleEncoder;

/**
 * Inserts tokens into one tokenised text of a {@link BertStyleEncoder}: {@code [CLS] w_1 .. w_k
 * [SEP] [PAD] ..} as float ids. The tokens go in before word {@code position} (1-based column:
 * column 1 is the first word); the words after them move right, and when the text then no longer
 * fits, the last words are dropped so that {@code [SEP]} stays the last real token.
 *
 * <p>Stateless; safe to call from several threads at once.
 */
public final class TokenInsertion {

    private TokenInsertion() {}

    /**
     * @param ids one sample's ids {@code [maxLength]}: {@code [CLS]} at column 0, one {@code [SEP]},
     *     padding after it
     * @return the column of its {@code [SEP]}
     * @throws IllegalArgumentException when column 0 is not {@code [CLS]} or there is no {@code [SEP]}
     */
    public static int separator(float[] ids) {
        if (ids.length < 2 || ids[0] != BertStyleEncoder.CLS) {
            throw new IllegalArgumentException("a tokenised text starts with [CLS] (id " + BertStyleEncoder.CLS + ")");
        }
        for (int j = 1; j < ids.length; j++) {
            if (ids[j] == BertStyleEncoder.SEP) {
                return j;
            }
        }
        throw new IllegalArgumentException("the tokenised text has no [SEP] (id " + BertStyleEncoder.SEP + ")");
    }

    /**
     * The columns where tokens can go: {@code 1 .. max} with {@code max} the {@code [SEP]} column,
     * capped so that all {@code count} tokens stay in the sequence.
     *
     * @param ids one sample's ids
     * @param count the number of tokens to insert
     * @return the largest insertion column, at least 1
     */
    public static int lastPosition(float[] ids, int count) {
        if (count < 1 || count > ids.length - 2) {
            throw new IllegalArgumentException("can insert 1 to " + (ids.length - 2) + " tokens into a sequence of "
                    + ids.length + ", asked for " + count);
        }
        return Math.min(separator(ids), ids.length - 1 - count);
    }

    /**
     * @param ids one sample's ids (not changed)
     * @param position the column the first inserted token takes, in {@code [1, lastPosition(ids, tokens.length)]}
     * @param tokens the ids to insert
     * @return the new ids, same length
     */
    public static float[] insert(float[] ids, int position, int... tokens) {
        int last = lastPosition(ids, tokens.length);
        if (position < 1 || position > last) {
            throw new IllegalArgumentException("insertion column " + position + " outside [1, " + last + "]");
        }
        int sep = separator(ids);
        float[] out = new float[ids.length];
        Arrays.fill(out, BertStyleEncoder.PAD);
        System.arraycopy(ids, 0, out, 0, position);
        for (int i = 0; i < tokens.length; i++) {
            out[position + i] = tokens[i];
        }
        int words = Math.min(sep - position, ids.length - 1 - position - tokens.length); // words kept after the insert
        System.arraycopy(ids, position, out, position + tokens.length, words);
        out[position + tokens.length + words] = BertStyleEncoder.SEP;
        return out;
    }

    /**
     * @param length the sequence length N
     * @param position the first inserted column
     * @param count how many tokens were inserted
     * @return {@code [N]}, true at the inserted columns
     */
    public static boolean[] columns(int length, int position, int count) {
        boolean[] c = new boolean[length];
        Arrays.fill(c, position, position + count, true);
        return c;
    }
}
