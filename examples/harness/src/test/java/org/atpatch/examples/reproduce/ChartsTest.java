package org.atpatch.examples.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {

    private static int count(BufferedImage img, Color c) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xffffff) == (c.getRGB() & 0xffffff)) {
                    n++;
                }
            }
        }
        return n;
    }

    private static Map<String, Map<String, Double>> values(String... methods) {
        Map<String, Map<String, Double>> v = new LinkedHashMap<>();
        for (int i = 0; i < methods.length; i++) {
            v.put(methods[i], Map.of("mnist-badnets", 90.0 - 20 * i, "mnist-trojan", 80.0 - 20 * i));
        }
        return v;
    }

    @Test
    void aMethodKeepsItsColourWhateverTheOrderAndThePaperIsMarked(@TempDir Path dir) throws Exception {
        assertEquals(Charts.colour("token-state"), Charts.colour("token-state (default)"));
        assertNotEquals(Charts.colour("gamma"), Charts.colour("token-state"));
        assertEquals(Charts.colour("some-new-rule"), Charts.colour("some-new-rule"));
        Path a = dir.resolve("a.png");
        Path b = dir.resolve("b.png");
        Path plain = dir.resolve("plain.png");
        Map<String, double[]> paper = Map.of("mnist-badnets", new double[] {98.42, 98.42});
        Charts.bars(a, "A", "Acc (%)", values("original", "gamma", "token-state (default)"), paper);
        Charts.bars(b, "B", "Acc (%)", values("token-state", "original"), paper);
        Charts.bars(plain, "B", "Acc (%)", values("token-state", "original"), Map.of());
        BufferedImage ia = ImageIO.read(a.toFile());
        BufferedImage ib = ImageIO.read(b.toFile());
        assertEquals(1000, ia.getWidth());
        assertEquals(560, ia.getHeight());
        for (String method : new String[] {"original", "token-state"}) {
            Color c = Charts.colour(method);
            assertTrue(count(ia, c) > 500, method + " bars in chart A");
            assertTrue(count(ib, c) > 500, method + " bars in chart B");
        }
        assertTrue(count(ia, Charts.colour("gamma")) > 500);
        assertEquals(0, count(ib, Charts.colour("gamma")), "no gamma bars in chart B, and no other method in its colour");
        // The paper's markers: a black diamond (AtPatch) and a black-outlined white one (original).
        int marked = count(ImageIO.read(b.toFile()), Color.BLACK);
        int unmarked = count(ImageIO.read(plain.toFile()), Color.BLACK);
        assertTrue(marked > unmarked + 50, "black marker pixels: " + marked + " vs " + unmarked + " without markers");
    }
}
