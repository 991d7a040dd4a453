package org.atpatch.djl.render;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/** The colours, fonts and pixel helpers the pictures share. */
final class Palette {

    /** Outlines what was flagged (a class, a token column); no heat colour comes near it. */
    static final Color FLAGGED = new Color(0, 230, 255);
    static final Color BACKGROUND = Color.WHITE;
    static final Color TEXT = new Color(20, 20, 20);
    static final Color MUTED = new Color(110, 110, 110);
    static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    static final Font LABEL_BOLD = new Font(Font.SANS_SERIF, Font.BOLD, 12);

    /** Inferno colour map control points, from 0 (black) to 1 (pale yellow). */
    private static final int[][] INFERNO = {
        {0, 0, 4}, {40, 11, 84}, {101, 21, 110}, {159, 42, 99}, {212, 72, 66}, {245, 125, 21}, {250, 193, 39},
        {252, 255, 164},
    };

    private Palette() {}

    /**
     * @param t a value in [0, 1] (clamped)
     * @return its inferno colour as {@code 0xRRGGBB}
     */
    static int heat(double t) {
        double u = Math.max(0, Math.min(1, Double.isNaN(t) ? 0 : t)) * (INFERNO.length - 1);
        int i = Math.min(INFERNO.length - 2, (int) u);
        double f = u - i;
        int rgb = 0;
        for (int ch = 0; ch < 3; ch++) {
            rgb = (rgb << 8) | (int) Math.round(INFERNO[i][ch] + f * (INFERNO[i + 1][ch] - INFERNO[i][ch]));
        }
        return rgb;
    }

    /**
     * @param v a value
     * @param lo maps to 0
     * @param hi maps to 255
     * @return the grey level in [0, 255]
     */
    static int level(double v, double lo, double hi) {
        double u = hi > lo ? (v - lo) / (hi - lo) : 0;
        return (int) Math.round(255 * Math.max(0, Math.min(1, u)));
    }

    /** @return {@code 0xRRGGBB} of a grey level */
    static int grey(int g) {
        return (g << 16) | (g << 8) | g;
    }

    /** @return {@code a · (1 − w) + b · w} per channel, colours {@code 0xRRGGBB} */
    static int blend(int a, int b, double w) {
        int out = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int ca = (a >> shift) & 0xff;
            int cb = (b >> shift) & 0xff;
            out |= ((int) Math.round(ca * (1 - w) + cb * w)) << shift;
        }
        return out;
    }

    /**
     * The pixels of an image input: grey for one channel, RGB for three, else its first channel; values
     * stretched from {@code min(0, min v)} to {@code max(1, max v)}, so inputs in [0, 1] keep their levels.
     *
     * @param v {@code C × H × W} values, channel-major
     * @param plane {@code H × W}
     * @return {@code 0xRRGGBB} per pixel, row-major
     */
    static int[] pixels(float[] v, int plane) {
        float lo = 0;
        float hi = 1;
        for (float f : v) {
            lo = Math.min(lo, f);
            hi = Math.max(hi, f);
        }
        boolean rgb = v.length == 3 * plane;
        int[] out = new int[plane];
        for (int i = 0; i < plane; i++) {
            out[i] = rgb ? (level(v[i], lo, hi) << 16) | (level(v[plane + i], lo, hi) << 8) | level(v[2 * plane + i], lo, hi)
                    : grey(level(v[i], lo, hi));
        }
        return out;
    }

    /** @return the luminance of {@code 0xRRGGBB} in [0, 255], to pick dark or light text over it */
    static double luminance(int rgb) {
        return 0.299 * ((rgb >> 16) & 0xff) + 0.587 * ((rgb >> 8) & 0xff) + 0.114 * (rgb & 0xff);
    }

    /** @return a white image of the size with text antialiasing on */
    static BufferedImage canvas(int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(BACKGROUND);
        g.fillRect(0, 0, width, height);
        g.dispose();
        return img;
    }

    /** @return graphics for drawing on the image: text antialiased, shapes not (outlines stay exact colours) */
    static Graphics2D graphics(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
        return g;
    }

    /** Draws a rectangle outline {@code thickness} pixels wide inside the given bounds. */
    static void outline(Graphics2D g, int x, int y, int w, int h, int thickness, Color c) {
        g.setColor(c);
        for (int t = 0; t < thickness; t++) {
            g.drawRect(x + t, y + t, w - 1 - 2 * t, h - 1 - 2 * t);
        }
    }

    /**
     * The integer factor that enlarges an image to at least {@code minSide} pixels on its long side,
     * so that nearest-neighbour enlargement keeps every pixel a sharp square.
     */
    static int scale(int h, int w, int minSide) {
        return Math.max(1, (int) Math.ceil(minSide / (double) Math.max(h, w)));
    }
}
