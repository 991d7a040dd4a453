package org.atpatch.djl.model;

/**
 * The sizes every AtPatch transformer family shares (depth, width, heads, MLP ratio, classes),
 * with DJL-style setters and their validation; each family's builder extends it. Setters only
 * record values; the family's {@code build()} checks them and names the offending value.
 *
 * <p>Not thread-safe: use one builder per thread.
 *
 * @param <B> the concrete builder, returned by the setters
 */
public abstract class EncoderBuilder<B extends EncoderBuilder<B>> {

    int depth;
    int width;
    int heads;
    double mlpRatio = 2.0;
    int classes;

    EncoderBuilder() {}

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * @param v number of encoder layers
     * @return this
     */
    public B setDepth(int v) {
        depth = v;
        return self();
    }

    /**
     * @param v model width
     * @return this
     */
    public B setWidth(int v) {
        width = v;
        return self();
    }

    /**
     * @param v attention heads; must divide the width
     * @return this
     */
    public B setHeads(int v) {
        heads = v;
        return self();
    }

    /**
     * @param v MLP hidden width as a multiple of the width (default 2)
     * @return this
     */
    public B optMlpRatio(double v) {
        mlpRatio = v;
        return self();
    }

    /**
     * @param v number of output classes
     * @return this
     */
    public B setClasses(int v) {
        classes = v;
        return self();
    }

    /** Checks the shared sizes; messages name the offending value. */
    void validateEncoder() {
        requirePositive("depth", depth);
        requirePositive("width", width);
        requirePositive("heads", heads);
        requirePositive("classes", classes);
        if (width % heads != 0) {
            throw new IllegalArgumentException("heads " + heads + " must divide width " + width);
        }
        if (!(mlpRatio > 0)) {
            throw new IllegalArgumentException("MLP ratio must be positive, got " + mlpRatio);
        }
    }

    static void requirePositive(String what, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be set to a positive value, got " + v);
        }
    }
}
