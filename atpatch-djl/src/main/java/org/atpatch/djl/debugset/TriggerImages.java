package org.atpatch.djl.debugset;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * PNG renderings of a trigger: the mask as a grey image (black 0, white 1) and the pattern as a grey
 * (one channel) or RGB (three channels) image, or its channels side by side otherwise. Small inputs
 * are enlarged with nearest-neighbour pixels so a 28×28 mask stays legible.
 */
final class TriggerImages {

    /** Images are enlarged by an integer factor to at least this many pixels on their long side. */
    static final int MIN_SIDE = 112;

    private TriggerImages() {}

    static void writeMask(Trigger t, Path file) throws IOException {
        write(grey(t.mask(), t.height(), t.width(), 0, 1), file);
    }

    static void writePattern(Trigger t, Path file) throws IOException {
        float[] p = t.pattern();
        float lo = 0;
        float hi = 1;
        for (float v : p) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        int h = t.height();
        int w = t.width();
        int c = t.channels();
        if (c == 3) {
            int s = scale(h, w);
            BufferedImage img = new BufferedImage(w * s, h * s, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < h * s; y++) {
                for (int x = 0; x < w * s; x++) {
                    int i = (y / s) * w + x / s;
                    int r = level(p[i], lo, hi);
                    int g = level(p[h * w + i], lo, hi);
                    int b = level(p[2 * h * w + i], lo, hi);
                    img.setRGB(x, y, (r << 16) | (g << 8) | b);
                }
            }
            write(img, file);
            return;
        }
        // One channel, or several side by side.
        float[] tiled = new float[h * w * c];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    tiled[y * (w * c) + ch * w + x] = p[ch * h * w + y * w + x];
                }
            }
        }
        write(grey(tiled, h, w * c, lo, hi), file);
    }

    private static BufferedImage grey(float[] v, int h, int w, float lo, float hi) {
        int s = scale(h, w);
        BufferedImage img = new BufferedImage(w * s, h * s, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h * s; y++) {
            for (int x = 0; x < w * s; x++) {
                int g = level(v[(y / s) * w + x / s], lo, hi);
                img.getRaster().setSample(x, y, 0, g);
            }
        }
        return img;
    }

    private static int scale(int h, int w) {
        return Math.max(1, (int) Math.ceil(MIN_SIDE / (double) Math.max(h, w)));
    }

    private static int level(float v, float lo, float hi) {
        double u = (v - lo) / (double) (hi - lo);
        return (int) Math.round(255 * Math.max(0, Math.min(1, u)));
    }

    private static void write(BufferedImage img, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer available for " + file);
        }
    }
}
