package org.atpatch.examples.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CanonicalFilesTest {

    @Test
    void everyFileOfSha256SumsIsKnownWithTheSameChecksum() throws IOException {
        DataDirectory dir = SharedDatasets.require();
        List<String> lines = Files.readAllLines(dir.root().resolve("SHA256SUMS"));
        assertEquals(25, lines.size());
        for (String line : lines) {
            String[] parts = line.split("\\s+");
            String[] path = parts[1].split("/");
            DatasetFile f = CanonicalFiles.get(path[0], path[1]);
            assertEquals("SHA-256", f.algorithm());
            assertEquals(parts[0], f.checksum(), parts[1]);
        }
    }

    @Test
    void everySharedFileHasItsCanonicalChecksum() throws IOException {
        DataDirectory dir = SharedDatasets.require();
        int present = 0;
        for (DatasetFile f : CanonicalFiles.all()) {
            if (dir.isPresent(f)) {
                Path p = dir.require(f);
                assertTrue(Files.size(p) > 0);
                present++;
            }
        }
        assertEquals(25, present, "the 25 files of SHA256SUMS");
    }

    @Test
    void everyDatasetFolderIsCovered() {
        for (String d : List.of("mnist", "fashion-mnist", "cifar10", "adult", "compas", "bank")) {
            assertTrue(CanonicalFiles.all().stream().anyMatch(f -> f.dataset().equals(d)), d);
        }
        assertTrue(CanonicalFiles.ADULT_DATA.direct());
        assertEquals("MD5", CanonicalFiles.get("cifar10", "data_batch_3.bin").algorithm());
    }
}
