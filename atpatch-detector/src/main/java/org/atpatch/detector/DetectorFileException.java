package org.atpatch.detector;

import java.nio.file.Path;

/**
 * A detector file that cannot be loaded: not a detector file, an unsupported format version,
 * truncated, corrupt, or built for another architecture than the caller expects. The message names
 * the file and the problem.
 */
public final class DetectorFileException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * @param file the file
     * @param problem what is wrong with it
     */
    public DetectorFileException(Path file, String problem) {
        super("detector file " + file + ": " + problem);
        this.file = file;
    }

    /** @return the file */
    public Path file() {
        return file;
    }
}
