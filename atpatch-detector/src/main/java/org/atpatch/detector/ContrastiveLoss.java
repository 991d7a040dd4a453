package org.atpatch.detector;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;

/**
 * The contrastive term {@code L_contrast} of Eq. 7 in supervised InfoNCE form, over column
 * embeddings {@code f_θ}.
 *
 * <p>Eq. 8 as printed sums {@code exp(s⁺) / (exp(s⁺) + S⁻)} without a {@code −log}; minimising it
 * would push positive pairs apart (docs/architecture.md, "Design decisions": contrastive loss). This
 * class minimises, for every anchor column {@code a} and every positive {@code p} of it,
 *
 * <pre>
 *   ℓ(a, p) = −log( exp(s(a,p)/T) / (exp(s(a,p)/T) + Σ_{n ∈ neg(a)} exp(s(a,n)/T)) )
 * </pre>
 *
 * with {@code s} the cosine similarity and {@code T} the temperature. Positives of {@code a} are the
 * other columns with the same label, negatives those with the other label. Each anchor's loss is the
 * mean over its positives; the result is the mean over anomalous anchors and the mean over normal
 * anchors, averaged, so that the many normal columns do not drown the few anomalous ones. Anchors
 * without a positive or without a negative contribute nothing; with no valid anchor the loss is 0.
 *
 * <p>The debugging set's pairing enters through the batch: the trainer keeps a clean map and its
 * anomalous counterpart together, so every anomalous column meets the same column of the clean map
 * as its hardest negative, and every normal column its counterpart as a positive.
 */
public final class ContrastiveLoss {

    /** The default temperature T. */
    public static final double DEFAULT_TEMPERATURE = 0.1;
    private static final float MASKED = -1e4f;

    private final double temperature;

    private ContrastiveLoss(Builder b) {
        this.temperature = b.temperature;
    }

    /** @return a builder (temperature defaults to {@value #DEFAULT_TEMPERATURE}) */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the temperature T */
    public double temperature() {
        return temperature;
    }

    /**
     * The loss for one set of column embeddings, every column an anchor.
     *
     * @param embeddings {@code (M, D)} column embeddings
     * @param labels {@code (M)} 1 for an anomalous column, 0 for a normal one, any numeric type
     * @return a scalar in the embeddings' manager, differentiable in them
     * @throws IllegalArgumentException if the shapes do not match
     */
    public NDArray compute(NDArray embeddings, NDArray labels) {
        return compute(embeddings, labels, null);
    }

    /**
     * The loss with only some columns as anchors; every column still serves as a positive or negative.
     * With {@code A} anchors the cost is {@code O(A·M)} instead of {@code O(M²)}, which is how the
     * trainer keeps large batches cheap.
     *
     * @param embeddings {@code (M, D)} column embeddings
     * @param labels {@code (M)} 1 for an anomalous column, 0 for a normal one, any numeric type
     * @param anchors {@code (A)} int64 row indices of the anchors, or {@code null} for all
     * @return a scalar in the embeddings' manager, differentiable in them
     * @throws IllegalArgumentException if the shapes do not match
     */
    public NDArray compute(NDArray embeddings, NDArray labels, NDArray anchors) {
        if (embeddings.getShape().dimension() != 2
                || labels.getShape().dimension() != 1
                || labels.getShape().get(0) != embeddings.getShape().get(0)) {
            throw new IllegalArgumentException("need embeddings (M, D) and labels (M), got "
                    + embeddings.getShape() + " and " + labels.getShape());
        }
        long m = embeddings.getShape().get(0);
        NDArray e = embeddings.normalize(2, 1, 1e-8);
        NDArray y = labels.toType(DataType.FLOAT32, false);
        NDArray ea = anchors == null ? e : e.get(anchors);
        NDArray ya = anchors == null ? y : y.get(anchors);
        long a = ea.getShape().get(0);
        // (A, M) scaled similarities; same(a, j) = 1 where the labels agree.
        NDArray s = ea.matMul(e.transpose()).mul(Scalars.of(e, 1 / temperature));
        NDArray yRow = ya.reshape(a, 1);
        NDArray yCol = y.reshape(1, m);
        NDArray same = yRow.mul(yCol).add(yRow.sub(1).mul(yCol.sub(1)));
        // An anchor is not its own positive.
        NDArray columns = e.getManager().arange(m).reshape(1, m);
        NDArray anchorIds = anchors == null ? e.getManager().arange(m).reshape(m, 1) : anchors.reshape(a, 1);
        NDArray self = anchorIds.toType(DataType.INT64, false).eq(columns.toType(DataType.INT64, false))
                .toType(DataType.FLOAT32, false);
        NDArray pos = same.sub(self);
        NDArray neg = same.neg().add(1);
        // log Σ_neg exp(s) per anchor, non-negatives masked out; ≈ MASKED when there are none.
        NDArray masked = s.add(neg.sub(1).mul(-MASKED));
        NDArray rowMax = masked.max(new int[] {1}, true).stopGradient();
        NDArray lseNeg = masked.sub(rowMax).exp().sum(new int[] {1}, true).log().add(rowMax);
        // ℓ(a, p) = −log(e^{s_ap} / (e^{s_ap} + Σ_neg e^{s_an})) = softplus(lse_neg(a) − s(a, p)).
        NDArray pairLoss = Activation.softPlus(lseNeg.sub(s)).mul(pos);
        NDArray posCount = pos.sum(new int[] {1});
        NDArray negCount = neg.sum(new int[] {1});
        NDArray valid = posCount.gt(0).logicalAnd(negCount.gt(0)).toType(DataType.FLOAT32, false);
        NDArray anchorLoss = pairLoss.sum(new int[] {1}).div(posCount.maximum(1)).mul(valid);
        // Class-balanced mean over valid anchors.
        NDArray validPos = valid.mul(ya);
        NDArray validNeg = valid.sub(validPos);
        NDArray nPos = validPos.sum();
        NDArray nNeg = validNeg.sum();
        NDArray meanPos = anchorLoss.mul(validPos).sum().div(nPos.maximum(1));
        NDArray meanNeg = anchorLoss.mul(validNeg).sum().div(nNeg.maximum(1));
        NDArray classes = nPos.gt(0).toType(DataType.FLOAT32, false).add(nNeg.gt(0).toType(DataType.FLOAT32, false));
        return meanPos.add(meanNeg).div(classes.maximum(1));
    }

    /** Builds a {@link ContrastiveLoss}. */
    public static final class Builder {
        private double temperature = DEFAULT_TEMPERATURE;

        private Builder() {}

        /**
         * @param t the temperature T, finite and > 0 (default {@value ContrastiveLoss#DEFAULT_TEMPERATURE})
         * @return this builder
         */
        public Builder optTemperature(double t) {
            this.temperature = t;
            return this;
        }

        /**
         * @return the loss
         * @throws IllegalArgumentException if the temperature is not a positive finite number
         */
        public ContrastiveLoss build() {
            if (!(temperature > 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("contrastive temperature must be > 0 and finite, got "
                        + temperature);
            }
            return new ContrastiveLoss(this);
        }
    }
}
