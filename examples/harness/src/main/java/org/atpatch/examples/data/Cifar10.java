package org.atpatch.examples.data;

import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipException;
import org.atpatch.djl.LabelledData;

/**
 * CIFAR-10 from its official binary batches: records of one label byte and 3,072 pixel bytes (the
 * red 32×32 plane, then green, then blue, each row-major), so each sample is {@code (3, 32, 32)} (CHW)
 * with pixels scaled to {@code [0, 1]}.
 *
 * <p>Each batch may be stored gzipped ({@code data_batch_1.bin.gz}) or plain ({@code data_batch_1.bin});
 * the gzipped one is used when both are present. The training set is whichever of
 * {@code data_batch_1..5} are present (at least one), in batch order; the test set is
 * {@code test_batch}. Every file's checksum is verified ({@link CanonicalFiles}).
 */
public final class Cifar10 {

    /** The number of classes. */
    public static final int CLASSES = 10;
    /** Bytes per record: a label, then 3 × 32 × 32 pixels. */
    public static final int RECORD_BYTES = 1 + 3 * 32 * 32;
    /** The class names, in label order. */
    public static final List<String> CLASS_NAMES = List.of(
            "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    private static final Shape SAMPLE = new Shape(3, 32, 32);
    private static final int TRAIN_BATCHES = 5;

    private Cifar10() {}

    /**
     * @param dir the data directory
     * @param split the training batches present, or the test batch
     * @return the images and labels
     * @throws IOException when no training batch (or the test batch) is present, a checksum is wrong
     *     or a file is truncated
     */
    public static LabelledData load(DataDirectory dir, ImageSplit split) throws IOException {
        List<Path> files = new ArrayList<>();
        if (split == ImageSplit.TEST) {
            files.add(dir.require(locate(dir, "test_batch")));
        } else {
            for (int b = 1; b <= TRAIN_BATCHES; b++) {
                DatasetFile f = locate(dir, "data_batch_" + b);
                if (dir.isPresent(f)) {
                    files.add(dir.require(f));
                }
            }
            if (files.isEmpty()) {
                throw new MissingDataFileException(CanonicalFiles.get("cifar10", "data_batch_1.bin.gz"),
                        dir.pathOf(CanonicalFiles.get("cifar10", "data_batch_1.bin.gz")));
            }
        }
        return readFiles(files);
    }

    /**
     * @param dir the data directory
     * @param batch a batch name such as {@code data_batch_1} or {@code test_batch}
     * @return its gzipped file when present, else its plain file when present, else the gzipped file
     *     (whose absence {@link DataDirectory#require} reports)
     */
    static DatasetFile locate(DataDirectory dir, String batch) {
        DatasetFile gz = CanonicalFiles.get("cifar10", batch + ".bin.gz");
        DatasetFile plain = CanonicalFiles.get("cifar10", batch + ".bin");
        return !dir.isPresent(gz) && dir.isPresent(plain) ? plain : gz;
    }

    /**
     * Reads batch files without checksum checks (fixtures, or files verified elsewhere).
     *
     * @param files batch files, gzipped or plain, concatenated in this order
     * @return their records
     * @throws IOException when a file is truncated, empty or has a label outside {@code [0, 10)}
     */
    public static LabelledData readFiles(List<Path> files) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (Path f : files) {
            try (InputStream in = MaybeGzip.open(Files.newInputStream(f))) {
                all.write(readRecords(in, f.toString()));
            }
        }
        return decode(all.toByteArray());
    }

    /**
     * @param in a batch stream (gzipped or plain)
     * @param name the stream's name for messages
     * @return its records
     * @throws IOException when it is truncated, empty or has a label outside {@code [0, 10)}
     */
    public static LabelledData read(InputStream in, String name) throws IOException {
        return decode(readRecords(MaybeGzip.open(in), name));
    }

    private static byte[] readRecords(InputStream in, String name) throws IOException {
        byte[] raw;
        try {
            raw = in.readAllBytes();
        } catch (EOFException | ZipException e) {
            throw new IOException(name + ": the gzip stream is truncated or corrupt (" + e.getMessage() + ")", e);
        }
        if (raw.length == 0) {
            throw new IOException(name + ": the CIFAR-10 batch is empty");
        }
        if (raw.length % RECORD_BYTES != 0) {
            throw new IOException(name + ": the CIFAR-10 batch is truncated: " + raw.length + " bytes is "
                    + raw.length / RECORD_BYTES + " records of " + RECORD_BYTES + " bytes plus "
                    + raw.length % RECORD_BYTES + " bytes");
        }
        for (int r = 0, n = raw.length / RECORD_BYTES; r < n; r++) {
            int label = raw[r * RECORD_BYTES] & 0xFF;
            if (label >= CLASSES) {
                throw new IOException(name + ": record " + r + " has label " + label + ", outside [0, " + CLASSES
                        + ") (not a CIFAR-10 batch?)");
            }
        }
        return raw;
    }

    private static LabelledData decode(byte[] raw) {
        int n = raw.length / RECORD_BYTES;
        int per = RECORD_BYTES - 1;
        float[] x = new float[n * per];
        int[] y = new int[n];
        for (int r = 0; r < n; r++) {
            int off = r * RECORD_BYTES;
            y[r] = raw[off] & 0xFF;
            for (int j = 0; j < per; j++) {
                x[r * per + j] = (raw[off + 1 + j] & 0xFF) / 255f;
            }
        }
        return new LabelledData(x, y, SAMPLE);
    }
}
