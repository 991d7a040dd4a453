package org.atpatch.detector;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.training.loss.Loss;

/**
 * The detector's training objective, Eq. 7: the mean binary cross-entropy over every column of every
 * map, anomalous columns weighted by {@code w}, plus λ times the {@link ContrastiveLoss} over the
 * column embeddings.
 *
 * <pre>
 *   L = 1/(B·N) Σ [ w·y·softplus(−z) + (1 − y)·softplus(z) ]  +  λ · L_contrast
 * </pre>
 *
 * with {@code z} the logits (σ(z) = p of Eq. 6); softplus keeps it stable for large logits.
 *
 * <p>As a DJL {@link Loss}: predictions are the network's {@code (logits (B, N), embeddings (B, N,
 * D))}; labels are {@code (labels (B, N))}, optionally followed by the int64 flat indices {@code (K)}
 * of the columns the contrastive term should use (all {@code B·N} when absent) and the int64 indices
 * {@code (A)}, into those K, of the columns that serve as anchors (all when absent).
 */
public final class DetectorLoss extends Loss {

    private final double positiveWeight;
    private final double lambda;
    private final ContrastiveLoss contrastive;

    /**
     * @param positiveWeight {@code w}, > 0
     * @param lambda λ, ≥ 0
     * @param contrastive the contrastive term
     */
    public DetectorLoss(double positiveWeight, double lambda, ContrastiveLoss contrastive) {
        super("detector_loss");
        if (!(positiveWeight > 0) || Double.isInfinite(positiveWeight)) {
            throw new IllegalArgumentException("positive weight must be > 0 and finite, got " + positiveWeight);
        }
        if (!(lambda >= 0) || Double.isInfinite(lambda)) {
            throw new IllegalArgumentException("λ must be >= 0 and finite, got " + lambda);
        }
        this.positiveWeight = positiveWeight;
        this.lambda = lambda;
        this.contrastive = java.util.Objects.requireNonNull(contrastive, "contrastive");
    }

    /** @return {@code w} */
    public double positiveWeight() {
        return positiveWeight;
    }

    /** @return λ */
    public double lambda() {
        return lambda;
    }

    /**
     * The two terms separately.
     *
     * @param labels see the class comment
     * @param predictions see the class comment
     * @return {@code (bce, contrastive)}, scalars; contrastive is 0 when λ = 0
     */
    public NDList terms(NDList labels, NDList predictions) {
        NDArray logits = predictions.get(0);
        NDArray y = labels.get(0).toType(DataType.FLOAT32, false);
        NDArray bce = Activation.softPlus(logits.neg()).mul(y).mul(Scalars.of(logits, positiveWeight))
                .add(Activation.softPlus(logits).mul(y.neg().add(1)))
                .mean();
        if (lambda == 0) {
            return new NDList(bce, bce.zerosLike());
        }
        NDArray emb = predictions.get(1);
        long d = emb.getShape().get(2);
        NDArray flatEmb = emb.reshape(-1, d);
        NDArray flatY = y.reshape(-1);
        if (labels.size() > 1 && labels.get(1) != null) {
            NDArray idx = labels.get(1);
            flatEmb = flatEmb.get(idx);
            flatY = flatY.get(idx);
        }
        NDArray anchors = labels.size() > 2 ? labels.get(2) : null;
        return new NDList(bce, contrastive.compute(flatEmb, flatY, anchors));
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDList t = terms(labels, predictions);
        return lambda == 0 ? t.get(0) : t.get(0).add(t.get(1).mul(Scalars.of(t.get(1), lambda)));
    }
}
