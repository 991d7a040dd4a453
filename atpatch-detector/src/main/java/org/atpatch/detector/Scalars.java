package org.atpatch.detector;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Scalars for arithmetic on arrays that take part in a gradient.
 *
 * <p>DJL's PyTorch {@code NDArray.mul(Number)} and {@code div(Number)} wrap the number in a tensor
 * whose memory is a Java direct buffer, then close that wrapper at once. Autograd keeps the scalar
 * tensor for the backward pass, and when the garbage collector frees the buffer before backward runs,
 * the gradient is computed from freed memory, so identical trainings can end with different
 * parameters (docs/architecture.md, "Design decisions": memory discipline). A scalar made by
 * {@link #of} is allocated by PyTorch itself, so autograd's reference keeps it alive. Arithmetic on
 * arrays without gradients (inference, masks, labels) is not affected.
 */
final class Scalars {

    private Scalars() {}

    /**
     * @param like an array whose manager, device and type the scalar takes
     * @param value the value
     * @return a 0-dimensional float32 array in {@code like}'s manager, owned by the engine
     */
    static NDArray of(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, DataType.FLOAT32);
    }

    /** @return {@code x · value}, with the factor made by {@link #of} when {@code x} takes part in a gradient */
    static NDArray times(NDArray x, double value) {
        if (!x.hasGradient()) {
            return x.mul((float) value);
        }
        try (NDArray s = of(x, value)) {
            return x.mul(s);
        }
    }

    /** @return {@code max(x, value)} elementwise, with the bound made by {@link #of} when {@code x} takes part in a gradient */
    static NDArray atLeast(NDArray x, double value) {
        if (!x.hasGradient()) {
            return x.maximum((float) value);
        }
        try (NDArray s = of(x, value)) {
            return x.maximum(s);
        }
    }

    /** @return {@code min(x, value)} elementwise, with the bound made by {@link #of} when {@code x} takes part in a gradient */
    static NDArray atMost(NDArray x, double value) {
        if (!x.hasGradient()) {
            return x.minimum((float) value);
        }
        try (NDArray s = of(x, value)) {
            return x.minimum(s);
        }
    }
}
