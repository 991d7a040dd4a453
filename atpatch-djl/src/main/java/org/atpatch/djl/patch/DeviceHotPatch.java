package org.atpatch.djl.patch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.atpatch.core.HotPatch;
import org.atpatch.djl.PatchedModel;

/**
 * Γ of Eq. 11 with NDArray ops on the maps' own device, batched with per-sample column masks. It
 * computes exactly what {@link HotPatch}, the host reference, defines (tests hold the two within
 * 1e-6): flagged columns take Q's values, the other columns are rescaled to the freed mass, and
 * degenerate rows fall back to Q's proportions. Samples with no flagged column come back bit for bit.
 */
public final class DeviceHotPatch {

    private static final double TINY = 1e-30;

    private final double epsilon;
    private final double floor;

    /**
     * @param reference the reference Γ whose ε and degenerate floor to use
     */
    public DeviceHotPatch(HotPatch reference) {
        this.epsilon = reference.epsilon();
        this.floor = reference.degenerateFloor();
    }

    /** Γ with the reference defaults. */
    public DeviceHotPatch() {
        this(new HotPatch());
    }

    /**
     * Applies Γ.
     *
     * @param maps {@code (batch, heads, N, N)}
     * @param q the benign attention of the same layer, {@code (heads, N, N)}, or null to drop the
     *     flagged columns and renormalise (Q := 0)
     * @param flagged {@code (batch, N)} boolean: each sample's anomalous columns
     * @param layer the layer, for messages
     * @return the patched maps, in the maps' manager
     */
    public NDArray apply(NDArray maps, NDArray q, NDArray flagged, int layer) {
        Shape s = maps.getShape();
        check(s, q, flagged, layer);
        NDArray mFlat = flagged.toType(maps.getDataType(), false); // (B, N)
        NDArray rest = restMass(maps, mFlat, s);
        if (!rest.lt(floor).any().getBoolean()) {
            return regularRows(maps, q, flagged, mFlat, rest, s);
        }
        return withDegenerateRows(maps, q, flagged, s);
    }

    /**
     * Γ written into {@code maps} itself where the batch allows it: every row is rescaled in place and
     * Q's values are written into the flagged columns only, so no map-sized array is allocated (the
     * out-of-place form allocates two per layer, which on CPU dominates Γ's cost; measured:
     * docs/performance.md). A batch with a degenerate row gets {@link #apply}'s result as a
     * new array; {@code maps} is then left with its flagged columns zeroed. Only for a caller that
     * owns the map: nothing else may hold it, and no gradient may be recorded through it ({@link
     * PatchedModel}'s re-run checks both).
     *
     * @param maps {@code (batch, heads, N, N)}, overwritten
     * @param q the benign attention of the same layer, {@code (heads, N, N)}, or null to drop the
     *     flagged columns and renormalise (Q := 0)
     * @param flagged {@code (batch, N)} boolean: each sample's anomalous columns
     * @param layer the layer, for messages
     * @return {@code maps}, patched; or a new array for a batch with degenerate rows
     */
    public NDArray applyInPlace(NDArray maps, NDArray q, NDArray flagged, int layer) {
        Shape s = maps.getShape();
        check(s, q, flagged, layer);
        NDArray mFlat = flagged.toType(maps.getDataType(), false); // (B, N)
        NDArray rest = zeroKAndSumRest(maps, mFlat.neg().add(1).reshape(s.get(0), 1, 1, s.get(2)));
        // One host read: whether a row is degenerate, and the most and fewest columns a sample flags.
        NDArray counts = mFlat.sum(new int[] {1});
        float[] host = NDArrays.stack(new NDList(rest.lt(floor).any().toType(DataType.FLOAT32, false), counts.max(),
                counts.min())).toFloatArray();
        if (host[0] > 0) {
            return withDegenerateRows(maps, q, flagged, s);
        }
        int most = Math.round(host[1]);
        int fewest = Math.round(host[2]);
        if (most == 0) {
            return maps;
        }
        maps.muli(alpha(maps, q, mFlat, rest, s, fewest > 0));
        if (q == null) {
            return maps; // Q := 0: the flagged columns are already zero
        }
        // Each sample's flagged columns first (argsort of the 0/1 mask), `most` of them.
        NDArray columns = mFlat.argSort(1, false).get(new NDIndex(":, :{}", most)); // (B, k)
        NDArray onK = null;
        if (fewest < most) {
            onK = mFlat.gather(columns, 1).gt(0); // which of the k picked columns are flagged
            if (fewest > 0) {
                columns = padded(columns, onK);
                onK = null;
            }
        }
        writeQ(maps, q, columns, onK);
        return maps;
    }

