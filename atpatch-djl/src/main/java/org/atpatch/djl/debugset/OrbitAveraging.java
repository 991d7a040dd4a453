package org.atpatch.djl.debugset;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.Objects;
import org.atpatch.djl.LabelledData;

/**
 * A fairness repair decided from the input together with its flips: the model runs on the input's
 * whole flip orbit (the input with every combination of the protected values, its own included), in
 * one batched forward on the model's device.
 *
 * <ul>
 *   <li>Where every member of the orbit gets the same class, the prediction does not depend on the
 *       protected attributes, and the input gets the model's output for itself, bit for bit.
 *   <li>Where they disagree (a divergent orbit), the input gets the log of the class probabilities
 *       averaged over the orbit: with equal weights by default, or ({@link #weightedBy}) with each
 *       combination of protected values weighted by its share of a data set, which is the model's
 *       prediction with the protected attributes marginalised over that population. Every member of a
 *       divergent orbit gets the same output, so no change of the protected values can move it.
 * </ul>
 *
 * <p>So the unfairness rate under any single or joint flip is zero by construction, with no
 * detector to miss an orbit, and nothing is changed for inputs whose prediction no protected value
 * moves. What it changes is the prediction of the divergent inputs, to the one the model gives on
 * average over the protected values, rather than to the prediction for a neutralised token state as
 * the token-state patch does. The price is the forwards: {@link #orbitSize()} rows per input besides
 * the input's own forward (2 to 10 for one or two categorical attributes), so batch sizes should be
 * chosen with that factor in mind.
 *
 * <p>Protected values are compared and written exactly as floats; inputs are flat per sample (an
 * attribute's {@link ProtectedAttribute#index()} indexes the sample's values in row-major order).
 * Immutable and thread-safe; each call works in a sub-manager of the input's manager and returns
 * its result attached to the input's manager.
 *
 * <pre>{@code
 * OrbitAveraging repair = OrbitAveraging.of(List.of(sex, race), sampleSize);
 * NDArray logits = repair.predict(model, batch); // (B, classes)
 * }</pre>
 */
public final class OrbitAveraging {

    private final List<ProtectedAttribute> attributes;
    private final int sampleSize;
    private final boolean[] kept;
    private final float[] combinations; // (orbit, sampleSize), protected values only
    private final int orbit;
    /** Each orbit member's weight, summing to 1. */
    private final float[] weights;

    private OrbitAveraging(OrbitAveraging uniform, float[] weights) {
        this.attributes = uniform.attributes;
        this.sampleSize = uniform.sampleSize;
        this.kept = uniform.kept;
        this.combinations = uniform.combinations;
        this.orbit = uniform.orbit;
        this.weights = weights;
    }

    private OrbitAveraging(List<ProtectedAttribute> attributes, int sampleSize) {
        this.attributes = attributes;
        this.sampleSize = sampleSize;
        this.kept = new boolean[sampleSize];
        java.util.Arrays.fill(kept, true);
        int k = 1;
        for (ProtectedAttribute a : attributes) {
            kept[a.index()] = false;
            k *= a.valueCount();
        }
        this.orbit = k;
        this.combinations = new float[k * sampleSize];
        for (int c = 0; c < k; c++) {
            int rest = c;
            for (int ai = attributes.size() - 1; ai >= 0; ai--) {
                ProtectedAttribute a = attributes.get(ai);
                combinations[c * sampleSize + a.index()] = a.value(rest % a.valueCount());
                rest /= a.valueCount();
            }
        }
        this.weights = new float[k];
        java.util.Arrays.fill(weights, 1f / k);
    }

    /**
     * @param attributes the protected attributes; at least one, distinct names and input indices
     * @param sampleSize values per sample
     * @return the repair
     * @throws IllegalArgumentException if an attribute lies outside the sample or two collide
     */
    public static OrbitAveraging of(List<ProtectedAttribute> attributes, int sampleSize) {
        Objects.requireNonNull(attributes, "attributes");
        return new OrbitAveraging(FairnessFlips.of(attributes, sampleSize).attributes(), sampleSize);
    }

