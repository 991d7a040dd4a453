package org.atpatch.core;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Γ, the hot patch of Eq. 11, in its reference (host, ND4J) form. The device-native version in
 * {@code atpatch-djl} is held to this one by tests.
 *
 * <p>For row {@code i} of one head's map {@code A}, the anomalous columns {@code K} of that sample
 * and the benign attention {@code Q} of the same layer and head (docs/architecture.md, "Design
 * decisions": degenerate rows):
 *
 * <ul>
 *   <li>{@code B[i,k] = Q[i,k]} for {@code k ∈ K};
 *   <li>{@code B[i,j] = A[i,j] · (1 − Σ_K Q[i,·]) / (Σ_{j∉K} A[i,j] + ε)} for {@code j ∉ K};
 *   <li>a <em>degenerate</em> row, whose mass outside {@code K} is below {@link #degenerateFloor()},
 *       gives the remaining mass {@code 1 − Σ_K Q[i,·]} to the columns outside {@code K} in
 *       proportion to {@code Q}'s own row (uniformly if that row is zero there too).
 * </ul>
 *
 * <p>The remaining mass is measured as {@code Σ_{j∉K} A[i,j]} rather than the paper's {@code 1 −
 * Σ_K A[i,k]}: the two agree for rows that sum to one, and the former stays accurate in float when
 * almost all mass is on {@code K}. Samples with no flagged column are returned bit for bit. No
 * input makes the output NaN or infinite.
 */
public final class HotPatch {

    /** Default ε of the rescaling denominator. */
    public static final double DEFAULT_EPSILON = 1e-8;

    /** Default floor below which a row's mass outside K counts as degenerate. */
    public static final double DEFAULT_DEGENERATE_FLOOR = 1e-3;

    private final double epsilon;
    private final double degenerateFloor;

    /**
     * Creates Γ with the given constants.
     *
     * @param epsilon ε added to the rescaling denominator, {@code 0 ≤ ε < floor}
     * @param degenerateFloor rows whose mass outside K is below this use the degenerate rule, in
     *     {@code (0, 1)}
     */
    public HotPatch(double epsilon, double degenerateFloor) {
        if (!(degenerateFloor > 0 && degenerateFloor < 1)) {
            throw new IllegalArgumentException(
                    "degenerate floor must lie in (0, 1), got " + degenerateFloor);
        }
        if (!(epsilon >= 0 && epsilon < degenerateFloor)) {
            throw new IllegalArgumentException(
                    "ε must lie in [0, degenerate floor " + degenerateFloor + "), got " + epsilon);
        }
        this.epsilon = epsilon;
        this.degenerateFloor = degenerateFloor;
    }

    /** Γ with {@link #DEFAULT_EPSILON} and {@link #DEFAULT_DEGENERATE_FLOOR}. */
    public HotPatch() {
        this(DEFAULT_EPSILON, DEFAULT_DEGENERATE_FLOOR);
    }

    /** @return ε */
    public double epsilon() {
        return epsilon;
    }

    /** @return the degenerate-row floor */
    public double degenerateFloor() {
        return degenerateFloor;
    }

    /**
     * Applies Γ to one layer's maps.
     *
     * @param maps {@code (batch, heads, N, N)}, finite; not modified
     * @param q the benign attention of this layer, {@code (heads, N, N)}
     * @param flagged {@code [batch][N]}: the anomalous columns of each sample
     * @return a new array of the same shape; samples with nothing flagged equal the input bit for bit
     * @throws IllegalArgumentException on mismatched shapes or non-finite values
     */
    public INDArray apply(INDArray maps, INDArray q, boolean[][] flagged) {
        LayerAttention.requireMapShape("attention maps", maps);
        long b = maps.size(0);
        long h = maps.size(1);
        long n = maps.size(2);
        if (q.rank() != 3 || q.size(0) != h || q.size(1) != n || q.size(2) != n) {
            throw new IllegalArgumentException(
                    "Q must be shaped (heads, N, N) = (" + h + ", " + n + ", " + n + "), got "
                            + Arrays.toString(q.shape()));
        }
        if (flagged.length != b) {
            throw new IllegalArgumentException(
                    "flagged columns given for " + flagged.length + " samples, maps have " + b);
        }
        Checks.requireFinite("attention maps", maps);
        Checks.requireFinite("Q", q);
        INDArray out = maps.dup();
        for (int s = 0; s < b; s++) {
            if (flagged[s].length != n) {
                throw new IllegalArgumentException(
                        "sample " + s + " flags " + flagged[s].length + " columns, maps have N = " + n);
            }
            boolean any = false;
            for (boolean f : flagged[s]) {
                any |= f;
            }
            if (!any) {
                continue; // untouched: same bits as the input
            }
            INDArray k = mask(flagged[s], maps.dataType()); // (N)
            INDArray notK = k.rsub(1.0);
            for (int head = 0; head < h; head++) {
                INDArray a = maps.slice(s).slice(head); // (N, N)
                INDArray qh = q.slice(head); // (N, N)
                out.slice(s).slice(head).assign(patchHead(a, qh, k, notK));
            }
        }
        return out;
    }

    /** Γ on one head's map; {@code k} and {@code notK} are 0/1 row vectors of length N. */
    private INDArray patchHead(INDArray a, INDArray q, INDArray k, INDArray notK) {
        long n = a.size(0);
        INDArray qOnK = q.mulRowVector(k); // Q restricted to K
        INDArray aOutsideK = a.mulRowVector(notK);
        INDArray qOutsideK = q.mulRowVector(notK);
        INDArray result = Nd4j.createUninitialized(a.dataType(), n, n);
        for (int i = 0; i < n; i++) {
            double rest = aOutsideK.getRow(i).sumNumber().doubleValue();
            double freed = 1.0 - qOnK.getRow(i).sumNumber().doubleValue();
            INDArray row;
            if (rest >= degenerateFloor) {
                row = aOutsideK.getRow(i).mul(freed / (rest + epsilon));
            } else {
                double qRest = qOutsideK.getRow(i).sumNumber().doubleValue();
                if (qRest > 0) {
                    row = qOutsideK.getRow(i).mul(freed / qRest);
                } else {
                    double outside = notK.sumNumber().doubleValue();
                    row = outside > 0 ? notK.mul(Math.max(freed, 0) / outside) : notK.mul(0.0);
                }
            }
            result.putRow(i, row.add(qOnK.getRow(i)));
        }
        return result;
    }

    private static INDArray mask(boolean[] columns, org.nd4j.linalg.api.buffer.DataType type) {
        double[] m = new double[columns.length];
        for (int j = 0; j < m.length; j++) {
            m[j] = columns[j] ? 1.0 : 0.0;
        }
        return Nd4j.createFromArray(m).castTo(type);
    }
}
