package org.atpatch.examples.data;

import ai.djl.ndarray.types.Shape;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import org.atpatch.djl.LabelledData;

/**
 * Reads the idx format of MNIST and Fashion-MNIST (gzipped or plain): an idx3 file of unsigned-byte
 * images and an idx1 file of labels. Pixels are scaled to {@code [0, 1]}; each sample is shaped
 * {@code (1, rows, cols)}.
 */
public final class IdxImages {

    private static final int IMAGES_MAGIC = 2051;
    private static final int LABELS_MAGIC = 2049;

    private IdxImages() {}

    /**
     * Reads images and labels.
     *
     * @param images the idx3 stream (gzip detected from its first bytes)
     * @param labels the idx1 stream
     * @param limit read at most this many samples (negative: all)
     * @param name a name for messages (file or resource)
     * @return the data
     * @throws IOException when a stream is truncated, of another format, or the counts disagree
     */
    public static LabelledData read(InputStream images, InputStream labels, int limit, String name) throws IOException {
        try (DataInputStream img = new DataInputStream(MaybeGzip.open(images));
                DataInputStream lab = new DataInputStream(MaybeGzip.open(labels))) {
            int magic = img.readInt();
            if (magic != IMAGES_MAGIC) {
                throw new IOException(name + ": not an idx3 image file (magic " + magic + ")");
            }
            int n = img.readInt();
            int rows = img.readInt();
            int cols = img.readInt();
            int labelMagic = lab.readInt();
            if (labelMagic != LABELS_MAGIC) {
                throw new IOException(name + ": not an idx1 label file (magic " + labelMagic + ")");
            }
            int nl = lab.readInt();
            if (nl != n) {
                throw new IOException(name + ": " + n + " images but " + nl + " labels");
            }
            int count = limit < 0 ? n : Math.min(n, limit);
            int per = rows * cols;
            byte[] raw = new byte[count * per];
            img.readFully(raw);
            float[] x = new float[raw.length];
            for (int i = 0; i < raw.length; i++) {
                x[i] = (raw[i] & 0xFF) / 255f;
            }
            byte[] rawLabels = new byte[count];
            lab.readFully(rawLabels);
            int[] y = new int[count];
            for (int i = 0; i < count; i++) {
                y[i] = rawLabels[i] & 0xFF;
            }
            return new LabelledData(x, y, new Shape(1, rows, cols));
        } catch (EOFException e) {
            throw new IOException(name + ": file is truncated", e);
        }
    }

}
