package org.atpatch.core;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A streaming, mergeable mean of one fixed-shape tensor per layer, accumulated in double precision
 * over any number of batches without keeping them.
 *
 * <p>AtPatch uses it for Q, the benign attention of Eq. 10 (per layer the mean clean map, shape
 * {@code (heads, N, N)}), and for the benign token states that the token-state patch writes in
 * place of flagged tokens (per layer, shape {@code (N, width)}). Not thread-safe: accumulate per
 * thread and {@link #merge} the results.
 */
public final class LayerwiseMean {

    private static final int MAGIC = 0x41545051; // "ATPQ"
    private static final int FORMAT_VERSION = 1;

    private final String name;
    private final long[] itemShape;
    private final INDArray[] sums;
    private final long[] counts;

    /**
     * Creates an empty accumulator.
     *
     * @param name what is averaged (for messages and files), e.g. {@code "Q"}
     * @param layers the number of layers L
     * @param itemShape the shape of one sample's tensor at one layer
     */
    public LayerwiseMean(String name, int layers, long... itemShape) {
        if (layers <= 0) {
            throw new IllegalArgumentException(name + ": layer count must be positive, got " + layers);
        }
        if (itemShape.length == 0 || Arrays.stream(itemShape).anyMatch(d -> d <= 0)) {
            throw new IllegalArgumentException(
                    name + ": item shape must be non-empty and positive, got " + Arrays.toString(itemShape));
        }
        this.name = name;
        this.itemShape = itemShape.clone();
        this.sums = new INDArray[layers];
        this.counts = new long[layers];
        for (int l = 0; l < layers; l++) {
            sums[l] = Nd4j.zeros(DataType.DOUBLE, itemShape);
        }
    }

    /**
     * Adds a batch of one layer's tensors.
     *
     * @param layer the layer
     * @param batch shape {@code (batch, itemShape...)}, finite
     */
    public void add(int layer, INDArray batch) {
        checkLayer(layer);
        long[] s = batch.shape();
        if (s.length != itemShape.length + 1
                || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), itemShape)) {
            throw new IllegalArgumentException(
                    name + " layer " + layer + ": batch must be shaped (batch, "
                            + Arrays.toString(itemShape).replaceAll("[\\[\\]]", "") + "), got "
                            + Arrays.toString(s));
        }
        Checks.requireFinite(name + " input of layer " + layer, batch);
        sums[layer].addi(batch.castTo(DataType.DOUBLE).sum(0));
        counts[layer] += s[0];
    }

    /**
     * Adds everything another accumulator of the same name and shape has seen.
     *
     * @param other the other accumulator
     */
    public void merge(LayerwiseMean other) {
        if (!name.equals(other.name)
                || other.sums.length != sums.length
                || !Arrays.equals(other.itemShape, itemShape)) {
            throw new IllegalArgumentException(
                    "cannot merge " + other.describe() + " into " + describe());
        }
        for (int l = 0; l < sums.length; l++) {
            sums[l].addi(other.sums[l]);
            counts[l] += other.counts[l];
        }
    }

    /**
     * The mean at one layer.
     *
     * @param layer the layer
     * @return a new float array of {@link #itemShape()}
     * @throws IllegalStateException when the layer has seen no sample
     */
    public INDArray mean(int layer) {
        checkLayer(layer);
        if (counts[layer] == 0) {
            throw new IllegalStateException(name + " layer " + layer + " has seen no sample yet");
        }
        return sums[layer].div(counts[layer]).castTo(DataType.FLOAT);
    }

    /**
     * All layers' means stacked.
     *
     * @return shape {@code (L, itemShape...)}, float
     */
    public INDArray means() {
        INDArray[] all = new INDArray[sums.length];
        for (int l = 0; l < all.length; l++) {
            all[l] = mean(l).reshape(prepend(1, itemShape));
        }
        return Nd4j.concat(0, all);
    }

    /** @return what is averaged */
    public String name() {
        return name;
    }

    /** @return the layer count L */
    public int layers() {
        return sums.length;
    }

    /** @return a copy of the per-sample shape at one layer */
    public long[] itemShape() {
        return itemShape.clone();
    }

    /**
     * @param layer the layer
     * @return how many samples that layer has seen
     */
    public long count(int layer) {
        checkLayer(layer);
        return counts[layer];
    }

    /**
     * Writes the accumulator (sums and counts, so a loaded one can keep accumulating). The stream
     * is not closed.
     *
     * @param out the stream
     * @throws IOException on write failure
     */
    public void write(OutputStream out) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(MAGIC);
        d.writeInt(FORMAT_VERSION);
        d.writeUTF(name);
        d.writeInt(sums.length);
        d.writeInt(itemShape.length);
        for (long v : itemShape) {
            d.writeLong(v);
        }
        for (int l = 0; l < sums.length; l++) {
            d.writeLong(counts[l]);
            for (double v : sums[l].data().asDouble()) {
                d.writeDouble(v);
            }
        }
        d.flush();
    }

    /**
     * Reads an accumulator written by {@link #write}.
     *
     * @param in the stream; not closed
     * @return the accumulator
     * @throws IOException when the stream is truncated, corrupt or of another format version
     */
    public static LayerwiseMean read(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        try {
            int magic = d.readInt();
            if (magic != MAGIC) {
                throw new IOException("not a layer-wise mean (bad magic 0x" + Integer.toHexString(magic) + ")");
            }
            int version = d.readInt();
            if (version != FORMAT_VERSION) {
                throw new IOException("layer-wise mean format version " + version
                        + " is not supported (this build reads " + FORMAT_VERSION + ")");
            }
            String name = d.readUTF();
            int layers = d.readInt();
            int rank = d.readInt();
            if (layers <= 0 || layers > 10_000 || rank <= 0 || rank > 8) {
                throw new IOException(name + ": corrupt header (layers " + layers + ", rank " + rank + ")");
            }
            long[] shape = new long[rank];
            long size = 1;
            for (int i = 0; i < rank; i++) {
                shape[i] = d.readLong();
                if (shape[i] <= 0 || shape[i] > 1 << 20) {
                    throw new IOException(name + ": corrupt item shape " + Arrays.toString(shape));
                }
                size *= shape[i];
            }
            LayerwiseMean m = new LayerwiseMean(name, layers, shape);
            for (int l = 0; l < layers; l++) {
                m.counts[l] = d.readLong();
                if (m.counts[l] < 0) {
                    throw new IOException(name + ": corrupt count at layer " + l);
                }
                double[] v = new double[(int) size];
                for (int i = 0; i < v.length; i++) {
                    v[i] = d.readDouble();
                }
                m.sums[l] = Nd4j.createFromArray(v).reshape(shape);
            }
            return m;
        } catch (EOFException e) {
            throw new IOException("layer-wise mean is truncated", e);
        }
    }

    private void checkLayer(int layer) {
        if (layer < 0 || layer >= sums.length) {
            throw new IndexOutOfBoundsException(
                    name + ": layer " + layer + " outside [0, " + sums.length + ")");
        }
    }

    private String describe() {
        return "'" + name + "' (" + sums.length + " layers of " + Arrays.toString(itemShape) + ")";
    }

    private static long[] prepend(long first, long[] rest) {
        long[] s = new long[rest.length + 1];
        s[0] = first;
        System.arraycopy(rest, 0, s, 1, rest.length);
        return s;
    }
}