    /**
     * Γ's per-call work for columns that stay the same at every layer, as in a two-pass re-run, done
     * once for all layers instead of at every layer of {@link #applyInPlace}: the mask, each sample's
     * flagged columns and the write index, and from Q of every layer at once (one GEMM and one
     * indexed read) the freed mass {@code 1 − Σ_K Q} and the values written into K, both laid out
     * contiguously per layer. One host read. Only for batches in which every sample flags a column, as
     * every sample of a re-run does.
     *
     * @param flagged {@code (batch, N)} boolean: each sample's anomalous columns
     * @param q Q of every layer stacked, {@code (layers, heads, N, N)} ({@link BenignOnDevice#qStacked}),
     *     or null to drop the flagged columns and renormalise (Q := 0)
     * @return Γ in place for these columns, or null when some sample flags no column (then use
     *     {@link #applyInPlace})
     */
    public Prepared prepare(NDArray flagged, NDArray q) {
        if (flagged.getShape().dimension() != 2) {
            throw new IllegalArgumentException("flagged columns must be (batch, N), got " + flagged.getShape());
        }
        long b = flagged.getShape().get(0);
        long n = flagged.getShape().get(1);
        if (q != null && (q.getShape().dimension() != 4 || q.getShape().get(2) != n || q.getShape().get(3) != n)) {
            throw new IllegalArgumentException("Q of every layer must be (layers, heads, " + n + ", " + n
                    + ") for flagged columns of N = " + n + ", got " + q.getShape());
        }
        NDManager manager = flagged.getManager();
        NDArray mFlat = flagged.toType(DataType.FLOAT32, false);
        NDArray counts = mFlat.sum(new int[] {1});
        float[] host = NDArrays.stack(new NDList(counts.max(), counts.min())).toFloatArray();
        int most = Math.round(host[0]);
        int fewest = Math.round(host[1]);
        if (fewest == 0) {
            return null;
        }
        NDArray notM = mFlat.neg().add(1).reshape(b, 1, 1, n);
        NDIndex at = null; // with Q := 0 nothing is written: the flagged columns are left zero
        NDList freed = null; // per layer (B, H, N, 1)
        NDList values = null; // per layer (B, k, H, N)
        if (q != null) {
            NDArray columns = mFlat.argSort(1, false).get(new NDIndex(":, :{}", most)); // (B, k)
            if (fewest < most) {
                columns = padded(columns, mFlat.gather(columns, 1).gt(0));
            }
            // [b, :, :, columns[b, j]] selects (B, k, H, N): the values are laid out that way, so a
            // layer's write takes its part as it is.
            at = new NDIndex("{}, :, :, {}", manager.arange(0L, b, 1L, DataType.INT64).reshape(b, 1), columns);
            long layers = q.getShape().get(0);
            long heads = q.getShape().get(1);
            NDArray q2 = q.reshape(layers * heads * n, n);
            q2.attach(manager);
            // Σ_K Q per (layer, head, row, sample) by one GEMM: Q (L·H·N, N) · mᵀ (N, B); then copied
            // to (L·B, H, N, 1) and split, so that each layer's part is contiguous.
            freed = q2.matMul(mFlat.transpose()).neg().add(1).reshape(layers, heads, n, b).transpose(0, 3, 1, 2)
                    .reshape(layers * b, heads, n, 1).split(layers);
            // Q[l, h, i, columns[b, j]] as (L, B·k, H, N): Q with its key axis second, indexed there.
            NDArray byKey = q.transpose(0, 3, 1, 2);
            byKey.attach(manager);
            values = byKey.get(new NDIndex(":, {}", columns.reshape(-1))).reshape(layers * b, most, heads, n)
                    .split(layers);
        }
        return new Prepared(flagged, notM, at, manager.create(epsilon), freed, values);
    }

