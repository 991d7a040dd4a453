package org.atpatch.examples.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.atpatch.djl.LabelledData;

/**
 * MNIST and Fashion-MNIST from a {@link DataDirectory}: the canonical idx {@code .gz} files, checksums
 * verified, read by {@link IdxImages} into {@code (1, 28, 28)} samples with pixels in {@code [0, 1]}.
 */
public final class IdxDatasets {

    private IdxDatasets() {}

    /**
     * @param dir the data directory
     * @param split training (60,000) or test (10,000) images
     * @return the images and labels
     * @throws IOException when a file is missing, has the wrong checksum or cannot be parsed
     */
    public static LabelledData mnist(DataDirectory dir, ImageSplit split) throws IOException {
        return split == ImageSplit.TRAIN
                ? read(dir, CanonicalFiles.MNIST_TRAIN_IMAGES, CanonicalFiles.MNIST_TRAIN_LABELS)
                : read(dir, CanonicalFiles.MNIST_TEST_IMAGES, CanonicalFiles.MNIST_TEST_LABELS);
    }

    /**
     * @param dir the data directory
     * @param split training (60,000) or test (10,000) images
     * @return the images and labels
     * @throws IOException when a file is missing, has the wrong checksum or cannot be parsed
     */
    public static LabelledData fashionMnist(DataDirectory dir, ImageSplit split) throws IOException {
        return split == ImageSplit.TRAIN
                ? read(dir, CanonicalFiles.FASHION_TRAIN_IMAGES, CanonicalFiles.FASHION_TRAIN_LABELS)
                : read(dir, CanonicalFiles.FASHION_TEST_IMAGES, CanonicalFiles.FASHION_TEST_LABELS);
    }

    private static LabelledData read(DataDirectory dir, DatasetFile images, DatasetFile labels) throws IOException {
        Path x = dir.require(images);
        Path y = dir.require(labels);
        try (InputStream xi = Files.newInputStream(x); InputStream yi = Files.newInputStream(y)) {
            return IdxImages.read(xi, yi, -1, x.toString());
        }
    }
}
