package org.atpatch.examples.reproduce;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.InversionReport;
import org.atpatch.djl.render.InversionOverview;

/**
 * Writes an inversion run's files: the report's {@code summary.json} and per-class PNGs, and beside
 * them {@value #OVERVIEW}, every class's mask and stamped trigger in one picture.
 */
public final class InversionFiles {

    /** The overview picture's file name. */
    public static final String OVERVIEW = "inversion-overview.png";

    private InversionFiles() {}

    /**
     * @param report the inversion run
     * @param pool the clean images it ran on; the first one of a class the MAD test did not flag is
     *     the sample each trigger is stamped on
     * @param dir the folder, created if missing
     * @param classNames names by class index, or an empty list
     * @return the overview's path
     * @throws IOException when a file cannot be written
     */
    public static Path write(InversionReport report, LabelledData pool, Path dir, List<String> classNames)
            throws IOException {
        report.writeTo(dir);
        int[] flagged = report.flaggedClasses();
        int sample = 0;
        while (sample < pool.size() - 1 && contains(flagged, pool.labels()[sample])) {
            sample++;
        }
        InversionOverview.Builder overview = InversionOverview.builder().setReport(report).setSample(pool.sample(sample));
        if (!classNames.isEmpty()) {
            overview.optClassNames(classNames);
        }
        Path file = dir.resolve(OVERVIEW);
        overview.build().write(file);
        return file;
    }

    private static boolean contains(int[] classes, int c) {
        return Arrays.stream(classes).anyMatch(x -> x == c);
    }
}
