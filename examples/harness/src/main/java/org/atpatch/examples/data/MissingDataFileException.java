package org.atpatch.examples.data;

import java.io.FileNotFoundException;
import java.nio.file.Path;

/**
 * A canonical dataset file is not in the data directory. The message names the file, the exact path
 * it is expected at, and where to get it.
 */
public final class MissingDataFileException extends FileNotFoundException {

    private static final long serialVersionUID = 1L;

    private final transient DatasetFile file;
    private final transient Path expected;

    /**
     * @param file the missing file
     * @param expected where it was looked for
     */
    public MissingDataFileException(DatasetFile file, Path expected) {
        super("dataset file " + file.relativePath() + " is missing: expected at " + expected.toAbsolutePath()
                + "; " + file.howTo() + " (set the data directory with -D" + DataDirectory.PROPERTY + "=... or "
                + DataDirectory.ENV + "; or call DataDirectory.fetch on a machine with network)");
        this.file = file;
        this.expected = expected;
    }

    /** @return the missing file */
    public DatasetFile file() {
        return file;
    }

    /** @return where it was expected */
    public Path expected() {
        return expected;
    }
}
