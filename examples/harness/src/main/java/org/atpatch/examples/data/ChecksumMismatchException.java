package org.atpatch.examples.data;

import java.io.IOException;

/**
 * A dataset file's bytes are not the canonical ones: the message names the file and the expected and
 * actual digests.
 */
public final class ChecksumMismatchException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String expected;
    private final String actual;

    /**
     * @param file the file that was checked
     * @param where where its bytes were read (a path or a download address)
     * @param actual its digest, hex
     */
    public ChecksumMismatchException(DatasetFile file, String where, String actual) {
        super("dataset file " + file.relativePath() + " from " + where + " has the wrong "
                + file.algorithm() + ": expected " + file.checksum() + ", actual " + actual
                + " (a truncated or altered copy; delete it and put the canonical file there: " + file.howTo() + ")");
        this.expected = file.checksum();
        this.actual = actual;
    }

    /** @return the expected digest */
    public String expected() {
        return expected;
    }

    /** @return the digest of the bytes found */
    public String actual() {
        return actual;
    }
}
