package org.atpatch.djl.patch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import org.atpatch.core.ImagePatchLayout;
import org.atpatch.core.TokenLayout;

/**
 * Widens a sample's flagged columns to their neighbours on a ViT's patch grid: every patch within
 * {@code radius} rows and columns of a flagged patch is patched with it (a square neighbourhood, a
 * max-pool of the flags over the grid). A trigger that straddles patches draws attention to some of
 * them, and the detector flags the most over-attended; the pieces in the neighbouring patches still
 * carry it. Special columns (CLS) are never widened into. A sample with nothing flagged stays with
 * nothing flagged, so its output is untouched.
 *
 * <p>Immutable and thread-safe; runs on the flags' device.
 */
public final class FlagDilation {

    private final int radius;
    private final int rows;
    private final int cols;
    private final int first;

    private FlagDilation(int radius, ImagePatchLayout layout) {
        this.radius = radius;
        this.rows = layout.height() / layout.patch();
        this.cols = layout.patchesPerRow();
        this.first = layout.cls() ? 1 : 0;
    }

    /**
     * @param radius the neighbourhood's radius in patches, at least 1
     * @param layout the model's token layout: a ViT patch grid ({@link ImagePatchLayout})
     * @return the dilation
     * @throws IllegalArgumentException for a radius below 1, or a layout that is not a patch grid (windowed,
     *     overlapping or tabular tokens have no grid neighbours this dilation knows)
     */
    public static FlagDilation of(int radius, TokenLayout layout) {
        if (radius < 1) {
            throw new IllegalArgumentException("flag dilation radius must be >= 1, got " + radius);
        }
        if (!(layout instanceof ImagePatchLayout grid)) {
            throw new IllegalArgumentException("flag dilation needs a ViT patch grid (ImagePatchLayout); this model's"
                    + " tokens are laid out as " + (layout == null ? "nothing known" : layout.getClass().getSimpleName()));
        }
        return new FlagDilation(radius, grid);
    }

    /** @return the radius in patches */
    public int radius() {
        return radius;
    }

    /**
     * @param flagged {@code (B, N)} booleans, the columns flagged per sample
     * @return {@code (B, N)} booleans: the flagged patches and their grid neighbours within the radius;
     *     special columns as they were
     * @throws IllegalArgumentException when N is not the layout's
     */
    public NDArray apply(NDArray flagged) {
        long b = flagged.getShape().get(0);
        long n = flagged.getShape().get(1);
        if (n != first + (long) rows * cols) {
            throw new IllegalArgumentException("flags for N = " + n + ", the patch grid has " + (first + rows * cols)
                    + " columns");
        }
        NDArray mass = flagged.toType(DataType.FLOAT32, false);
        NDArray grid = mass.get(":, " + first + ":").reshape(b, 1, rows, cols);
        int k = 2 * radius + 1;
        NDArray widened = Pool.maxPool2d(grid, new Shape(k, k), new Shape(1, 1), new Shape(radius, radius), false)
                .reshape(b, (long) rows * cols);
        NDArray all = first == 0 ? widened : mass.get(":, 0:" + first).concat(widened, 1);
        return all.gt(0);
    }
}
