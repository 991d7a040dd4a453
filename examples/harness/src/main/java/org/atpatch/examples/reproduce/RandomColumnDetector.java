package org.atpatch.examples.reproduce;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.atpatch.core.TokenLayout;
import org.atpatch.detector.ColumnDetector;

/**
 * The RQ3 ablation "w/o Det": instead of the trained detector, every map gets between 1 and 3 columns
 * chosen at random (uniformly among the layout's non-special columns, the count uniform in
 * {@code 1..min(3, columns)}), with probability 1 and every other column 0, so every input is patched.
 * Batched on the device: per map, a uniform score per column, special columns scored out of reach,
 * and the {@code k} smallest scores flagged.
 */
public final class RandomColumnDetector implements ColumnDetector {

    private final boolean[] special;
    private final int choosable;

    /**
     * @param layout the victim's token layout (its special columns are never chosen)
     */
    public RandomColumnDetector(TokenLayout layout) {
        special = new boolean[layout.size()];
        int c = 0;
        for (int j = 0; j < special.length; j++) {
            special[j] = layout.isSpecial(j);
            c += special[j] ? 0 : 1;
        }
        if (c == 0) {
            throw new IllegalArgumentException("the layout has no column that may be flagged");
        }
        choosable = c;
    }

    @Override
    public NDArray detect(NDArray headAveraged, int layer) {
        long batch = headAveraged.getShape().get(0);
        int n = special.length;
        if (headAveraged.getShape().get(2) != n) {
            throw new IllegalArgumentException("maps have N = " + headAveraged.getShape().get(2) + ", the layout " + n);
        }
        NDManager m = headAveraged.getManager();
        NDArray score = m.randomUniform(0f, 1f, new Shape(batch, n), DataType.FLOAT32);
        try (NDArray specialMask = m.create(special).toType(DataType.FLOAT32, false)) {
            score = score.add(specialMask.mul(2f));
        }
        NDArray rank = score.argSort(1).argSort(1).toType(DataType.FLOAT32, false);
        int most = Math.min(3, choosable);
        NDArray k = m.randomInteger(1, most + 1, new Shape(batch, 1), DataType.INT32).toType(DataType.FLOAT32, false);
        return rank.lt(k).toType(DataType.FLOAT32, false);
    }

    @Override
    public int tokens() {
        return special.length;
    }
}
