package org.atpatch.examples.data;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds {@code shared/datasets} beside the repository, for the tests that read the real files. */
public final class SharedDatasets {

    private SharedDatasets() {}

    /** @return the folder, or null when there is none (tests using it are then skipped) */
    public static Path find() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("shared").resolve("datasets");
            if (Files.isRegularFile(d.resolve("SHA256SUMS"))) {
                return d;
            }
        }
        return null;
    }

    /** @return the data directory on {@code shared/datasets}; skips the test when it is absent */
    public static DataDirectory require() {
        Path d = find();
        assumeTrue(d != null, "shared/datasets is not beside the repository");
        return new DataDirectory(d);
    }
}
