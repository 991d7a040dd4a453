package org.atpatch.djl.debugset;

/**
 * Adam on a host float array: the mask and pattern of one class are a few thousand values, so the
 * update costs nothing on the host and keeps the device graph free of optimiser state. Public so
 * other host-side searches (the examples' Trojan trigger optimisation) reuse it.
 */
public final class HostAdam {

    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final float[] m;
    private final float[] v;
    private int t;

    /**
     * @param size the number of parameters
     * @param learningRate the step size
     * @param beta1 first-moment decay
     * @param beta2 second-moment decay
     * @param epsilon denominator guard
     */
    public HostAdam(int size, double learningRate, double beta1, double beta2, double epsilon) {
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.m = new float[size];
        this.v = new float[size];
    }

    /**
     * One descent step on {@code param} with {@code grad[offset .. offset + param.length)}.
     *
     * @param param updated in place
     * @param grad gradients of several tensors side by side
     * @param offset where this tensor's gradient starts in {@code grad}
     */
    public void step(float[] param, float[] grad, int offset) {
        t++;
        double c1 = 1 - Math.pow(beta1, t);
        double c2 = 1 - Math.pow(beta2, t);
        for (int i = 0; i < param.length; i++) {
            double g = grad[offset + i];
            m[i] = (float) (beta1 * m[i] + (1 - beta1) * g);
            v[i] = (float) (beta2 * v[i] + (1 - beta2) * g * g);
            double mh = m[i] / c1;
            double vh = v[i] / c2;
            param[i] -= (float) (learningRate * mh / (Math.sqrt(vh) + epsilon));
        }
    }
}