    /**
     * Γ in place for one call's fixed columns ({@link #prepare}): per layer the flagged columns
     * zeroed and the mass outside K summed, the degenerate-row check, the scale α and one indexed
     * write. For the call that prepared it only (it holds arrays of that call's manager).
     */
    public final class Prepared {
        private final NDArray flagged;
        /** {@code (B, 1, 1, N)}: 0 on the flagged columns */
        private final NDArray notM;
        /** {@code [b, :, :, columns[b, j]]}, or null for Q := 0 */
        private final NDIndex at;
        /** ε as the 0-d array {@code add(Number)} would make at every layer */
        private final NDArray epsilonArray;
        /** {@code (B, H, N, 1)} per layer, or null for Q := 0 */
        private final NDList freed;
        /** {@code (B, k, H, N)} per layer, or null for Q := 0 */
        private final NDList values;
        private NDArray ones;

        private Prepared(NDArray flagged, NDArray notM, NDIndex at, NDArray epsilonArray, NDList freed,
                NDList values) {
            this.flagged = flagged;
            this.notM = notM;
            this.at = at;
            this.epsilonArray = epsilonArray;
            this.freed = freed;
            this.values = values;
        }

        /** @return the columns this was prepared for, {@code (batch, N)} boolean */
        public NDArray flagged() {
            return flagged;
        }

        /**
         * Applies Γ to one layer's maps, in place unless the batch holds a degenerate row (then as
         * {@link #apply}, into a new array; {@code maps} is left with its flagged columns zeroed).
         *
         * @param maps {@code (batch, heads, N, N)}, overwritten
         * @param q the layer's benign attention {@code (heads, N, N)} (the same layer of the stack this
         *     was prepared with; used only for a batch with a degenerate row), or null for Q := 0
         * @param layer the layer
         * @return {@code maps}, patched; or a new array for a batch with degenerate rows
         */
        public NDArray applyInPlace(NDArray maps, NDArray q, int layer) {
            Shape s = maps.getShape();
            check(s, q, flagged, layer);
            if ((q == null) != (values == null)) {
                throw new IllegalArgumentException("Γ was prepared " + (values == null ? "with Q := 0" : "with Q")
                        + " but layer " + layer + " is patched " + (q == null ? "with Q := 0" : "with Q"));
            }
            if (values != null && (layer >= values.size() || values.get(0).getShape().get(2) != s.get(1))) {
                throw new IllegalArgumentException("Γ was prepared for " + values.size() + " layers of "
                        + values.get(0).getShape().get(2) + " heads, but layer " + layer + "'s map is " + s);
            }
            NDArray rest = zeroKAndSumRest(maps, notM);
            if (rest.min().getFloat() < (float) floor) { // in float32, as the per-layer rest.lt(floor)
                return withDegenerateRows(maps, q, flagged, s);
            }
            NDArray numerator;
            if (freed != null) {
                numerator = freed.get(layer);
            } else {
                if (ones == null || !ones.getShape().equals(rest.getShape())) {
                    ones = rest.onesLike();
                }
                numerator = ones;
            }
            maps.muli(numerator.div(rest.add(epsilonArray)));
            if (values != null) {
                maps.set(at, values.get(layer));
            } // with Q := 0 the flagged columns are already zero
            return maps;
        }
    }

