package org.atpatch.core;

/**
 * What each token column of a model's attention maps stands for: the input region (image patch) or
 * feature it was made from, and which columns are special (such as CLS) and so never flagged unless
 * a user asks. Each model family exposes one; labelling and patch reports use it.
 */
public interface TokenLayout {

    /** @return N, the number of token columns */
    int size();

    /**
     * @param column a column in {@code [0, size())}
     * @return whether the column is a special token (CLS, separator) rather than an input token
     */
    boolean isSpecial(int column);

    /**
     * @param column a column in {@code [0, size())}
     * @return a short human-readable description, e.g. {@code "patch r2 c5 (rows 8-11, cols 20-23)"}
     */
    String describe(int column);

    /**
     * The columns a detector may flag by default: every non-special column.
     *
     * @return {@code [size()]}, true where the column may be flagged
     */
    default boolean[] flaggable() {
        boolean[] f = new boolean[size()];
        for (int j = 0; j < f.length; j++) {
            f[j] = !isSpecial(j);
        }
        return f;
    }
}
