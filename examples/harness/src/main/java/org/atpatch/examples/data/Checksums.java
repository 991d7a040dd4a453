package org.atpatch.examples.data;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Digests of dataset files, as lower-case hex. */
final class Checksums {

    private static final int BUFFER = 1 << 16;

    private Checksums() {}

    /**
     * @param file a file
     * @param algorithm a {@link MessageDigest} algorithm
     * @param ofContent digest the gzip-decompressed content instead of the file's bytes
     * @return the digest, hex
     * @throws IOException when the file cannot be read (or is not valid gzip when {@code ofContent})
     */
    static String digest(Path file, String algorithm, boolean ofContent) throws IOException {
        MessageDigest md = newDigest(algorithm);
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = ofContent ? new GZIPInputStream(raw, BUFFER) : raw) {
            byte[] buf = new byte[BUFFER];
            for (int r; (r = in.read(buf)) > 0; ) {
                md.update(buf, 0, r);
            }
        } catch (EOFException | ZipException e) {
            throw new IOException(file + ": the gzip stream is truncated or corrupt (" + e.getMessage() + ")", e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * @param algorithm a {@link MessageDigest} algorithm
     * @return a new digest
     */
    static MessageDigest newDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no " + algorithm + " digest", e);
        }
    }
}