    /** Pads each sample's picked columns with its first flagged one where {@code onK} is false. */
    private static NDArray padded(NDArray columns, NDArray onK) {
        // Writing the same value twice is harmless.
        return Masks.select(onK.logicalNot(), columns.get(":, :1"), columns);
    }

    /**
     * {@code maps[b, :, :, columns[b, j]] = Q[:, :, columns[b, j]]}, written in place; samples whose
     * {@code onK} is false at {@code j} get their own values back. The per-layer form: it gathers and
     * transposes Q's values at every call, where {@link Prepared} lays them out once per forward.
     */
    private static void writeQ(NDArray maps, NDArray q, NDArray columns, NDArray onK) {
        Shape s = maps.getShape();
        long b = s.get(0);
        long k = columns.getShape().get(1);
        Shape picked = new Shape(b, s.get(1), s.get(2), k);
        NDArray gatherAt = columns.reshape(b, 1, 1, k).broadcast(picked);
        NDArray values;
        if (q == null) {
            values = maps.getManager().zeros(picked, maps.getDataType(), maps.getDevice());
        } else {
            NDArray qFull = q.broadcast(s); // a view, in the call's manager
            qFull.attach(maps.getManager());
            values = qFull.gather(gatherAt, 3);
        }
        if (onK != null) {
            values = Masks.select(onK.reshape(b, 1, 1, k), values, maps.gather(gatherAt, 3));
        }
        NDArray batchIndex = maps.getManager().arange(0L, b, 1L, DataType.INT64).reshape(b, 1);
        maps.set(new NDIndex("{}, :, :, {}", batchIndex, columns), values.transpose(0, 3, 1, 2));
    }

    private static void check(Shape s, NDArray q, NDArray flagged, int layer) {
        long b = s.get(0);
        long h = s.get(1);
        long n = s.get(2);
        if (q != null && !q.getShape().equals(new Shape(h, n, n))) {
            throw new IllegalArgumentException("Q of layer " + layer + " is shaped " + q.getShape()
                    + " but the model's map there is " + s + ": the benign statistics belong to another model");
        }
        if (!flagged.getShape().equals(new Shape(b, n))) {
            throw new IllegalArgumentException("flagged columns of layer " + layer + " are shaped "
                    + flagged.getShape() + ", expected (" + b + ", " + n + ")");
        }
    }

    /** @return Σ_{j∉K} A_ij for every row, {@code (B, H, N, 1)}, as one batched mat-vec */
    private static NDArray restMass(NDArray maps, NDArray mFlat, Shape s) {
        return maps.matMul(mFlat.neg().add(1).reshape(s.get(0), 1, s.get(2), 1));
    }

    /**
     * Zeroes the flagged columns of {@code maps} in place, then returns Σ_{j∉K} A_ij for every row,
     * {@code (B, H, N, 1)}, as a sum over the last axis. The in-place paths overwrite those columns
     * with Q anyway (with Q := 0 they are left zero), and a sample with nothing flagged is multiplied
     * by exact ones, so it keeps its bits. Faster on CPU than the batched mat-vec {@link #restMass},
     * which computes the same sum as many tiny GEMVs (measured: docs/performance.md).
     *
     * @param notM {@code (B, 1, 1, N)}: 0 on each sample's flagged columns, 1 elsewhere
     */
    private static NDArray zeroKAndSumRest(NDArray maps, NDArray notM) {
        return maps.muli(notM).sum(new int[] {-1}, true);
    }

