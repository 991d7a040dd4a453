package org.atpatch.core;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The benign statistics a patch rule writes in place of anomalous ones: Q, the mean clean attention
 * map per layer and head (Eq. 10, shape {@code (L, heads, N, N)}), and optionally the mean clean
 * token state at each layer's input (shape {@code (L, N, width)}), which the token-state patch uses
 * (docs/architecture.md, "Design decisions": token-state rule).
 *
 * <p>Saved files carry a magic number, a format version and a CRC32 of their content, and are
 * written atomically.
 */
public final class BenignStatistics {

    /** Name of the Q accumulator. */
    public static final String Q = "Q";

    /** Name of the token-state accumulator. */
    public static final String TOKEN_STATES = "token-states";

    private static final int MAGIC = 0x41545042; // "ATPB"
    private static final int FORMAT_VERSION = 1;

    private final LayerwiseMean attention;
    private final LayerwiseMean tokenStates;

    /**
     * @param attention the Q accumulator, item shape {@code (heads, N, N)}
     * @param tokenStates the token-state accumulator, item shape {@code (N, width)}, or null
     */
    public BenignStatistics(LayerwiseMean attention, LayerwiseMean tokenStates) {
        long[] a = attention.itemShape();
        if (a.length != 3 || a[1] != a[2]) {
            throw new IllegalArgumentException(
                    "Q must average (heads, N, N) maps, got items of " + Arrays.toString(a));
        }
        if (tokenStates != null) {
            long[] t = tokenStates.itemShape();
            if (t.length != 2 || t[0] != a[1] || tokenStates.layers() != attention.layers()) {
                throw new IllegalArgumentException(
                        "token states must be " + attention.layers() + " layers of (N = " + a[1]
                                + ", width), got " + tokenStates.layers() + " layers of "
                                + Arrays.toString(t));
            }
        }
        this.attention = attention;
        this.tokenStates = tokenStates;
    }

    /**
     * Empty accumulators for a model's shape.
     *
     * @param layers L
     * @param heads heads per layer
     * @param tokens N
     * @param width the hidden width, or 0 to keep no token states
     * @return the statistics, ready to accumulate
     */
    public static BenignStatistics empty(int layers, int heads, int tokens, int width) {
        return new BenignStatistics(
                new LayerwiseMean(Q, layers, heads, tokens, tokens),
                width > 0 ? new LayerwiseMean(TOKEN_STATES, layers, tokens, width) : null);
    }

