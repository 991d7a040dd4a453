package org.atpatch.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.concurrent.atomic.AtomicInteger;
import org.atpatch.core.BenignStatistics;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.djl.patch.BenignOnDevice;
import org.atpatch.djl.patch.FlagDilation;
import org.atpatch.djl.patch.PatchRule;

/**
 * One immutable configuration of a patched model (detector, benign statistics on the device, τ,
 * patch rule, mode, flag dilation), reference-counted so a live model can swap it atomically: each call holds a
 * reference for its whole duration, and a retired state frees its device arrays (and the detector,
 * if it owns it) when its last call ends.
 */
final class PatchState {

    final ColumnDetector detector;
    final BenignOnDevice benign;
    final double tau;
    final PatchRule rule;
    final PatchMode mode;
    /** Widens the flagged columns to their grid neighbours before patching, or null for none. */
    final FlagDilation dilation;
    final NDArray eligible;
    /** {@link #eligible} on the host, for pass 1's decision ({@link PassOneReadout}). */
    final boolean[] flaggable;
    /** τ as the float the probabilities are compared with. */
    final float cut;
    /** {@link #eligible} as 1/0 floats, to mask the detector's probabilities by one multiplication. */
    final NDArray eligibleMass;
    final String modelFingerprint;
    final java.util.Map<String, String> provenance;
    private final NDManager manager;
    private final AutoCloseable ownedDetector;
    private final AtomicInteger refs = new AtomicInteger(1); // the owner's reference

    PatchState(ColumnDetector detector, boolean ownsDetector, BenignStatistics stats, double tau, PatchRule rule,
            PatchMode mode, FlagDilation dilation, boolean[] flaggable, NDManager parent, String modelFingerprint,
            java.util.Map<String, String> provenance) {
        this.detector = detector;
        this.tau = tau;
        this.rule = rule;
        this.mode = mode;
        this.dilation = dilation;
        this.modelFingerprint = modelFingerprint;
        this.provenance = java.util.Map.copyOf(provenance);
        this.manager = parent; // owned: closed with the state
        this.flaggable = flaggable.clone();
        this.cut = (float) tau;
        this.eligible = manager.create(flaggable);
        this.eligibleMass = eligible.toType(DataType.FLOAT32, false);
        this.benign = new BenignOnDevice(stats, manager, manager.getDevice());
        this.ownedDetector = ownsDetector && detector instanceof AutoCloseable c ? c : null;
    }

    /** @return the flag dilation's radius, 0 without one */
    int dilationRadius() {
        return dilation == null ? 0 : dilation.radius();
    }

    /**
     * @param union {@code (B, N)} flagged columns per sample
     * @return them widened by the dilation, restricted to the eligible columns; unchanged without one
     */
    NDArray dilate(NDArray union) {
        return dilation == null ? union : dilation.apply(union).logicalAnd(eligible);
    }

    /** @return whether a reference was taken; false once the state is fully released */
    boolean tryAcquire() {
        while (true) {
            int c = refs.get();
            if (c <= 0) {
                return false;
            }
            if (refs.compareAndSet(c, c + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference; the last one frees the state's resources. */
    void release() {
        if (refs.decrementAndGet() == 0) {
            manager.close();
            if (ownedDetector != null) {
                try {
                    ownedDetector.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing the retired detector failed", e);
                }
            }
        }
    }
}
