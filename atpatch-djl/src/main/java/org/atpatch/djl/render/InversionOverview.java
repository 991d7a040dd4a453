package org.atpatch.djl.render;

import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.atpatch.djl.debugset.InversionReport;
import org.atpatch.djl.debugset.InvertedTrigger;
import org.atpatch.djl.debugset.MadAnomalyIndex;
import org.atpatch.djl.debugset.Trigger;

/**
 * One picture of a trigger-inversion run: a tile per class with its mask (contrast-stretched to its
 * own maximum, enlarged without blur) and its trigger stamped on a sample image, its mask L1 and
 * anomaly index; the classes the MAD test flags are outlined in {@link #FLAGGED_RGB} and the title
 * states the threshold. Tiles follow the report's class order, {@value #TILES_PER_ROW} to a row.
 *
 * <pre>{@code
 * InversionOverview.builder().setReport(inversion).setSample(cleanImage).build()
 *         .write(dir.resolve("inversion-overview.png"));
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class InversionOverview {

    /** The outline colour of a flagged class, {@code 0xRRGGBB}. */
    public static final int FLAGGED_RGB = Palette.FLAGGED.getRGB() & 0xffffff;
    /** Tiles per row. */
    public static final int TILES_PER_ROW = 5;

    private static final int MARGIN = 16;
    private static final int PAD = 8;
    private static final int HEADER = 64;
    private static final int LINE = 16;
    private static final int MIN_SIDE = 112;
    private static final int BORDER = 4;

    private final InversionReport report;
    private final float[] sample;
    private final List<String> classNames;
    private final int scale;
    private final int side;

    private InversionOverview(Builder b) {
        this.report = b.report;
        this.sample = b.sample.clone();
        this.classNames = b.classNames;
        Trigger first = report.triggers().get(0).trigger();
        this.scale = Palette.scale(first.height(), first.width(), MIN_SIDE);
        this.side = Math.max(first.height(), first.width()) * scale;
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the picture's width in pixels */
    public int width() {
        return 2 * MARGIN + Math.min(TILES_PER_ROW, report.triggers().size()) * tileWidth();
    }

    /** @return the picture's height in pixels */
    public int height() {
        int rows = (report.triggers().size() + TILES_PER_ROW - 1) / TILES_PER_ROW;
        return MARGIN + HEADER + rows * tileHeight() + MARGIN;
    }

    private int tileWidth() {
        return 3 * PAD + 2 * side;
    }

    private int tileHeight() {
        return 2 * PAD + 2 * LINE + side + 3 * LINE;
    }

    /**
     * The tile of the class at a position of {@link InversionReport#triggers()}; a flagged class's
     * outline is its 4-pixel border.
     *
     * @param position the class's position in the report
     * @return its bounds in the picture
     */
    Rectangle tile(int position) {
        int row = position / TILES_PER_ROW;
        int col = position % TILES_PER_ROW;
        return new Rectangle(MARGIN + col * tileWidth(), MARGIN + HEADER + row * tileHeight(), tileWidth(), tileHeight());
    }

    /** @return the picture */
    public BufferedImage render() {
        BufferedImage img = Palette.canvas(width(), height());
        Graphics2D g = Palette.graphics(img);
        MadAnomalyIndex mad = report.anomaly();
        int[] flagged = report.flaggedClasses();
        g.setColor(Palette.TEXT);
        g.setFont(Palette.TITLE);
        String verdict = flagged.length == 0 ? "no class flagged (" + report.outcome().name().toLowerCase(Locale.ROOT)
                .replace('_', ' ') + ")"
                : (flagged.length == 1 ? "class " : "classes ") + Arrays.stream(flagged).mapToObj(this::name)
                        .collect(Collectors.joining(", ")) + " flagged: suspected backdoor target"
                        + (flagged.length == 1 ? "" : "s");
        g.drawString("Trigger inversion: " + verdict, MARGIN, MARGIN + 16);
        g.setFont(Palette.LABEL);
        g.setColor(Palette.MUTED);
        g.drawString("Per class: the smallest mask that sends clean inputs to it (stretched to its own maximum, white; black"
                + " is 0), and that trigger stamped on a sample.", MARGIN, MARGIN + 38);
        g.drawString(String.format(Locale.ROOT, "Outlined: flagged, a mask L1 below the median (%.1f) with anomaly index"
                + " |L1 - median| / (%.4f MAD) > %.1f; MAD %.2f.", mad.median(), MadAnomalyIndex.CONSISTENCY,
                report.threshold(), mad.mad()), MARGIN, MARGIN + 54);
        List<InvertedTrigger> triggers = report.triggers();
        for (int i = 0; i < triggers.size(); i++) {
            drawTile(img, g, i, triggers.get(i), mad.isFlagged(i, report.threshold()));
        }
        g.dispose();
        return img;
    }

    private void drawTile(BufferedImage img, Graphics2D g, int position, InvertedTrigger t, boolean isFlagged) {
        Rectangle r = tile(position);
        MadAnomalyIndex mad = report.anomaly();
        int x = r.x + PAD;
        int y = r.y + PAD;
        g.setColor(Palette.TEXT);
        g.setFont(Palette.LABEL_BOLD);
        g.drawString("class " + name(t.target()) + (isFlagged ? "  FLAGGED" : ""), x, y + 12);
        float[] mask = t.mask();
        float max = 0;
        for (float v : mask) {
            max = Math.max(max, v);
        }
        g.setFont(Palette.LABEL);
        g.setColor(Palette.MUTED);
        g.drawString(String.format(Locale.ROOT, "mask (max %.2f)", max), x, y + LINE + 12);
        g.drawString("stamped", x + side + PAD, y + LINE + 12);
        int top = y + 2 * LINE;
        Trigger trig = t.trigger();
        int h = trig.height();
        int w = trig.width();
        for (int py = 0; py < h * scale; py++) {
            for (int px = 0; px < w * scale; px++) {
                img.setRGB(x + px, top + py, Palette.grey(Palette.level(mask[(py / scale) * w + px / scale], 0, max)));
            }
        }
        drawImage(img, trig.apply(sample), h, w, x + side + PAD, top);
        g.setColor(Palette.TEXT);
        int text = top + side + 14;
        g.drawString(String.format(Locale.ROOT, "mask L1 %.1f", t.maskL1()), x, text);
        g.drawString(String.format(Locale.ROOT, "anomaly index %.2f, %s median", mad.index(position),
                mad.belowMedian(position) ? "below" : "above"), x, text + LINE);
        g.setColor(Palette.MUTED);
        g.drawString(String.format(Locale.ROOT, "attack success %.0f%%", 100 * t.attackSuccess()), x, text + 2 * LINE);
        if (isFlagged) {
            Palette.outline(g, r.x, r.y, r.width, r.height, BORDER, Palette.FLAGGED);
        }
    }

    /** Draws a {@code C × H × W} image enlarged ({@link Palette#pixels}). */
    private void drawImage(BufferedImage img, float[] v, int h, int w, int x0, int y0) {
        int[] rgb = Palette.pixels(v, h * w);
        for (int py = 0; py < h * scale; py++) {
            for (int px = 0; px < w * scale; px++) {
                img.setRGB(x0 + px, y0 + py, rgb[(py / scale) * w + px / scale]);
            }
        }
    }

    private String name(int cls) {
        return classNames != null && cls < classNames.size() ? cls + " (" + classNames.get(cls) + ")" : String.valueOf(cls);
    }

    /**
     * Writes the picture as a PNG file, atomically.
     *
     * @param file the file to create or replace; its folder is created if missing
     * @throws IOException when it cannot be written
     */
    public void write(Path file) throws IOException {
        PngFiles.write(render(), file);
    }

    /** Builds an {@link InversionOverview}. */
    public static final class Builder {
        private InversionReport report;
        private float[] sample;
        private List<String> classNames;

        private Builder() {}

        /** @param report the inversion run to draw @return this */
        public Builder setReport(InversionReport report) {
            this.report = report;
            return this;
        }

        /**
         * @param sample one input of the inverted model, {@code C × H × W} values as the triggers
         *     expect (best a clean image of a class that is not flagged), on which each trigger is stamped
         * @return this
         */
        public Builder setSample(float[] sample) {
            this.sample = sample;
            return this;
        }

        /** @param classNames names by class index, shown beside the index; default none @return this */
        public Builder optClassNames(List<String> classNames) {
            this.classNames = List.copyOf(classNames);
            return this;
        }

        /** @return the overview */
        public InversionOverview build() {
            if (report == null) {
                throw new IllegalArgumentException("setReport(...) is required");
            }
            if (sample == null) {
                throw new IllegalArgumentException("setSample(...) is required: a clean input to stamp each trigger on");
            }
            Trigger t = report.triggers().get(0).trigger();
            if (sample.length != t.pattern().length) {
                throw new IllegalArgumentException("the sample has " + sample.length + " values but the triggers are for "
                        + t.sampleShape() + " inputs (" + t.pattern().length + " values)");
            }
            return new InversionOverview(this);
        }
    }
}
