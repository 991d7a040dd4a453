package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InversionReportTest {

    /** Inverted triggers whose masks have the given L1 norms (a block of ones plus a fraction). */
    private static List<InvertedTrigger> triggers(Shape shape, double... norms) {
        List<InvertedTrigger> out = new ArrayList<>();
        int plane = (int) (shape.get(1) * shape.get(2));
        for (int c = 0; c < norms.length; c++) {
            float[] mask = new float[plane];
            double left = norms[c];
            for (int i = 0; i < plane && left > 0; i++) {
                mask[i] = (float) Math.min(1, left);
                left -= mask[i];
            }
            float[] pattern = new float[(int) shape.size()];
            for (int i = 0; i < pattern.length; i++) {
                pattern[i] = (i % 7) / 6f;
            }
            Trigger t = Trigger.of(c, mask, pattern, shape);
            out.add(new InvertedTrigger(t, t.maskL1(), 0.99, true, 100, 1e-2));
        }
        return out;
    }

    @Test
    void flagsTheSmallOutlierAndSelectsIt() {
        InversionReport r = InversionReport.analyse(triggers(new Shape(1, 8, 8), 20, 21, 3, 22, 19, 23),
                2.0, NoFlagPolicy.USE_SMALLEST_NORM, Map.of("seed", "0"), 1.5);
        assertArrayEquals(new int[] {2}, r.flaggedClasses());
        assertEquals(InversionReport.Outcome.FLAGGED, r.outcome());
        assertEquals(1, r.selected().size());
        assertEquals(2, r.selected().get(0).target());
        assertTrue(r.anomalyIndex(2) > 2, "index " + r.anomalyIndex(2));
        assertEquals(3, r.maskL1(2), 1e-5);
        assertThrows(IllegalArgumentException.class, () -> r.maskL1(9));
    }

    @Test
    void noFlagPolicies() {
        List<InvertedTrigger> clean = triggers(new Shape(1, 8, 8), 20, 21, 18, 22, 19, 23);
        InversionReport smallest = InversionReport.analyse(clean, 2.0, NoFlagPolicy.USE_SMALLEST_NORM, Map.of(), 0);
        assertEquals(0, smallest.flaggedClasses().length);
        assertEquals(InversionReport.Outcome.NONE_FLAGGED_SMALLEST_SELECTED, smallest.outcome());
        assertEquals(2, smallest.selected().get(0).target());

        InversionReport empty = InversionReport.analyse(clean, 2.0, NoFlagPolicy.EMPTY, Map.of(), 0);
        assertEquals(InversionReport.Outcome.NONE_FLAGGED_NOTHING_SELECTED, empty.outcome());
        assertTrue(empty.selected().isEmpty());

        NoTargetFlaggedException e = assertThrows(NoTargetFlaggedException.class,
                () -> InversionReport.analyse(clean, 2.0, NoFlagPolicy.FAIL, Map.of(), 0));
        assertTrue(e.getMessage().contains("may be clean"), e.getMessage());
        assertNotNull(e.report());
        assertEquals(6, e.report().triggers().size());
    }

    @Test
    void rejectsRepeatedOrMissingClasses() {
        List<InvertedTrigger> t = triggers(new Shape(1, 4, 4), 3, 4);
        List<InvertedTrigger> twice = List.of(t.get(0), t.get(0));
        assertThrows(IllegalArgumentException.class,
                () -> InversionReport.analyse(twice, 2, NoFlagPolicy.EMPTY, Map.of(), 0));
        assertThrows(IllegalArgumentException.class,
                () -> InversionReport.analyse(List.of(), 2, NoFlagPolicy.EMPTY, Map.of(), 0));
    }

    @Test
    void writesJsonAndDecodablePngs(@TempDir Path dir) throws Exception {
        InversionReport r = InversionReport.analyse(triggers(new Shape(1, 28, 28), 30, 31, 4, 29, 32),
                2.0, NoFlagPolicy.USE_SMALLEST_NORM, Map.of("seed", "7"), 2.5);
        List<Path> files = r.writeTo(dir.resolve("report"));
        assertEquals(5 * 2 + 1, files.size());
        for (int c = 0; c < 5; c++) {
            BufferedImage mask = ImageIO.read(dir.resolve("report/class-" + c + "-mask.png").toFile());
            BufferedImage pattern = ImageIO.read(dir.resolve("report/class-" + c + "-pattern.png").toFile());
            assertNotNull(mask);
            assertNotNull(pattern);
            assertEquals(28 * 4, mask.getWidth()); // enlarged ×4 to 112 px
            assertEquals(28 * 4, mask.getHeight());
        }
        // class 2's mask: 4 ones at the start of row 0, so pixel (0, 0) is white and (27, 27) black
        BufferedImage m2 = ImageIO.read(dir.resolve("report/class-2-mask.png").toFile());
        assertEquals(255, m2.getRaster().getSample(0, 0, 0));
        assertEquals(0, m2.getRaster().getSample(111, 111, 0));

        JsonObject json = JsonParser.parseString(Files.readString(dir.resolve("report/summary.json"))).getAsJsonObject();
        assertEquals(5, json.getAsJsonArray("classes").size());
        JsonObject c2 = json.getAsJsonArray("classes").get(2).getAsJsonObject();
        assertEquals(2, c2.get("class").getAsInt());
        assertTrue(c2.get("flagged").getAsBoolean());
        assertEquals(r.anomalyIndex(2), c2.get("anomalyIndex").getAsDouble(), 1e-9);
        assertEquals("class-2-mask.png", c2.get("maskPng").getAsString());
        assertEquals(2, json.getAsJsonArray("flagged").get(0).getAsInt());
        assertEquals("FLAGGED", json.get("outcome").getAsString());
        assertEquals("7", json.getAsJsonObject("configuration").get("seed").getAsString());
        assertEquals(1.4826, json.get("consistency").getAsDouble(), 0);
    }

    @Test
    void colourPatternsAreWrittenAsRgb(@TempDir Path dir) throws Exception {
        InversionReport r = InversionReport.analyse(triggers(new Shape(3, 8, 8), 5, 6, 7),
                2.0, NoFlagPolicy.EMPTY, Map.of(), 0);
        r.writeTo(dir);
        BufferedImage p = ImageIO.read(dir.resolve("class-0-pattern.png").toFile());
        assertEquals(8 * 14, p.getWidth());
        assertTrue(p.getColorModel().getNumComponents() >= 3);
        InversionReport two = InversionReport.analyse(triggers(new Shape(2, 8, 8), 5, 6, 7),
                2.0, NoFlagPolicy.EMPTY, Map.of(), 0);
        two.writeTo(dir.resolve("two"));
        BufferedImage side = ImageIO.read(dir.resolve("two/class-0-pattern.png").toFile());
        assertEquals(2 * side.getHeight(), side.getWidth(), "two channels side by side");
        assertSame(r.triggers().get(0), r.trigger(0));
    }
}