    /**
     * The per-row scale of the regular rows, {@code α = (1 − Σ_K Q) / (Σ_{∉K} A + ε)}, {@code (B, H,
     * N, 1)}, exactly 1 for samples with no flagged column (so they keep their bits) unless the
     * caller knows there are none.
     */
    private NDArray alpha(NDArray maps, NDArray q, NDArray mFlat, NDArray rest, Shape s, boolean everySampleFlagged) {
        long b = s.get(0);
        NDArray alpha = freed(maps, q, mFlat.transpose(), rest, s).div(rest.add(epsilon));
        if (everySampleFlagged) {
            return alpha;
        }
        NDArray sampleFlagged = mFlat.max(new int[] {1}).gt(0).reshape(b, 1, 1, 1);
        return Masks.select(sampleFlagged, alpha, alpha.onesLike());
    }

    /** {@code 1 − Σ_K Q} per (sample, head, row), {@code (B, H, N, 1)}; ones for Q := 0. */
    private static NDArray freed(NDArray maps, NDArray q, NDArray mT, NDArray rest, Shape s) {
        if (q == null) {
            return rest.onesLike();
        }
        long b = s.get(0);
        long h = s.get(1);
        long n = s.get(2);
        // Σ_K Q per (sample, head, row) by one small GEMM: Q (H·N, N) · mᵀ (N, B).
        NDArray q2 = q.reshape(h * n, n);
        q2.attach(maps.getManager());
        NDArray qOnK = q2.matMul(mT).reshape(h, n, b).transpose(2, 0, 1).expandDims(3);
        return qOnK.neg().add(1);
    }

    /**
     * The common case, every row keeps at least the degenerate floor outside K: three passes over
     * the map. {@code out = where(j ∈ K, Q, α · A)}, cheaper than the general formulation, which also
     * handles degenerate rows (measured: docs/performance.md).
     */
    private NDArray regularRows(NDArray maps, NDArray q, NDArray flagged, NDArray mFlat, NDArray rest, Shape s) {
        long b = s.get(0);
        long n = s.get(2);
        NDArray qFull;
        if (q == null) {
            qFull = maps.zerosLike();
        } else {
            qFull = q.broadcast(s);
            qFull.attach(maps.getManager());
        }
        NDArray onK = flagged.reshape(b, 1, 1, n);
        return Masks.select(onK, qFull, maps.mul(alpha(maps, q, mFlat, rest, s, false)));
    }

    /** The general formulation, for batches with rows whose mass sits (almost) all on K. */
    private NDArray withDegenerateRows(NDArray maps, NDArray q, NDArray flagged, Shape s) {
        long b = s.get(0);
        long n = s.get(2);
        NDArray m = flagged.toType(maps.getDataType(), false).reshape(b, 1, 1, n);
        NDArray notM = m.neg().add(1);
        NDArray aOut = maps.mul(notM);
        NDArray rest = aOut.sum(new int[] {-1}, true);
        NDArray qOnK;
        NDArray qOut;
        if (q == null) {
            qOnK = m.zerosLike().broadcast(s);
            qOut = qOnK;
        } else {
            qOnK = m.mul(q);
            qOut = notM.mul(q);
        }
        NDArray freed = qOnK.sum(new int[] {-1}, true).neg().add(1);
        // Regular rows: keep the proportions outside K, scaled to the freed mass.
        NDArray regular = aOut.mul(freed.div(rest.maximum(floor).add(epsilon)));
        // Degenerate rows: Q's proportions outside K, or uniform where Q is zero there too.
        NDArray qRest = qOut.sum(new int[] {-1}, true);
        NDArray byQ = qOut.mul(freed.div(qRest.maximum(TINY)));
        NDArray outsideCount = notM.sum(new int[] {-1}, true).maximum(1);
        NDArray uniform = notM.mul(freed.maximum(0).div(outsideCount));
        NDArray degenerate = Masks.select(qRest.gt(0), byQ, uniform);
        NDArray outside = Masks.select(rest.gte(floor), regular, degenerate);
        NDArray patched = outside.add(qOnK);
        NDArray sampleFlagged = flagged.toType(DataType.FLOAT32, false).max(new int[] {1}).gt(0).reshape(b, 1, 1, 1);
        return Masks.select(sampleFlagged, patched, maps);
    }
}