    /**
     * The same repair with each orbit member (a combination of protected values) weighted by the share
     * of {@code data}'s rows that hold exactly that combination; combinations no row holds get weight 0.
     *
     * @param data rows of {@code sampleSize} values, e.g. the defender's debugging split; at least one
     * @return the weighted repair
     * @throws IllegalArgumentException if {@code data} is empty, has another sample size, or a row holds a
     *     value outside an attribute's value set
     */
    public OrbitAveraging weightedBy(LabelledData data) {
        Objects.requireNonNull(data, "data");
        if (data.size() == 0 || data.sampleSize() != sampleSize) {
            throw new IllegalArgumentException("weights need a non-empty data set of " + sampleSize + " values per sample, got "
                    + data.size() + " samples of " + data.sampleSize());
        }
        double[] counts = new double[orbit];
        float[] x = data.inputs();
        for (int i = 0; i < data.size(); i++) {
            int c = 0;
            for (ProtectedAttribute a : attributes) {
                float v = x[i * sampleSize + a.index()];
                int k = a.indexOfValue(v);
                if (k < 0) {
                    throw new IllegalArgumentException("sample " + i + " holds " + v + " for " + a.name() + ", which is not one of"
                            + " its values " + java.util.Arrays.toString(a.values()));
                }
                c = c * a.valueCount() + k;
            }
            counts[c]++;
        }
        float[] w = new float[orbit];
        for (int c = 0; c < orbit; c++) {
            w[c] = (float) (counts[c] / data.size());
        }
        return new OrbitAveraging(this, w);
    }

    /** @return each orbit member's weight, in the order the first attribute's value varies slowest; a copy */
    public float[] weights() {
        return weights.clone();
    }

    /** @return the protected attributes */
    public List<ProtectedAttribute> attributes() {
        return attributes;
    }

    /** @return the members of every orbit: the product of the attributes' value counts */
    public int orbitSize() {
        return orbit;
    }

    /**
     * @param model an initialised classifier taking flat samples of {@code sampleSize} values
     * @param input {@code (B, ...)} float32 with {@code sampleSize} values per row, on the model's device
     * @return {@code (B, classes)} in the input's manager: a row's own logits where its orbit agrees,
     *     the log of the orbit's (weighted) mean class probabilities where it diverges
     * @throws IllegalArgumentException if the input does not hold {@code sampleSize} values per row
     */
    public NDArray predict(Model model, NDArray input) {
        return run(model, input, false);
    }

    /**
     * @param model an initialised classifier taking flat samples of {@code sampleSize} values
     * @param input {@code (B, ...)} with {@code sampleSize} values per row
     * @return {@code (B)} boolean in the input's manager: whether the row's orbit is divergent, the
     *     rows {@link #predict} changes
     */
    public NDArray divergent(Model model, NDArray input) {
        return run(model, input, true);
    }

    private NDArray run(Model model, NDArray input, boolean divergentOnly) {
        Objects.requireNonNull(model, "model");
        Shape shape = input.getShape();
        if (shape.dimension() == 0 || shape.get(0) == 0 || shape.size() != shape.get(0) * sampleSize) {
            throw new IllegalArgumentException("orbit averaging needs a non-empty batch of " + sampleSize
                    + " values per sample, got input " + shape);
        }
        long b = shape.get(0);
        NDManager m = input.getManager();
        try (NDManager sub = m.newSubManager()) {
            ParameterStore ps = new ParameterStore(sub, false);
            Shape rows = new Shape(orbit, b, sampleSize);
            NDArray keep = sub.create(kept).reshape(1, 1, sampleSize).broadcast(rows);
            NDArray values = sub.create(combinations, new Shape(orbit, 1, sampleSize)).toType(input.getDataType(), false)
                    .broadcast(rows);
            NDArray members = NDArrays.where(keep, input.reshape(1, b, sampleSize).broadcast(rows), values);
            Shape memberShape = new Shape(orbit * b).addAll(shape.slice(1));
            NDArray logits = model.getBlock().forward(ps, new NDList(members.reshape(memberShape)), false).singletonOrThrow();
            NDArray perMember = logits.reshape(orbit, b, -1);
            NDArray classes = perMember.argMax(2); // (orbit, B)
            NDArray divergent = classes.neq(classes.get(0).expandDims(0)).toType(DataType.FLOAT32, false)
                    .max(new int[] {0}).gt(0); // (B)
            NDArray out;
            if (divergentOnly) {
                out = divergent;
            } else {
                NDArray own = model.getBlock().forward(ps, new NDList(input), false).singletonOrThrow();
                NDArray w = sub.create(weights, new Shape(orbit, 1, 1));
                NDArray averaged = perMember.softmax(2).mul(w).sum(new int[] {0}).log(); // (B, classes)
                out = NDArrays.where(divergent.expandDims(1).broadcast(own.getShape()), averaged.toType(own.getDataType(), false),
                        own);
            }
            out.attach(m);
            return out;
        }
    }

    @Override
    public String toString() {
        return "OrbitAveraging" + attributes.stream().map(ProtectedAttribute::name).toList() + ", orbit " + orbit
                + ", weights " + java.util.Arrays.toString(weights);
    }
}
