package org.atpatch.djl.render;

import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.atpatch.core.AnomalySet;
import org.atpatch.core.ImageTokenLayout;
import org.atpatch.core.TokenLayout;
import org.atpatch.djl.AttentionAudit;
import org.atpatch.djl.PatchReport;

/**
 * One picture of what a patched model attended to for a few audited inputs ({@link
 * org.atpatch.djl.PatchedModel#audit}): a row per input, with the input, then for every layer the
 * attention each token column draws (the mean over query rows of the head-averaged map, {@link
 * AttentionAudit#columnAttention}) in the unpatched forward, then the same in the forward whose
 * output the input got. For an image layout the attention is a heat overlay on the image, patch by
 * patch; otherwise a heat strip beside the feature names. Columns are outlined in {@link
 * #FLAGGED_RGB}: on the unpatched side the columns the detector flagged at that layer, on the patched
 * side the columns the patch rule was applied to. Heat is relative, per input and layer, to the
 * largest non-special column of both sides, so the two sides compare directly.
 *
 * <pre>{@code
 * AttentionAudit audit = patched.audit(batch);
 * AttentionPicture.builder().setAudit(audit).setLayout(vit.tokenLayout())
 *         .addSample(0, "triggered", image0).addSample(1, "clean", image1).build()
 *         .write(Path.of("attention.png"));
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class AttentionPicture {

    /** The outline colour of a flagged column, {@code 0xRRGGBB}. */
    public static final int FLAGGED_RGB = Palette.FLAGGED.getRGB() & 0xffffff;

    private static final int MARGIN = 16;
    private static final int PAD = 8;
    private static final int GAP = 24;
    private static final int LINE = 16;
    private static final int TITLE = 80;
    private static final int LEGEND = 40;
    private static final int MIN_SIDE = 112;
    private static final int STRIP = 56;
    private static final int BOX = 16;
    private static final int OUTLINE = 2;
    /** How much of the heat colour shows over the image. */
    private static final double HEAT_WEIGHT = 0.7;

    private final AttentionAudit audit;
    private final TokenLayout layout;
    private final ImageTokenLayout image;
    private final List<Row> rows;
    private final List<String> classNames;
    private final int scale;
    private final int cellW;
    private final int cellH;
    private final int inputW;

    private record Row(int sample, String caption, float[] input) {}

    private AttentionPicture(Builder b) {
        this.audit = b.audit;
        this.layout = b.layout;
        this.image = layout instanceof ImageTokenLayout i ? i : null;
        this.rows = List.copyOf(b.rows);
        this.classNames = b.classNames;
        if (image != null) {
            scale = Palette.scale(image.height(), image.width(), MIN_SIDE);
            cellW = image.width() * scale;
            cellH = image.height() * scale + LINE;
            inputW = cellW;
        } else {
            scale = 1;
            cellW = STRIP;
            cellH = layout.size() * BOX;
            BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = probe.createGraphics();
            FontMetrics fm = g.getFontMetrics(Palette.LABEL);
            int widest = 0;
            for (int j = 0; j < layout.size(); j++) {
                widest = Math.max(widest, fm.stringWidth(layout.describe(j)));
            }
            g.dispose();
            inputW = widest + PAD;
        }
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    private int layers() {
        return audit.layers();
    }

    /** @return the picture's width in pixels */
    public int width() {
        return Math.max(820, 2 * MARGIN + inputW + PAD + 2 * layers() * (cellW + PAD) + GAP);
    }

    /** @return the picture's height in pixels */
    public int height() {
        return MARGIN + TITLE + rows.size() * rowHeight() + LEGEND + MARGIN;
    }

    private int rowHeight() {
        return 3 * LINE + 4 + cellH + PAD;
    }

    /**
     * The area of one layer's cell (the image's pixels, or the strip of column boxes).
     *
     * @param row the picture's row (the {@code row}-th added sample)
     * @param patched false for the unpatched side
     * @param layer the layer
     * @return its bounds in the picture
     */
    Rectangle cell(int row, boolean patched, int layer) {
        int x = MARGIN + inputW + PAD + (patched ? layers() * (cellW + PAD) + GAP : 0) + layer * (cellW + PAD);
        int y = MARGIN + TITLE + row * rowHeight() + 3 * LINE + 4;
        return new Rectangle(x, y, cellW, image != null ? cellH - LINE : cellH);
    }

    /**
     * The area of one token column inside a cell; its outline, when flagged, is its border.
     *
     * @param row the picture's row
     * @param patched false for the unpatched side
     * @param layer the layer
     * @param column a column; for an image layout a non-special one
     * @return its bounds in the picture
     */
    Rectangle column(int row, boolean patched, int layer, int column) {
        Rectangle c = cell(row, patched, layer);
        if (image != null) {
            int[] r = image.region(column);
            return new Rectangle(c.x + r[1] * scale, c.y + r[0] * scale, (r[3] - r[1]) * scale, (r[2] - r[0]) * scale);
        }
        return new Rectangle(c.x, c.y + column * BOX, cellW, BOX);
    }

    /** @return the picture */
    public BufferedImage render() {
        BufferedImage img = Palette.canvas(width(), height());
        Graphics2D g = Palette.graphics(img);
        g.setColor(Palette.TEXT);
        g.setFont(Palette.TITLE);
        g.drawString("Attention each token column draws, before and after the patch", MARGIN, MARGIN + 16);
        g.setFont(Palette.LABEL);
        g.setColor(Palette.MUTED);
        g.drawString("Heat: attention a column receives, mean over queries and heads, relative to the input's largest"
                + (image != null ? " patch" : "") + " column at that layer.", MARGIN, MARGIN + 36);
        g.drawString("Outlined: the detector's flags at that layer (unpatched); the columns the patch rule changed (patched).",
                MARGIN, MARGIN + 52);
        int top = MARGIN + TITLE;
        g.setColor(Palette.TEXT);
        g.setFont(Palette.LABEL_BOLD);
        g.drawString("unpatched", cell(0, false, 0).x, top - 6);
        g.drawString("patched", cell(0, true, 0).x, top - 6);
        for (int r = 0; r < rows.size(); r++) {
            drawRow(img, g, r);
        }
        drawLegend(img, g, top + rows.size() * rowHeight());
        g.dispose();
        return img;
    }

    private void drawRow(BufferedImage img, Graphics2D g, int r) {
        Row row = rows.get(r);
        PatchReport report = audit.reports().get(row.sample);
        int y = MARGIN + TITLE + r * rowHeight();
        g.setColor(Palette.TEXT);
        g.setFont(Palette.LABEL_BOLD);
        int before = audit.classBefore(row.sample);
        int after = audit.classAfter(row.sample);
        String outcome = report.patched() ? "patched; predicted " + name(before) + " unpatched, " + name(after) + " patched"
                : "not patched; predicted " + name(after) + ", the unpatched output";
        g.drawString(row.caption + ": " + outcome, MARGIN, y + 12);
        g.setFont(Palette.LABEL);
        g.setColor(Palette.MUTED);
        int[] union = report.flags().union();
        g.drawString(union.length == 0 ? "no column flagged" : "flagged: " + describe(union), MARGIN, y + LINE + 12);
        Rectangle inputCell = cell(r, false, 0);
        int inputX = MARGIN;
        if (image != null) {
            drawInput(img, row.input, inputX, inputCell.y, 1.0, null, -1);
        } else {
            g.setColor(Palette.TEXT);
            for (int j = 0; j < layout.size(); j++) {
                String label = layout.describe(j);
                int w = g.getFontMetrics().stringWidth(label);
                g.drawString(label, inputX + inputW - PAD - w, inputCell.y + j * BOX + 12);
            }
        }
        g.setColor(Palette.TEXT);
        for (int l = 0; l < layers(); l++) {
            g.drawString("layer " + l, cell(r, false, l).x, y + 2 * LINE + 14);
            g.drawString("layer " + l, cell(r, true, l).x, y + 2 * LINE + 14);
        }
        for (int l = 0; l < layers(); l++) {
            float[] b = audit.columnAttention(false, row.sample, l);
            float[] a = audit.columnAttention(true, row.sample, l);
            double max = 0;
            for (int j = 0; j < b.length; j++) {
                if (!layout.isSpecial(j)) {
                    max = Math.max(max, Math.max(b[j], a[j]));
                }
            }
            drawLayer(img, g, r, row, false, l, b, max, flaggedAt(report, l));
            drawLayer(img, g, r, row, true, l, a, max, report.patched() ? union : new int[0]);
        }
    }

    private void drawLayer(BufferedImage img, Graphics2D g, int r, Row row, boolean patched, int l, float[] col,
            double max, int[] flagged) {
        Rectangle c = cell(r, patched, l);
        if (image != null) {
            drawInput(img, row.input, c.x, c.y, 1 - HEAT_WEIGHT, col, max);
            List<String> special = new ArrayList<>();
            for (int j = 0; j < col.length; j++) {
                if (layout.isSpecial(j)) {
                    special.add(String.format(Locale.ROOT, "%s %.0f%%", layout.describe(j), 100 * col[j]));
                }
            }
            g.setColor(Palette.MUTED);
            g.setFont(Palette.LABEL);
            g.drawString(String.join(", ", special), c.x, c.y + c.height + 13);
        } else {
            for (int j = 0; j < col.length; j++) {
                Rectangle box = column(r, patched, l, j);
                int rgb = Palette.heat(max > 0 ? col[j] / max : 0);
                g.setColor(new java.awt.Color(rgb));
                g.fillRect(box.x, box.y, box.width, box.height);
                g.setColor(Palette.luminance(rgb) > 140 ? Palette.TEXT : java.awt.Color.WHITE);
                g.setFont(Palette.LABEL);
                g.drawString(String.format(Locale.ROOT, "%.2f", col[j]), box.x + 6, box.y + 12);
            }
        }
        for (int j : flagged) {
            Rectangle box = column(r, patched, l, j);
            Palette.outline(g, box.x, box.y, box.width, box.height, OUTLINE, Palette.FLAGGED);
        }
    }

    /**
     * Draws the input enlarged, its grey level weighted by {@code imageWeight} and, where {@code col}
     * is given, each patch column's heat over its region.
     */
    private void drawInput(BufferedImage img, float[] v, int x0, int y0, double imageWeight, float[] col, double max) {
        int h = image.height();
        int w = image.width();
        int plane = h * w;
        int[] pixels = Palette.pixels(v, plane);
        int[] heatOf = null;
        if (col != null) {
            heatOf = new int[plane];
            for (int j = 0; j < col.length; j++) {
                if (!layout.isSpecial(j)) {
                    int[] reg = image.region(j);
                    int rgb = Palette.heat(max > 0 ? col[j] / max : 0);
                    for (int py = reg[0]; py < reg[2]; py++) {
                        for (int px = reg[1]; px < reg[3]; px++) {
                            heatOf[py * w + px] = rgb;
                        }
                    }
                }
            }
        }
        for (int py = 0; py < h * scale; py++) {
            for (int px = 0; px < w * scale; px++) {
                int i = (py / scale) * w + px / scale;
                img.setRGB(x0 + px, y0 + py, heatOf == null ? pixels[i] : Palette.blend(heatOf[i], pixels[i], imageWeight));
            }
        }
    }

    private void drawLegend(BufferedImage img, Graphics2D g, int y) {
        int x = MARGIN;
        int barW = 160;
        for (int px = 0; px < barW; px++) {
            int rgb = Palette.heat(px / (double) (barW - 1));
            for (int py = 0; py < 10; py++) {
                img.setRGB(x + px, y + 8 + py, rgb);
            }
        }
        g.setFont(Palette.LABEL);
        g.setColor(Palette.MUTED);
        g.drawString("0", x, y + 32);
        String top = "largest column";
        g.drawString(top, x + barW - g.getFontMetrics().stringWidth(top), y + 32);
        int sx = x + barW + 24;
        Palette.outline(g, sx, y + 5, 16, 16, OUTLINE, Palette.FLAGGED);
        g.setColor(Palette.MUTED);
        g.drawString("flagged column", sx + 22, y + 18);
    }

    private static int[] flaggedAt(PatchReport report, int layer) {
        for (AnomalySet.LayerFlags f : report.flags().layers()) {
            if (f.layer() == layer) {
                return f.columns();
            }
        }
        return new int[0];
    }

    private String describe(int[] columns) {
        String shown = Arrays.stream(columns).limit(3).mapToObj(layout::describe).collect(Collectors.joining("; "));
        return columns.length > 3 ? shown + " and " + (columns.length - 3) + " more" : shown;
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

    /** Builds an {@link AttentionPicture}. */
    public static final class Builder {
        private AttentionAudit audit;
        private TokenLayout layout;
        private final List<Row> rows = new ArrayList<>();
        private List<String> classNames;

        private Builder() {}

        /** @param audit the audited call @return this */
        public Builder setAudit(AttentionAudit audit) {
            this.audit = audit;
            return this;
        }

        /**
         * @param layout what each token column stands for (the model family's {@code tokenLayout()});
         *     an {@link ImageTokenLayout} draws the attention over the image
         * @return this
         */
        public Builder setLayout(TokenLayout layout) {
            this.layout = layout;
            return this;
        }

        /**
         * Adds a row for a sample of a model whose layout is not an image layout (the feature names
         * stand for the input).
         *
         * @param sample the sample's index in the audited batch
         * @param caption what the input is, e.g. {@code "triggered"}
         * @return this
         */
        public Builder addSample(int sample, String caption) {
            return addSample(sample, caption, null);
        }

        /**
         * Adds a row for a sample.
         *
         * @param sample the sample's index in the audited batch
         * @param caption what the input is, e.g. {@code "triggered"}
         * @param input the sample's values, {@code C × H × W} for an image layout (required there),
         *     null otherwise
         * @return this
         */
        public Builder addSample(int sample, String caption, float[] input) {
            rows.add(new Row(sample, caption, input == null ? null : input.clone()));
            return this;
        }

        /** @param classNames names by class index, shown beside the predicted classes @return this */
        public Builder optClassNames(List<String> classNames) {
            this.classNames = List.copyOf(classNames);
            return this;
        }

        /** @return the picture */
        public AttentionPicture build() {
            if (audit == null) {
                throw new IllegalArgumentException("setAudit(...) is required");
            }
            if (layout == null) {
                throw new IllegalArgumentException("setLayout(...) is required: the model's token layout");
            }
            if (layout.size() != audit.tokens()) {
                throw new IllegalArgumentException("the layout has " + layout.size() + " columns but the audited maps have "
                        + audit.tokens());
            }
            if (rows.isEmpty()) {
                throw new IllegalArgumentException("add at least one sample (addSample)");
            }
            for (Row r : rows) {
                if (r.sample < 0 || r.sample >= audit.samples()) {
                    throw new IllegalArgumentException("sample " + r.sample + " is outside the audited batch of "
                            + audit.samples());
                }
                if (layout instanceof ImageTokenLayout i) {
                    long plane = (long) i.height() * i.width();
                    if (r.input == null || r.input.length == 0 || r.input.length % plane != 0) {
                        throw new IllegalArgumentException("sample " + r.sample + " needs its image, C x " + i.height()
                                + " x " + i.width() + " values, for the image layout; got "
                                + (r.input == null ? "none" : r.input.length + " values"));
                    }
                }
            }
            return new AttentionPicture(this);
        }
    }
}
