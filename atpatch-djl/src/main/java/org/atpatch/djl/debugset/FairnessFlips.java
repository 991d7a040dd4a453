package org.atpatch.djl.debugset;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.atpatch.core.Metrics;
import org.atpatch.djl.LabelledData;

/**
 * The protected-attribute flips of individual fairness (the paper's Eq. 4, after Themis/ADF-style
 * testing): for a sample x and each protected attribute a with value a_x, the inputs
 * {@code perturb(x, a′)} for every {@code a′ ∈ A \ {a_x}}. Attributes are flipped <em>one at a
 * time</em>: a flip changes exactly one attribute and keeps the others (and every unprotected
 * feature) as in x, so x has {@code Σ_a |A \ {a_x}|} flips and a changed prediction is pinned on one
 * attribute, whose token columns are then labelled.
 *
 * <p>{@link #joint(List, int)} generates the <em>joint</em> flips instead: every combination of the
 * attributes' values other than x's own, {@code Π_a |A_a| − 1} of them (single-attribute flips
 * included), so that its unfairness rate counts a sample whose prediction changes under any change
 * of its protected group. A joint flip that changes more than one attribute has attribute
 * {@link #JOINT}.
 *
 * <p>A sample whose value of a is not in A (a numeric attribute off its bucket values, say) is
 * flipped to every value of A. The order of a sample's flips is fixed: attributes in the order given,
 * then A's values in the order given, skipping a_x; for joint flips, the value combinations in
 * mixed-radix order (the first attribute's value changing slowest), skipping x's own. {@link #flipsOf(float[])},
 * {@link #evaluate(LabelledData, FairnessPredictor)} and {@link FairnessDebuggingSetBuilder} all use
 * it, so the unfairness rate the harness reports and the debugging set agree on what a flip is.
 *
 * <p>Immutable and thread-safe.
 */
public final class FairnessFlips {

    /** Default upper bound on the flipped rows handed to the predictor in one call. */
    public static final int DEFAULT_ROWS_PER_CALL = 65_536;

    private final List<ProtectedAttribute> attributes;
    private final int sampleSize;
    private final int rowsPerCall;
    private final boolean joint;

    /** The attribute index of a joint flip that changes more than one attribute. */
    public static final int JOINT = -1;

    private FairnessFlips(List<ProtectedAttribute> attributes, int sampleSize, int rowsPerCall, boolean joint) {
        this.attributes = attributes;
        this.sampleSize = sampleSize;
        this.rowsPerCall = rowsPerCall;
        this.joint = joint;
    }

