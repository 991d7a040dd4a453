package org.atpatch.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.Shape;
import org.atpatch.core.HotPatch;
import org.atpatch.djl.BenignOnDevice;
import org.atpatch.djl.DeviceHotPatch;
import org.atpatch.djl.PatchRule;

/**
 * A prototype of a cheaper device Γ, for the benchmark's breakdown (not a shipped rule). It computes
 * what {@link DeviceHotPatch} computes, but with three passes over the {@code (B, H, N, N)} map
 * instead of about seventeen:
 *
 * <ul>
 *   <li>per-row sums over the columns outside K by one batched mat-vec, {@code A · (1 − m)};
 *   <li>per-row {@code Σ_K Q} by one small GEMM, {@code Q(H·N, N) · mᵀ(N, B)};
 *   <li>{@code out = where(m, Q, A · α)} with the per-row scale {@code α = (1 − Σ_K Q) / (Σ_{∉K} A + ε)},
 *       and {@code α = 1} exactly for samples with no flagged column (so they keep their bits).
 * </ul>
 *
 * Rows whose mass outside K falls below the degenerate floor are rare; when a batch has any, the
 * whole layer falls back to {@link DeviceHotPatch} (one scalar host read per layer decides).
 */
final class LeanGamma implements PatchRule {

    private final double epsilon = HotPatch.DEFAULT_EPSILON;
    private final double floor = HotPatch.DEFAULT_DEGENERATE_FLOOR;
    private final DeviceHotPatch fallback = new DeviceHotPatch();

    @Override
    public String name() {
        return "gamma-lean";
    }

    @Override
    public NDArray patchAttention(int layer, NDArray a, NDArray flagged, BenignOnDevice benign) {
        Shape s = a.getShape();
        long b = s.get(0);
        long h = s.get(1);
        long n = s.get(2);
        NDArray q = benign.q(layer);
        NDArray m = flagged.toType(a.getDataType(), false); // (B, N)
        NDArray rest = a.matMul(m.neg().add(1).reshape(b, 1, n, 1)); // (B, H, N, 1): Σ_{j∉K} A_ij
        if (rest.lt(floor).any().getBoolean()) {
            return fallback.apply(a, q, flagged, layer);
        }
        // Views of the shared Q, attached to the batch so their handles are freed with it.
        NDArray q2 = q.reshape(h * n, n);
        q2.attach(a.getManager());
        NDArray qFull = q.broadcast(s);
        qFull.attach(a.getManager());
        NDArray qOnK = q2.matMul(m.transpose()).reshape(h, n, b).transpose(2, 0, 1).expandDims(3); // (B, H, N, 1)
        NDArray alpha = qOnK.neg().add(1).div(rest.add(epsilon));
        NDArray sampleFlagged = m.max(new int[] {1}, true).gt(0).reshape(b, 1, 1, 1);
        alpha = NDArrays.where(sampleFlagged.broadcast(alpha.getShape()), alpha, alpha.onesLike());
        NDArray onK = flagged.reshape(b, 1, 1, n).broadcast(s);
        return NDArrays.where(onK, qFull, a.mul(alpha));
    }
}
