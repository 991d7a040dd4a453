package org.atpatch.examples.reproduce;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.StringJoiner;
import org.atpatch.djl.debugset.InvertedTrigger;
import org.atpatch.djl.debugset.RegionInversion;

/** How the backdoor harness records a {@link RegionInversion} scan: a CSV of every attempt and a one-line summary. */
final class RegionScans {

    private RegionScans() {}

    /**
     * Writes one row per (region, class) attempt.
     *
     * @param scan the scan
     * @param file the CSV file (its folder is created)
     * @throws IOException when it cannot be written
     */
    static void writeCsv(RegionInversion.Result scan, Path file) throws IOException {
        ResultTable t = new ResultTable("top", "left", "height", "width", "class", "mask_l1", "attack_success", "fired",
                "selected");
        for (RegionInversion.Attempt a : scan.attempts()) {
            RegionInversion.Region r = a.region();
            InvertedTrigger it = a.trigger();
            t.add(r.top(), r.left(), r.height(), r.width(), it.target(), it.maskL1(), it.attackSuccess(), a.fired(),
                    scan.selected().contains(it));
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        t.writeCsv(file);
    }

    /**
     * @param scan the scan
     * @return per candidate the regions it fired in, and per selected class the region and L1 of its trigger
     */
    static String summary(RegionInversion.Result scan) {
        StringJoiner s = new StringJoiner("; ");
        for (int c : scan.candidates()) {
            s.add(String.format(Locale.ROOT, "class %d fired in %d of %d regions", c, scan.firedRegions(c),
                    scan.regions().size()));
        }
        for (RegionInversion.Attempt a : scan.attempts()) {
            if (scan.selected().contains(a.trigger())) {
                s.add(String.format(Locale.ROOT, "class %d's trigger from %s (L1 %.2f, success %.3f)",
                        a.trigger().target(), a.region(), a.trigger().maskL1(), a.trigger().attackSuccess()));
            }
        }
        return s.toString();
    }
}
