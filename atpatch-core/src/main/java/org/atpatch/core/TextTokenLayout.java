package org.atpatch.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Token layout of a text transformer: column {@code j} is the {@code j}-th token of the
 * tokenised text (a word or word piece), after the tokenizer's special tokens were added. The
 * special tokens ({@code [CLS]}, {@code [SEP]}, {@code [PAD]} by default) are never flagged by
 * default.
 *
 * <p>A text model's own layout ({@link #positions}) names positions only, since which word stands
 * in a column differs per sample; {@link #of} gives one sample's layout, word by word, for reports
 * and labelling.
 *
 * @param tokens the token of each column
 * @param special the tokens that are special
 */
public record TextTokenLayout(List<String> tokens, Set<String> special) implements TokenLayout {

    /** The classification token. */
    public static final String CLS = "[CLS]";
    /** The separator token. */
    public static final String SEP = "[SEP]";
    /** The padding token. */
    public static final String PAD = "[PAD]";
    /** The special tokens of BERT-style tokenisation. */
    public static final Set<String> BERT_SPECIAL = Set.of(CLS, SEP, PAD);

    /** Copies and validates the tokens. */
    public TextTokenLayout {
        tokens = List.copyOf(tokens);
        special = Set.copyOf(special);
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("a text layout needs at least one token");
        }
    }

    /**
     * @param tokens one sample's tokens, special ones included, padded to the model's length
     * @return its layout with BERT's special tokens
     */
    public static TextTokenLayout of(List<String> tokens) {
        return new TextTokenLayout(tokens, BERT_SPECIAL);
    }

    /**
     * The layout a text model has before any text is seen: {@code [CLS]} at column 0 (special), then
     * positions {@code #1 .. #(length-1)}. Which of those columns are {@code [SEP]} or padding differs
     * per sample; a model with this layout marks them per sample.
     *
     * @param length the model's sequence length N, at least 2
     * @return the positional layout
     */
    public static TextTokenLayout positions(int length) {
        if (length < 2) {
            throw new IllegalArgumentException("a text model needs at least 2 columns ([CLS] and one token), got " + length);
        }
        List<String> t = new ArrayList<>(length);
        t.add(CLS);
        for (int j = 1; j < length; j++) {
            t.add("#" + j);
        }
        return of(t);
    }

    @Override
    public int size() {
        return tokens.size();
    }

    @Override
    public boolean isSpecial(int column) {
        check(column);
        return special.contains(tokens.get(column));
    }

    @Override
    public String describe(int column) {
        check(column);
        return "token " + column + " '" + tokens.get(column) + "'";
    }

    private void check(int column) {
        if (column < 0 || column >= size()) {
            throw new IndexOutOfBoundsException("column " + column + " outside [0, " + size() + ")");
        }
    }
}
