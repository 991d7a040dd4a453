package org.atpatch.djl.debugset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.PatchDecision;

/**
 * A patch decision for fairness that does not depend on the protected attributes: the same for an
 * input and for every flip of it, on one attribute or on several at once.
 *
 * <ul>
 *   <li><b>The flag.</b> Pass 1 detects on the <em>canonical view</em> of the input: every protected
 *       attribute set to its canonical value (the first value of its A). An input and all of its
 *       flips share one canonical view, hence one set of flags.
 *   <li><b>The columns.</b> A sample with any flagged column gets the token columns of <em>every</em>
 *       protected attribute patched (the protected group), besides the columns flagged.
 * </ul>
 *
 * <p>So an input and its flips are either all left alone (each gets the unpatched model's output
 * for its own input, bit for bit) or all patched on the same columns; with a token-state rule, which
 * replaces the patched tokens' states by their clean means, the patched prediction no longer sees
 * the protected values at all. What remains of the unfairness is the orbits the detector misses.
 *
 * <p>The detector should be trained on what it will see: {@link #canonicalise(DebuggingSet)} maps a
 * fairness debugging set to canonical views (a divergent input's view is the view of its whole flip
 * orbit; a clean input's, of an orbit without divergence).
 *
 * <p>Inputs are flat per sample: an attribute's {@link ProtectedAttribute#index()} indexes the
 * sample's values in row-major order. Immutable and thread-safe; the masks are created per call in
 * the input's manager, on its device.
 *
 * <pre>{@code
 * FlipInvariantDecision decision = FlipInvariantDecision.of(List.of(sex, race), test.sampleSize(), layout.size());
 * PatchBundle bundle = AtPatch.builder().setModel(model).build().trainBundle(decision.canonicalise(debugSet));
 * NDArray logits = patched.predict(batch, decision);
 * }</pre>
 */
public final class FlipInvariantDecision implements PatchDecision {

    private final List<ProtectedAttribute> attributes;
    private final int sampleSize;
    private final boolean[] kept;
    private final float[] canonical;
    private final boolean[] group;

    private FlipInvariantDecision(List<ProtectedAttribute> attributes, int sampleSize, int tokens) {
        this.attributes = attributes;
        this.sampleSize = sampleSize;
        this.kept = new boolean[sampleSize];
        this.canonical = new float[sampleSize];
        this.group = new boolean[tokens];
        java.util.Arrays.fill(kept, true);
        for (ProtectedAttribute a : attributes) {
            kept[a.index()] = false;
            canonical[a.index()] = a.value(0);
            for (int c : a.columns()) {
                group[c] = true;
            }
        }
    }

    /**
     * @param attributes the protected attributes; at least one, distinct names and input indices
     * @param sampleSize values per sample
     * @param tokens N, the token count of the model's maps
     * @return the decision
     * @throws IllegalArgumentException if an attribute lies outside the sample or the tokens, or two collide
     */
    public static FlipInvariantDecision of(List<ProtectedAttribute> attributes, int sampleSize, int tokens) {
        List<ProtectedAttribute> checked = FairnessFlips.of(attributes, sampleSize).attributes();
        if (tokens <= 0) {
            throw new IllegalArgumentException("token count must be positive, got " + tokens);
        }
        for (ProtectedAttribute a : checked) {
            a.checkColumns(tokens);
        }
        return new FlipInvariantDecision(checked, sampleSize, tokens);
    }

    /** @return the protected attributes */
    public List<ProtectedAttribute> attributes() {
        return attributes;
    }

    /** @return {@code [N]}, true at the columns of every protected attribute */
    public boolean[] groupColumns() {
        return group.clone();
    }

    /**
     * @param x one sample
     * @return a copy with every protected attribute at its canonical value
     */
    public float[] canonical(float[] x) {
        Objects.requireNonNull(x, "x");
        if (x.length != sampleSize) {
            throw new IllegalArgumentException("a sample has " + x.length + " values, expected " + sampleSize);
        }
        float[] out = x.clone();
        for (ProtectedAttribute a : attributes) {
            out[a.index()] = canonical[a.index()];
        }
        return out;
    }

    /**
     * The same debugging set seen as the detector sees it online: every input (both sides of each pair
     * and every clean-only input) replaced by its canonical view, labels and provenance kept.
     *
     * @param set a fairness debugging set for samples of this size and N
     * @return the canonical set
     */
    public DebuggingSet canonicalise(DebuggingSet set) {
        Objects.requireNonNull(set, "set");
        if (set.kind() != DebuggingSet.Kind.FAIRNESS) {
            throw new IllegalArgumentException("only a fairness debugging set can be canonicalised, got " + set.kind());
        }
        if (set.tokens() != group.length) {
            throw new IllegalArgumentException("the debugging set is for N = " + set.tokens() + ", the decision for N = "
                    + group.length);
        }
        DebuggingSet.Builder b = DebuggingSet.builder(set.kind(), set.sampleShape(), set.tokens());
        for (DebuggingSet.Pair p : set.pairs()) {
            b.addPair(canonical(p.clean()), canonical(p.anomalous()), p.columns());
        }
        for (float[] c : set.cleanOnly()) {
            b.addClean(canonical(c));
        }
        for (Map.Entry<String, String> e : set.provenance().entrySet()) {
            b.optProvenance(e.getKey(), e.getValue());
        }
        b.optProvenance("decision.canonical", attributes.stream().map(a -> a.name() + "=" + a.value(0)).toList().toString());
        return b.build();
    }

    /**
     * @param input {@code (B, ...)} with {@code sampleSize} values per row
     * @return the canonical view, same shape: protected values replaced, every other value as given
     */
    @Override
    public NDArray decisionInput(NDArray input) {
        Shape shape = input.getShape();
        if (shape.dimension() == 0 || shape.size() != shape.get(0) * sampleSize) {
            throw new IllegalArgumentException("the decision needs " + sampleSize + " values per sample, got input " + shape);
        }
        NDManager m = input.getManager();
        Shape rows = new Shape(shape.get(0), sampleSize);
        NDArray keep = m.create(kept).broadcast(rows);
        NDArray values = m.create(canonical).toType(input.getDataType(), false).broadcast(rows);
        return NDArrays.where(keep, input.reshape(rows), values).reshape(shape);
    }

    /**
     * @param flagged {@code (B, N)} boolean
     * @return the flagged columns, and the whole protected group in every row with a flagged column
     */
    @Override
    public NDArray patchColumns(NDArray flagged) {
        Shape shape = flagged.getShape();
        if (shape.dimension() != 2 || shape.get(1) != group.length) {
            throw new IllegalArgumentException("flagged columns must be (B, " + group.length + "), got " + shape);
        }
        NDArray any = flagged.toType(DataType.FLOAT32, false).max(new int[] {1}, true).gt(0); // (B, 1)
        return flagged.logicalOr(any.logicalAnd(flagged.getManager().create(group)));
    }

    @Override
    public String toString() {
        return "FlipInvariantDecision" + attributes.stream().map(ProtectedAttribute::name).toList();
    }
}