    /**
     * @param attributes the protected attributes; at least one, distinct names and input indices
     * @param sampleSize values per sample
     * @return the flip generator
     * @throws IllegalArgumentException if an attribute is outside the sample or two collide
     */
    public static FairnessFlips of(List<ProtectedAttribute> attributes, int sampleSize) {
        Objects.requireNonNull(attributes, "attributes");
        List<ProtectedAttribute> copy = List.copyOf(attributes);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("at least one protected attribute is required");
        }
        if (sampleSize <= 0) {
            throw new IllegalArgumentException("sample size must be positive, got " + sampleSize);
        }
        Set<String> names = new HashSet<>();
        Set<Integer> indices = new HashSet<>();
        for (ProtectedAttribute a : copy) {
            a.checkAgainst(sampleSize, null);
            if (!names.add(a.name())) {
                throw new IllegalArgumentException("protected attribute '" + a.name() + "' is listed twice");
            }
            if (!indices.add(a.index())) {
                throw new IllegalArgumentException("protected attribute '" + a.name() + "' uses input index "
                        + a.index() + ", already used by another protected attribute");
            }
        }
        return new FairnessFlips(copy, sampleSize, DEFAULT_ROWS_PER_CALL, false);
    }

    /**
     * The joint flips of several attributes: every combination of their values but the sample's own.
     *
     * @param attributes the protected attributes; at least one, distinct names and input indices
     * @param sampleSize values per sample
     * @return the joint flip generator
     * @throws IllegalArgumentException as {@link #of(List, int)}, or if a sample would have more than
     *     2<sup>20</sup> joint flips
     */
    public static FairnessFlips joint(List<ProtectedAttribute> attributes, int sampleSize) {
        FairnessFlips single = of(attributes, sampleSize);
        long combinations = 1;
        for (ProtectedAttribute a : single.attributes) {
            combinations *= a.valueCount();
            if (combinations > 1 << 20) {
                throw new IllegalArgumentException("the attributes " + single.attributes.stream().map(ProtectedAttribute::name)
                        .toList() + " have more than 2^20 value combinations: too many joint flips per sample");
            }
        }
        return new FairnessFlips(single.attributes, sampleSize, DEFAULT_ROWS_PER_CALL, true);
    }

    /** @return whether this generator makes joint flips ({@link #joint(List, int)}) */
    public boolean isJoint() {
        return joint;
    }

    /**
     * @param rows the most flipped rows per predictor call (a sample's flips are never split, so a
     *     call may exceed it by less than one sample's flips)
     * @return a copy with that bound
     */
    public FairnessFlips withRowsPerCall(int rows) {
        if (rows <= 0) {
            throw new IllegalArgumentException("rows per call must be positive, got " + rows);
        }
        return new FairnessFlips(attributes, sampleSize, rows, joint);
    }

    /** @return the protected attributes, in flip order */
    public List<ProtectedAttribute> attributes() {
        return attributes;
    }

    /** @return values per sample */
    public int sampleSize() {
        return sampleSize;
    }

    /** @return the most flipped rows per predictor call */
    public int rowsPerCall() {
        return rowsPerCall;
    }

    /**
     * One flip x′ of a sample.
     *
     * @param attribute the index of the flipped attribute in {@link #attributes()}, or {@link #JOINT}
     *     for a joint flip of several
     * @param from x's value of it (NaN for {@link #JOINT})
     * @param to x′'s value of it, a member of A other than {@code from} (NaN for {@link #JOINT})
     * @param input x′
     */
    public record Flip(int attribute, float from, float to, float[] input) {}

    /**
     * Per-instance predictions before and after flipping.
     *
     * @param original f(x) per sample
     * @param flipped f(x′) per sample, for its flips in flip order
     */
    public record Evaluation(int[] original, int[][] flipped) {

        /**
         * @param i a sample
         * @return whether some flip of it changed the prediction
         */
        public boolean divergent(int i) {
            for (int p : flipped[i]) {
                if (p != original[i]) {
                    return true;
                }
            }
            return false;
        }

        /** @return the unfairness rate UF ({@link Metrics#unfairnessRate}) */
        public double unfairnessRate() {
            return Metrics.unfairnessRate(original, flipped);
        }
    }

    /**
     * @param x one sample
     * @return how many flips it has
     */
    public int count(float[] x) {
        checkSample(x);
        return count(x, 0);
    }

    private int count(float[] data, int offset) {
        if (joint) {
            int all = 1;
            boolean ownInProduct = true;
            for (ProtectedAttribute a : attributes) {
                all *= a.valueCount();
                ownInProduct &= a.indexOfValue(data[offset + a.index()]) >= 0;
            }
            return ownInProduct ? all - 1 : all;
        }
        int n = 0;
        for (ProtectedAttribute a : attributes) {
            n += a.indexOfValue(data[offset + a.index()]) >= 0 ? a.valueCount() - 1 : a.valueCount();
        }
        return n;
    }

    /**
     * @param x one sample
     * @return its flips, in flip order
     */
    public List<Flip> flipsOf(float[] x) {
        checkSample(x);
        List<Flip> out = new ArrayList<>(count(x, 0));
        if (joint) {
            int rows = count(x, 0);
            float[] buffer = new float[rows * sampleSize];
            writeJoint(x, 0, buffer, null, 0, 0);
            for (int r = 0; r < rows; r++) {
                float[] flipped = Arrays.copyOfRange(buffer, r * sampleSize, (r + 1) * sampleSize);
                int changed = JOINT;
                int changes = 0;
                for (int ai = 0; ai < attributes.size(); ai++) {
                    if (flipped[attributes.get(ai).index()] != x[attributes.get(ai).index()]) {
                        changed = ai;
                        changes++;
                    }
                }
                int idx = changes == 1 ? attributes.get(changed).index() : -1;
                out.add(changes == 1 ? new Flip(changed, x[idx], flipped[idx], flipped) : new Flip(JOINT, Float.NaN, Float.NaN, flipped));
            }
            return out;
        }
        for (int ai = 0; ai < attributes.size(); ai++) {
            ProtectedAttribute a = attributes.get(ai);
            float from = x[a.index()];
            for (int k = 0; k < a.valueCount(); k++) {
                float to = a.value(k);
                if (to != from) {
                    float[] flipped = x.clone();
                    flipped[a.index()] = to;
                    out.add(new Flip(ai, from, to, flipped));
                }
            }
        }
        return out;
    }

    /**
     * Predicts every sample and every flip of it, in few large calls: one for the samples, then the
     * flips of consecutive samples gathered into calls of about {@link #rowsPerCall()} rows.
     *
     * @param data the samples
     * @param predictor f
     * @return f(x) and f(x′) per sample
     * @throws IllegalArgumentException if the data's samples are not of this sample size
     * @throws IllegalStateException if the predictor answers with the wrong number of predictions
     */
    public Evaluation evaluate(LabelledData data, FairnessPredictor predictor) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(predictor, "predictor");
        if (data.sampleSize() != sampleSize) {
            throw new IllegalArgumentException("samples have " + data.sampleSize() + " values, the protected"
                    + " attributes were checked against " + sampleSize);
        }
        int n = data.size();
        int[] original = call(predictor, data, n);
        int[][] flipped = new int[n][];
        float[] in = data.inputs();
        int from = 0;
        while (from < n) {
            int rows = 0;
            int to = from;
            while (to < n && (rows == 0 || rows + count(in, to * sampleSize) <= rowsPerCall)) {
                rows += count(in, to * sampleSize);
                to++;
            }
            float[] x = new float[rows * sampleSize];
            int[] labels = new int[rows];
            int r = 0;
            for (int i = from; i < to; i++) {
                r = write(in, i, x, labels, data.labels()[i], r);
            }
            int[] pred = call(predictor, new LabelledData(x, labels, data.sampleShape()), rows);
            r = 0;
            for (int i = from; i < to; i++) {
                int c = count(in, i * sampleSize);
                flipped[i] = Arrays.copyOfRange(pred, r, r + c);
                r += c;
            }
            from = to;
        }
        return new Evaluation(original, flipped);
    }

    /**
     * The unfairness rate UF of a predictor on data: the fraction of samples with a flip whose
     * prediction differs from the sample's (the paper's RQ1 metric).
     *
     * @param data the samples
     * @param predictor f
     * @return UF in {@code [0, 1]}
     */
    public double unfairness(LabelledData data, FairnessPredictor predictor) {
        return evaluate(data, predictor).unfairnessRate();
    }

    /** Writes sample i's flips from row r on; returns the next free row. */
    private int write(float[] in, int i, float[] out, int[] labels, int label, int r) {
        int off = i * sampleSize;
        if (joint) {
            return writeJoint(in, off, out, labels, label, r);
        }
        for (ProtectedAttribute a : attributes) {
            float fromValue = in[off + a.index()];
            for (int k = 0; k < a.valueCount(); k++) {
                float to = a.value(k);
                if (to != fromValue) {
                    System.arraycopy(in, off, out, r * sampleSize, sampleSize);
                    out[r * sampleSize + a.index()] = to;
                    labels[r] = label;
                    r++;
                }
            }
        }
        return r;
    }

    /** Writes the joint flips of the sample at {@code off} from row r on; returns the next free row. */
    private int writeJoint(float[] in, int off, float[] out, int[] labels, int label, int r) {
        int k = attributes.size();
        int[] digit = new int[k];
        while (true) {
            boolean own = true;
            for (int a = 0; a < k; a++) {
                own &= attributes.get(a).value(digit[a]) == in[off + attributes.get(a).index()];
            }
            if (!own) {
                System.arraycopy(in, off, out, r * sampleSize, sampleSize);
                for (int a = 0; a < k; a++) {
                    out[r * sampleSize + attributes.get(a).index()] = attributes.get(a).value(digit[a]);
                }
                if (labels != null) {
                    labels[r] = label;
                }
                r++;
            }
            int a = k - 1;
            while (a >= 0 && ++digit[a] == attributes.get(a).valueCount()) {
                digit[a] = 0;
                a--;
            }
            if (a < 0) {
                return r;
            }
        }
    }

    private static int[] call(FairnessPredictor predictor, LabelledData data, int expected) {
        int[] p = predictor.predict(data);
        if (p == null || p.length != expected) {
            throw new IllegalStateException("the predictor returned " + (p == null ? "null" : p.length + " predictions")
                    + " for " + expected + " inputs");
        }
        return p;
    }

    private void checkSample(float[] x) {
        Objects.requireNonNull(x, "x");
        if (x.length != sampleSize) {
            throw new IllegalArgumentException("a sample has " + x.length + " values, expected " + sampleSize);
        }
    }

    @Override
    public String toString() {
        return "FairnessFlips" + attributes;
    }
}
