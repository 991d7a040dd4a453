package org.atpatch.examples.scenario;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.atpatch.detector.ColumnDetector;

/**
 * An upper bound for the patch rules, not a defence: flags the given columns (the real trigger's,
 * which a defender does not know) with probability 1 on every map of every input, and no other
 * column. With it, a rule's attack success rate says what the rule can do when detection is perfect,
 * and its clean accuracy what patching those columns of every clean input costs (the patch-rule
 * comparison measures the rules this way). Built on the device of each input, no host copy of the maps.
 */
public final class OracleColumnDetector implements ColumnDetector {

    private final int tokens;
    private final float[] row;

    /**
     * @param tokens N, the columns per map
     * @param columns the columns to flag, each in {@code [0, tokens)}
     * @throws IllegalArgumentException when a column is out of range or none is given
     */
    public OracleColumnDetector(int tokens, int[] columns) {
        if (columns.length == 0) {
            throw new IllegalArgumentException("no column to flag");
        }
        this.tokens = tokens;
        row = new float[tokens];
        for (int c : columns) {
            if (c < 0 || c >= tokens) {
                throw new IllegalArgumentException("column " + c + " outside [0, " + tokens + "): " + Arrays.toString(columns));
            }
            row[c] = 1f;
        }
    }

    @Override
    public NDArray detect(NDArray headAveraged, int layer) {
        Shape s = headAveraged.getShape();
        if (s.dimension() != 3 || s.get(2) != tokens) {
            throw new IllegalArgumentException("maps " + s + ", expected (batch, " + tokens + ", " + tokens + ")");
        }
        return headAveraged.getManager().create(row).reshape(1, tokens)
                .repeat(0, s.get(0));
    }

    @Override
    public int tokens() {
        return tokens;
    }
}
