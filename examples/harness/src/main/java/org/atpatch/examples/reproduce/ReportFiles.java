package org.atpatch.examples.reproduce;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.atpatch.core.AtomicFiles;

/** The files every reproduction report writes besides its tables: the README and results.json. */
final class ReportFiles {

    private ReportFiles() {}

    /**
     * Writes {@code README.md}: a title, the command that made the run, then each section's table.
     *
     * @param dir the results folder
     * @param title the heading
     * @param command the command line that reproduces the run
     * @param sections heading → markdown table, in order
     * @param footer text after the last section
     * @throws IOException when the file cannot be written
     */
    static void readme(Path dir, String title, String command, Map<String, ResultTable> sections, String footer)
            throws IOException {
        StringBuilder md = new StringBuilder("# ").append(title).append("\n\nMade by:\n\n```bash\n").append(command)
                .append("\n```\n");
        sections.forEach((heading, table) -> md.append("\n## ").append(heading).append("\n\n").append(table.markdown()));
        md.append(footer);
        write(dir.resolve("README.md"), md.toString());
    }

    /**
     * Writes {@code results.json} (pretty-printed; NaN kept as NaN).
     *
     * @param dir the results folder
     * @param json everything the run measured
     * @throws IOException when the file cannot be written
     */
    static void json(Path dir, Map<String, Object> json) throws IOException {
        write(dir.resolve("results.json"),
                new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(json));
    }

    private static void write(Path file, String text) throws IOException {
        AtomicFiles.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }
}
