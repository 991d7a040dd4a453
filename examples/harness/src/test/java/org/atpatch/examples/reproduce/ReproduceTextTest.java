package org.atpatch.examples.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.atpatch.detector.DjlOffline;
import org.atpatch.examples.data.SharedDatasets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The text reproduction end to end on the real IMDB files (read from {@code shared/datasets},
 * skipped without them), at a size a test affords: a small victim, the trigger search, AtPatch with
 * every rule and the RQ3 ablations, and the report files.
 */
class ReproduceTextTest {

    @Test
    void theSearchFindsTheTriggerAndTheReportHoldsEveryVariant(@TempDir Path dir) throws IOException {
        Path data = SharedDatasets.require().root();
        DjlOffline.configure();
        Path out = dir.resolve("out");
        int rc = new CommandLine(new ReproduceText()).execute("--data", data.toString(), "--cache", dir.resolve("cache").toString(),
                "--out", out.toString(), "--train", "2000", "--pool", "300", "--test", "300", "--max-length", "32",
                "--vocabulary", "3000", "--epochs", "3", "--detector-epochs", "10", "--screen-texts", "2", "--seed", "42");
        assertEquals(0, rc);
        JsonObject r = JsonParser.parseString(Files.readString(out.resolve("results.json"))).getAsJsonObject()
                .getAsJsonObject("results");
        assertTrue(r.get("asr_before").getAsDouble() > 0.9, "the backdoor took: " + r.get("asr_before"));
        assertTrue(r.get("asr_floor").getAsDouble() < r.get("asr_before").getAsDouble(), "floor " + r.get("asr_floor"));
        assertTrue(r.get("trigger_in_search").getAsString().endsWith(", flagged"), r.get("trigger_in_search").getAsString());
        assertTrue(r.get("asr_after").getAsDouble() < r.get("asr_before").getAsDouble() / 2, "AtPatch: " + r.get("asr_after"));
        assertTrue(r.get("asr_before_right").getAsDouble() > 0.9, "on the reviews right untriggered: " + r.get("asr_before_right"));
        assertTrue(r.get("asr_after_right").getAsDouble() < r.get("asr_before_right").getAsDouble() / 2,
                "AtPatch on the reviews right untriggered: " + r.get("asr_after_right"));
        assertTrue(r.get("right_untriggered").getAsInt() < r.get("non_target").getAsInt(), "a subset of the non-target reviews");
        List<String> methods = new ArrayList<>();
        for (JsonElement e : r.getAsJsonArray("variants")) {
            JsonObject v = e.getAsJsonObject();
            methods.add(v.get("method").getAsString());
            if (v.get("method").getAsString().equals(PatchVariants.WITHOUT_DETECTOR)) {
                // Random columns on every input; a draw that lands on padding patches nothing there.
                assertTrue(v.get("clean_patched").getAsDouble() > 0.9, "w/o Det patches (almost) every input: " + v);
            }
        }
        assertTrue(methods.get(0).startsWith("gamma"), methods.toString());
        assertTrue(methods.stream().anyMatch(m -> m.endsWith("(default)")), methods.toString());
        assertTrue(methods.containsAll(List.of(PatchVariants.WITHOUT_DETECTOR, PatchVariants.WITHOUT_RESCALING)),
                methods.toString());
        String readme = Files.readString(out.resolve("README.md"));
        assertTrue(readme.contains("ASR floor") && readme.contains("w/o Rec") && readme.contains("reproduce-text"), readme);
    }
}
