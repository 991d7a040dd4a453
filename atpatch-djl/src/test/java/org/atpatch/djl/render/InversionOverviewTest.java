package org.atpatch.djl.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.atpatch.djl.debugset.InversionReport;
import org.atpatch.djl.debugset.InvertedTrigger;
import org.atpatch.djl.debugset.NoFlagPolicy;
import org.atpatch.djl.debugset.Trigger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InversionOverviewTest {

    private static final Shape SHAPE = new Shape(1, 12, 12);

    /** A report over masks of the given L1 norms: a square block in the bottom-right corner per class. */
    private static InversionReport report(double... norms) {
        List<InvertedTrigger> triggers = new ArrayList<>();
        for (int c = 0; c < norms.length; c++) {
            float[] mask = new float[144];
            double left = norms[c];
            for (int i = 143; i >= 0 && left > 0; i--) {
                mask[i] = (float) Math.min(1, left);
                left -= mask[i];
            }
            float[] pattern = new float[144];
            java.util.Arrays.fill(pattern, 1f);
            Trigger t = Trigger.of(c, mask, pattern, SHAPE);
            triggers.add(new InvertedTrigger(t, t.maskL1(), 0.97, true, 50, 1e-3));
        }
        return InversionReport.analyse(triggers, 2.0, NoFlagPolicy.USE_SMALLEST_NORM, Map.of(), 1);
    }

    private static int flaggedPixels(BufferedImage img) {
        int count = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xffffff) == InversionOverview.FLAGGED_RGB) {
                    count++;
                }
            }
        }
        return count;
    }

    @Test
    void theFlaggedClassAloneIsOutlinedInAValidPngOfTheStatedSize(@TempDir Path dir) throws Exception {
        InversionReport r = report(30, 31, 3, 29, 32, 30, 28);
        assertArrayEquals(new int[] {2}, r.flaggedClasses());
        float[] sample = new float[144];
        java.util.Arrays.fill(sample, 0.25f);
        InversionOverview overview = InversionOverview.builder().setReport(r).setSample(sample)
                .optClassNames(List.of("a", "b", "c", "d", "e", "f", "g")).build();
        Path file = dir.resolve("sub").resolve("overview.png");
        overview.write(file);
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(file), 8);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head);
        BufferedImage img = ImageIO.read(file.toFile());
        assertEquals(overview.width(), img.getWidth());
        assertEquals(overview.height(), img.getHeight());
        assertEquals(2 * 16 + 5 * (3 * 8 + 2 * 120), img.getWidth(), "5 tiles to a row, 12 px enlarged 10x to 120");
        for (int position = 0; position < 7; position++) {
            Rectangle t = overview.tile(position);
            int corner = img.getRGB(t.x + 1, t.y + 1) & 0xffffff;
            int bottom = img.getRGB(t.x + t.width / 2, t.y + t.height - 2) & 0xffffff;
            if (position == 2) {
                assertEquals(InversionOverview.FLAGGED_RGB, corner);
                assertEquals(InversionOverview.FLAGGED_RGB, bottom);
            } else {
                assertNotEquals(InversionOverview.FLAGGED_RGB, corner, "class " + position);
                assertNotEquals(InversionOverview.FLAGGED_RGB, bottom, "class " + position);
            }
        }
        // The stamped trigger (white square over a dark sample) sits in the bottom-right of the second image.
        Rectangle t = overview.tile(0);
        int stampedRight = t.x + 8 + 120 + 8 + 120 - 2;
        int imageBottom = t.y + 8 + 32 + 120 - 2;
        assertEquals(0xffffff, img.getRGB(stampedRight, imageBottom) & 0xffffff);
        assertNotEquals(0xffffff, img.getRGB(stampedRight - 110, imageBottom - 110) & 0xffffff);
    }

    @Test
    void nothingIsOutlinedWhenNoClassIsFlagged() {
        InversionReport r = report(30, 31, 29, 32, 30);
        assertEquals(0, r.flaggedClasses().length);
        BufferedImage img = InversionOverview.builder().setReport(r).setSample(new float[144]).build().render();
        assertEquals(0, flaggedPixels(img));
        assertTrue(img.getWidth() > 0);
    }

    @Test
    void aSampleOfAnotherShapeIsRefused() {
        InversionReport r = report(30, 31, 3, 29, 32, 30, 28);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InversionOverview.builder().setReport(r).setSample(new float[10]).build());
        assertTrue(e.getMessage().contains("144"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> InversionOverview.builder().setSample(new float[144]).build());
    }
}
