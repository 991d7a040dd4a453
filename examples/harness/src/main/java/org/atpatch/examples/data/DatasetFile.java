package org.atpatch.examples.data;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One canonical file of a benchmark dataset: where it lives under the data directory
 * ({@code <dataset>/<name>}), the checksum that proves it is the original bytes, and where it can be
 * downloaded.
 *
 * @param dataset the dataset's subfolder ({@code mnist}, {@code fashion-mnist}, {@code cifar10},
 *     {@code adult}, {@code compas}, {@code bank})
 * @param name the file name inside that folder
 * @param algorithm the digest algorithm of {@code checksum} ({@code SHA-256}, or {@code MD5} for the
 *     plain CIFAR-10 batches, whose only published checksums are MD5s)
 * @param checksum the expected digest, lower-case hex
 * @param ofContent whether the digest is of the gzip-decompressed content rather than of the file's
 *     bytes (CIFAR-10 batches gzipped by the user, for which only the official MD5 of the plain batch
 *     is known)
 * @param url the canonical download location: the file itself when {@code direct}, else the archive
 *     that holds it
 * @param direct whether {@code url} serves exactly this file, so that {@link DataDirectory#fetch}
 *     may download it
 * @param zipPath when {@code url} is a zip archive that {@link DataDirectory#fetch} may unpack: the
 *     entry names leading to the file, outermost first (a zip inside the zip, then the file); empty
 *     otherwise. A file neither direct nor in a zip (CIFAR-10's tar.gz) must be placed by hand.
 * @param howTo a one-line instruction for a user who must place the file by hand
 */
public record DatasetFile(String dataset, String name, String algorithm, String checksum, boolean ofContent,
        URI url, boolean direct, List<String> zipPath, String howTo) {

    /** Validates and normalises the checksum. */
    public DatasetFile {
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(checksum, "checksum");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(howTo, "howTo");
        zipPath = List.copyOf(zipPath);
        if (direct && !zipPath.isEmpty()) {
            throw new IllegalArgumentException(dataset + "/" + name + ": a direct file has no zip path");
        }
        checksum = checksum.toLowerCase(Locale.ROOT);
        if (!checksum.matches("[0-9a-f]+")) {
            throw new IllegalArgumentException(dataset + "/" + name + ": checksum is not hex: " + checksum);
        }
    }

    /** @return whether {@link DataDirectory#fetch} can download it (directly or out of a zip) */
    public boolean fetchable() {
        return direct || !zipPath.isEmpty();
    }

    /** @return {@code dataset/name}, the file's path relative to the data directory */
    public String relativePath() {
        return dataset + "/" + name;
    }
}