    /**
     * Statistics from a given Q (and token states), for example computed elsewhere on a model's clean
     * data, instead of accumulated here.
     *
     * @param q Q, shaped {@code (L, heads, N, N)}: per layer and head a mean attention map, each row
     *     a distribution (non-negative, summing to 1 within 1e-3)
     * @param tokenStates the mean token state at each layer's input, {@code (L, N, width)}, or null
     * @return the statistics, holding these means as if from one sample
     * @throws IllegalArgumentException when a shape is wrong, a value is not finite, or a row of Q is
     *     not a distribution (naming the layer and head)
     */
    public static BenignStatistics of(INDArray q, INDArray tokenStates) {
        long[] s = q.shape();
        if (s.length != 4 || s[2] != s[3]) {
            throw new IllegalArgumentException("Q must be shaped (L, heads, N, N), got " + Arrays.toString(s));
        }
        Checks.requireFinite("Q", q);
        int layers = (int) s[0];
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < s[1]; h++) {
                INDArray map = q.get(NDArrayIndex.point(l), NDArrayIndex.point(h));
                double min = map.minNumber().doubleValue();
                INDArray rowSums = map.sum(1);
                double worst = Math.max(Math.abs(rowSums.maxNumber().doubleValue() - 1),
                        Math.abs(rowSums.minNumber().doubleValue() - 1));
                if (min < 0 || worst > 1e-3) {
                    throw new IllegalArgumentException("Q of layer " + l + ", head " + h + " is not an attention map: its rows"
                            + " must be non-negative and sum to 1 (smallest value " + min + ", largest deviation of a row sum"
                            + " " + worst + ")");
                }
            }
        }
        LayerwiseMean attention = new LayerwiseMean(Q, layers, s[1], s[2], s[3]);
        LayerwiseMean states = null;
        if (tokenStates != null) {
            long[] t = tokenStates.shape();
            if (t.length != 3 || t[0] != layers || t[1] != s[2]) {
                throw new IllegalArgumentException("token states must be shaped (L = " + layers + ", N = " + s[2]
                        + ", width), got " + Arrays.toString(t));
            }
            states = new LayerwiseMean(TOKEN_STATES, layers, t[1], t[2]);
        }
        for (int l = 0; l < layers; l++) {
            attention.add(l, q.get(NDArrayIndex.point(l)).reshape(1, s[1], s[2], s[3]));
            if (states != null) {
                states.add(l, tokenStates.get(NDArrayIndex.point(l)).reshape(1, tokenStates.shape()[1],
                        tokenStates.shape()[2]));
            }
        }
        return new BenignStatistics(attention, states);
    }

    /** @return Q's accumulator */
    public LayerwiseMean attention() {
        return attention;
    }

    /** @return the token-state accumulator, if kept */
    public Optional<LayerwiseMean> tokenStates() {
        return Optional.ofNullable(tokenStates);
    }

    /** @return the layer count L */
    public int layers() {
        return attention.layers();
    }

    /** @return heads per layer */
    public int heads() {
        return (int) attention.itemShape()[0];
    }

    /** @return N */
    public int tokens() {
        return (int) attention.itemShape()[1];
    }

    /**
     * Merges another's accumulators into this one.
     *
     * @param other statistics of the same shape
     */
    public void merge(BenignStatistics other) {
        attention.merge(other.attention);
        if ((tokenStates == null) != (other.tokenStates == null)) {
            throw new IllegalArgumentException("cannot merge statistics with and without token states");
        }
        if (tokenStates != null) {
            tokenStates.merge(other.tokenStates);
        }
    }

    /**
     * Saves atomically, with a CRC32 over the content.
     *
     * @param path the file
     * @throws IOException on failure; an existing file is left intact
     */
    public void save(Path path) throws IOException {
        AtomicFiles.write(path, this::write);
    }

    /**
     * Writes to a stream (not closed), with a trailing CRC32.
     *
     * @param out the stream
     * @throws IOException on failure
     */
    public void write(OutputStream out) throws IOException {
        CheckedOutputStream checked = new CheckedOutputStream(out, new CRC32());
        DataOutputStream d = new DataOutputStream(checked);
        d.writeInt(MAGIC);
        d.writeInt(FORMAT_VERSION);
        d.writeBoolean(tokenStates != null);
        attention.write(d);
        if (tokenStates != null) {
            tokenStates.write(d);
        }
        d.flush();
        new DataOutputStream(out).writeLong(checked.getChecksum().getValue());
        out.flush();
    }

    /**
     * Loads statistics saved by {@link #save}.
     *
     * @param path the file
     * @return the statistics
     * @throws IOException when the file is missing, truncated, corrupt or of another version; the
     *     message names the file
     */
    public static BenignStatistics load(Path path) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
            return read(in);
        } catch (IOException e) {
            throw new IOException("cannot read benign statistics " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads statistics written by {@link #write}.
     *
     * @param in the stream; not closed
     * @return the statistics
     * @throws IOException when truncated, corrupt or of another version
     */
    public static BenignStatistics read(InputStream in) throws IOException {
        CheckedInputStream checked = new CheckedInputStream(in, new CRC32());
        DataInputStream d = new DataInputStream(checked);
        try {
            if (d.readInt() != MAGIC) {
                throw new IOException("not a benign-statistics file (bad magic)");
            }
            int version = d.readInt();
            if (version != FORMAT_VERSION) {
                throw new IOException("format version " + version + " is not supported (this build reads "
                        + FORMAT_VERSION + ")");
            }
            boolean hasTokens = d.readBoolean();
            LayerwiseMean q = LayerwiseMean.read(d);
            LayerwiseMean t = hasTokens ? LayerwiseMean.read(d) : null;
            long expected = checked.getChecksum().getValue();
            long stored = new DataInputStream(in).readLong();
            if (stored != expected) {
                throw new IOException("checksum mismatch: the file is corrupt");
            }
            return new BenignStatistics(q, t);
        } catch (EOFException e) {
            throw new IOException("the file is truncated", e);
        } catch (IllegalArgumentException e) {
            throw new IOException("the file is corrupt: " + e.getMessage(), e);
        }
    }
}
