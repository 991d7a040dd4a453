package org.atpatch.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.atpatch.djl.LabelledData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageLoadersTest {

    @TempDir
    Path tmp;

    /** Two records: label 7 with pixel value (channel·1024 + j) mod 256, label 2 all 255. */
    private static byte[] twoRecords() {
        byte[] b = new byte[2 * Cifar10.RECORD_BYTES];
        b[0] = 7;
        for (int j = 0; j < 3072; j++) {
            b[1 + j] = (byte) (j % 256);
        }
        b[Cifar10.RECORD_BYTES] = 2;
        Arrays.fill(b, Cifar10.RECORD_BYTES + 1, 2 * Cifar10.RECORD_BYTES, (byte) 255);
        return b;
    }

    private static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out)) {
            gz.write(b);
        }
        return out.toByteArray();
    }

    @Test
    void cifarRecordsAreChwInUnitRangeFromPlainAndGzippedFiles() throws IOException {
        Path plain = Files.write(tmp.resolve("data_batch_1.bin"), twoRecords());
        Path gz = Files.write(tmp.resolve("data_batch_2.bin.gz"), gzip(twoRecords()));
        LabelledData d = Cifar10.readFiles(List.of(plain, gz));
        assertEquals(4, d.size());
        assertEquals(new Shape(3, 32, 32), d.sampleShape());
        assertArrayEquals(new int[] {7, 2, 7, 2}, d.labels());
        float[] first = d.sample(0);
        assertEquals(0f, first[0]);
        assertEquals(5 / 255f, first[5]);
        assertEquals(((1024 + 33) % 256) / 255f, first[1024 + 33], "green plane, row 1, column 1");
        assertEquals(1f, d.sample(1)[3071]);
        assertArrayEquals(d.sample(0), d.sample(2));
    }

    @Test
    void truncatedCifarBatchIsReported() throws IOException {
        byte[] cut = Arrays.copyOf(twoRecords(), Cifar10.RECORD_BYTES + 100);
        Path p = Files.write(tmp.resolve("cut.bin"), cut);
        IOException e = assertThrows(IOException.class, () -> Cifar10.readFiles(List.of(p)));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("cut.bin"), e.getMessage());
    }

    @Test
    void truncatedGzipIsReported() throws IOException {
        byte[] gz = gzip(twoRecords());
        Path p = Files.write(tmp.resolve("cut.bin.gz"), Arrays.copyOf(gz, gz.length / 2));
        IOException e = assertThrows(IOException.class, () -> Cifar10.readFiles(List.of(p)));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("cut.bin.gz"), e.getMessage());
    }

    @Test
    void cifarLabelOutOfRangeIsReported() throws IOException {
        byte[] b = twoRecords();
        b[Cifar10.RECORD_BYTES] = 10;
        Path p = Files.write(tmp.resolve("bad.bin"), b);
        IOException e = assertThrows(IOException.class, () -> Cifar10.readFiles(List.of(p)));
        assertTrue(e.getMessage().contains("record 1 has label 10"), e.getMessage());
    }

    @Test
    void truncatedIdxGzipIsReported() throws IOException {
        ByteArrayOutputStream img = new ByteArrayOutputStream();
        java.io.DataOutputStream d = new java.io.DataOutputStream(img);
        d.writeInt(2051);
        d.writeInt(3);
        d.writeInt(2);
        d.writeInt(2);
        d.write(new byte[4]); // one image of three
        byte[] labels = {0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3};
        IOException e = assertThrows(IOException.class, () -> IdxImages.read(
                new java.io.ByteArrayInputStream(gzip(img.toByteArray())), new java.io.ByteArrayInputStream(labels),
                -1, "toy-images"));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void missingImageFilesNameTheFileAndWhereToPutIt() {
        DataDirectory dir = new DataDirectory(tmp);
        MissingDataFileException e = assertThrows(MissingDataFileException.class,
                () -> IdxDatasets.mnist(dir, ImageSplit.TEST));
        assertTrue(e.getMessage().contains("mnist/t10k-images-idx3-ubyte.gz"), e.getMessage());
        MissingDataFileException c = assertThrows(MissingDataFileException.class,
                () -> Cifar10.load(dir, ImageSplit.TRAIN));
        assertTrue(c.getMessage().contains("cifar10/data_batch_1.bin.gz")
                && c.getMessage().contains("cifar-10-binary.tar.gz"), c.getMessage());
    }

    @Test
    void alteredCifarBatchFailsItsChecksum() throws IOException {
        Files.createDirectories(tmp.resolve("cifar10"));
        Files.write(tmp.resolve("cifar10").resolve("test_batch.bin"), twoRecords());
        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
                () -> Cifar10.load(new DataDirectory(tmp), ImageSplit.TEST));
        assertTrue(e.getMessage().contains("cifar10/test_batch.bin") && e.getMessage().contains("MD5"),
                e.getMessage());
    }

    @Test
    void userGzippedBatchIsCheckedByTheMd5OfItsContent() throws IOException {
        Path cifar = Files.createDirectories(tmp.resolve("cifar10"));
        Files.write(cifar.resolve("data_batch_3.bin.gz"), gzip(twoRecords()));
        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
                () -> Cifar10.load(new DataDirectory(tmp), ImageSplit.TRAIN));
        assertTrue(e.getMessage().contains("cifar10/data_batch_3.bin.gz") && e.getMessage().contains("MD5")
                && e.getMessage().contains("942cd6a4bcdd0dd3c604fbe906cb4421"), e.getMessage());
        byte[] gz = gzip(twoRecords());
        Files.write(cifar.resolve("data_batch_3.bin.gz"), Arrays.copyOf(gz, gz.length / 2));
        IOException t = assertThrows(IOException.class, () -> Cifar10.load(new DataDirectory(tmp), ImageSplit.TRAIN));
        assertTrue(t.getMessage().contains("truncated") && t.getMessage().contains("data_batch_3.bin.gz"),
                t.getMessage());
    }

    @Test
    void realMnistAndFashionMnistTestSets() throws IOException {
        DataDirectory dir = SharedDatasets.require();
        LabelledData mnist = IdxDatasets.mnist(dir, ImageSplit.TEST);
        assertEquals(10_000, mnist.size());
        assertEquals(new Shape(1, 28, 28), mnist.sampleShape());
        assertArrayEquals(new int[] {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, perClass(mnist));
        assertEquals(7, mnist.labels()[0]);
        LabelledData fashion = IdxDatasets.fashionMnist(dir, ImageSplit.TEST);
        assertEquals(10_000, fashion.size());
        assertArrayEquals(thousandEach(), perClass(fashion));
    }

    @Test
    void realCifarPartialTrainingSetAndTestSet() throws IOException {
        DataDirectory dir = SharedDatasets.require();
        LabelledData test = Cifar10.load(dir, ImageSplit.TEST);
        assertEquals(10_000, test.size());
        assertEquals(new Shape(3, 32, 32), test.sampleShape());
        assertArrayEquals(thousandEach(), perClass(test));
        assertEquals(3, test.labels()[0], "the first test image is a cat");
        LabelledData train = Cifar10.load(dir, ImageSplit.TRAIN);
        assertEquals(20_000, train.size(), "batches 1 and 2 of 5 are in shared/datasets");
        int[] expected = new int[10];
        int[] b1 = {1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981};
        int[] b2 = {984, 1007, 1010, 995, 1010, 988, 1008, 1026, 987, 985};
        for (int c = 0; c < 10; c++) {
            expected[c] = b1[c] + b2[c];
        }
        assertArrayEquals(expected, perClass(train));
    }

    private static int[] thousandEach() {
        int[] c = new int[10];
        Arrays.fill(c, 1000);
        return c;
    }

    private static int[] perClass(LabelledData d) {
        int[] c = new int[10];
        for (int y : d.labels()) {
            c[y]++;
        }
        return c;
    }
}
