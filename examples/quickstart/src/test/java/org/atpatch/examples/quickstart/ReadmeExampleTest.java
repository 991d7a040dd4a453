package org.atpatch.examples.quickstart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.atpatch.core.Metrics;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.debugset.PlantedBackdoor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's snippet is {@link ReadmeExample}'s, and it works with the library's defaults. */
class ReadmeExampleTest {

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent().getParent();

    @Test
    void theReadmeSnippetIsTheCompiledOne() throws IOException {
        List<String> code = between(Files.readAllLines(
                Path.of("src/main/java/org/atpatch/examples/quickstart/ReadmeExample.java"), StandardCharsets.UTF_8),
                "// README:begin", "// README:end");
        List<String> readme = Files.readAllLines(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
        String snippet = String.join("\n", readme.stream().map(String::strip).toList());
        String compiled = String.join("\n", code.stream().map(String::strip).toList());
        assertTrue(code.size() >= 5, "the compiled snippet has its lines: " + code);
        assertTrue(snippet.contains(compiled), "README.md must contain ReadmeExample's lines verbatim (indentation aside):\n"
                + compiled);
    }

    @Test
    void theSnippetRemovesAPlantedBackdoorWithTheDefaults(@TempDir Path dir) throws IOException {
        PlantedBackdoor victim = PlantedBackdoor.get();
        LabelledData pool = victim.test.range(0, 300);
        LabelledData eval = victim.test.range(300, victim.test.size());
        LabelledData triggered = victim.trueTrigger.apply(eval.subset(IntStream.range(0, eval.size())
                .filter(i -> eval.labels()[i] != PlantedBackdoor.TARGET).toArray()));
        double asrBefore = Metrics.attackSuccessRate(Predictions.classes(victim.model, triggered, 256),
                triggered.labels(), PlantedBackdoor.TARGET);
        Path bundle = dir.resolve("victim.atpatch");
        try (NDManager m = NDManager.newBaseManager();
                PatchedModel loaded = ReadmeExample.run(victim.model, pool, eval.batch(m, 0, 8), bundle)) {
            assertTrue(Files.isRegularFile(bundle), "the bundle was saved");
            double asrAfter = Metrics.attackSuccessRate(Predictions.classes(loaded, triggered, 256),
                    triggered.labels(), PlantedBackdoor.TARGET);
            assertTrue(asrBefore >= 0.9 && asrAfter <= 0.10, "ASR " + asrBefore + " -> " + asrAfter);
            double accBefore = Metrics.accuracy(Predictions.classes(victim.model, eval, 256), eval.labels());
            double accAfter = Metrics.accuracy(Predictions.classes(loaded, eval, 256), eval.labels());
            assertTrue(accAfter >= accBefore - 0.02, "accuracy " + accBefore + " -> " + accAfter);
            NDArray x = eval.batch(m, 0, 8);
            assertArrayEquals(loaded.predict(x).toFloatArray(), loaded.predict(x).toFloatArray(), 0f);
            assertEquals(8, loaded.predictWithReport(x).reports().size());
        }
    }

    private static List<String> between(List<String> lines, String begin, String end) {
        int a = IntStream.range(0, lines.size()).filter(i -> lines.get(i).strip().equals(begin)).findFirst().orElseThrow();
        int b = IntStream.range(0, lines.size()).filter(i -> lines.get(i).strip().equals(end)).findFirst().orElseThrow();
        return Arrays.asList(lines.subList(a + 1, b).toArray(new String[0]));
    }
}
