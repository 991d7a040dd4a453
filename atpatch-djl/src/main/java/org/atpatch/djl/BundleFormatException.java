package org.atpatch.djl;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A patch bundle file that cannot be used: missing, not a bundle, of a format version this build does
 * not read, truncated, failing a checksum, or with a manifest field missing or of the wrong type. The
 * message names the file and the part; {@link #file()} and {@link #part()} give them to code that
 * acts on the failure (for example, keeps serving the bundle it has).
 */
public final class BundleFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String part;

    /**
     * @param file the bundle file
     * @param part the part at fault ({@code manifest.json}, {@code detector.bin}, a manifest field such
     *     as {@code manifest.json: tau}), or {@code null} for the file as a whole
     * @param problem what is wrong
     * @param cause the underlying failure, or {@code null}
     */
    public BundleFormatException(Path file, String part, String problem, Throwable cause) {
        super("patch bundle " + file + (part != null ? ", " + part : "") + ": " + problem, cause);
        this.file = file;
        this.part = part;
    }

    /** @return the bundle file */
    public Path file() {
        return file;
    }

    /** @return the part at fault, or {@code null} for the file as a whole */
    public String part() {
        return part;
    }
}
