package org.atpatch.examples.reproduce;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Shape;
import java.awt.geom.Path2D;
import java.io.IOException;
import java.nio.file.Path;
import java.text.NumberFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.atpatch.core.AtomicFiles;
import org.atpatch.core.PrCurve;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * PNG plots of the reproduction results (JFreeChart, headless), written atomically. Every chart
 * gives a method the same colour ({@link #colour}), draws on white with large labels, writes each
 * bar's value on it, and marks the paper's value where its table has one.
 */
public final class Charts {

    private static final int WIDTH = 1000;
    private static final int HEIGHT = 560;
    /** The series name of the paper's markers for the victim. */
    static final String PAPER_ORIGINAL = "paper: original";
    /** The series name of the paper's markers for AtPatch. */
    static final String PAPER_ATPATCH = "paper: AtPatch";
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 20);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 15);
    private static final Font TICK = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
    private static final Color GRID = new Color(210, 210, 210);

    /** Colours by method (the rule's name without " (default)"); colour-blind-safe (Okabe-Ito). */
    private static final Map<String, Color> METHOD_COLOURS = Map.of(
            BackdoorExperiment.ORIGINAL, new Color(153, 153, 153),
            "gamma", new Color(0, 114, 178),
            "token-state", new Color(0, 158, 115),
            "token-state+gamma", new Color(86, 180, 233),
            "token-state-every-layer", new Color(0, 90, 60),
            "drop-renormalise", new Color(204, 121, 167),
            "replace-no-rescale", new Color(240, 228, 66),
            PatchVariants.WITHOUT_DETECTOR, new Color(230, 159, 0),
            PatchVariants.WITHOUT_RESCALING, new Color(213, 94, 0));
    private static final Color[] OTHERS = {new Color(120, 80, 40), new Color(100, 100, 200), new Color(60, 60, 60)};

    private Charts() {}

    /**
     * The colour a method gets in every chart.
     *
     * @param method a method as the reports name it, e.g. {@code original}, {@code token-state (default)}
     * @return its colour; a method without a fixed colour gets one from its name, the same every time
     */
    static Color colour(String method) {
        Color c = METHOD_COLOURS.get(method.replace(" (default)", ""));
        return c != null ? c : OTHERS[Math.floorMod(method.hashCode(), OTHERS.length)];
    }

    /**
     * Grouped bars: one group per configuration, one bar per method, and the paper's values as
     * markers where it has them.
     *
     * @param file the PNG to write
     * @param title the chart title
     * @param valueAxis what the bars measure, e.g. {@code "UF (%)"}
     * @param values method → (configuration → value), in insertion order
     * @param paper configuration → the paper's {original, AtPatch} values in the bars' unit; a
     *     configuration without an entry gets no marker
     * @throws IOException when the file cannot be written
     */
    public static void bars(Path file, String title, String valueAxis, Map<String, Map<String, Double>> values,
            Map<String, double[]> paper) throws IOException {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        values.forEach((method, perConfig) -> perConfig.forEach((config, v) -> d.addValue(v, method, config)));
        JFreeChart chart = ChartFactory.createBarChart(title, "configuration", valueAxis, d, PlotOrientation.VERTICAL,
                true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        BarRenderer bars = (BarRenderer) plot.getRenderer();
        bars.setBarPainter(new StandardBarPainter());
        bars.setShadowVisible(false);
        bars.setItemMargin(0.04);
        for (int s = 0; s < d.getRowCount(); s++) {
            bars.setSeriesPaint(s, colour((String) d.getRowKey(s)));
        }
        NumberFormat twoDecimals = NumberFormat.getNumberInstance(Locale.ROOT);
        twoDecimals.setMaximumFractionDigits(2);
        bars.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", twoDecimals));
        bars.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        bars.setDefaultItemLabelsVisible(true);
        DefaultCategoryDataset marks = new DefaultCategoryDataset();
        for (Object config : d.getColumnKeys()) {
            double[] p = paper.get((String) config);
            marks.addValue(p == null ? null : p[0], PAPER_ORIGINAL, (String) config);
            marks.addValue(p == null ? null : p[1], PAPER_ATPATCH, (String) config);
        }
        if (paper.keySet().stream().anyMatch(d.getColumnKeys()::contains)) {
            LineAndShapeRenderer shapes = new LineAndShapeRenderer(false, true);
            shapes.setSeriesShape(0, diamond(9));
            shapes.setSeriesShape(1, diamond(9));
            shapes.setSeriesPaint(0, Color.WHITE);
            shapes.setSeriesPaint(1, Color.BLACK);
            shapes.setUseOutlinePaint(true);
            shapes.setDefaultOutlinePaint(Color.BLACK);
            shapes.setDefaultOutlineStroke(new BasicStroke(1.5f));
            shapes.setUseFillPaint(false);
            shapes.setDrawOutlines(true);
            shapes.setUseSeriesOffset(true); // the paper's original left of the group's centre, AtPatch right
            shapes.setItemMargin(0);
            plot.setDataset(1, marks);
            plot.setRenderer(1, shapes);
            plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD);
        }
        CategoryAxis axis = plot.getDomainAxis();
        if (d.getColumnCount() > 4) {
            axis.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        }
        axis.setMaximumCategoryLabelLines(2);
        write(file, chart);
    }

    private static Shape diamond(double size) {
        Path2D.Double p = new Path2D.Double();
        p.moveTo(0, -size);
        p.lineTo(size, 0);
        p.lineTo(0, size);
        p.lineTo(-size, 0);
        p.closePath();
        return p;
    }

    /**
     * Precision–recall curves over τ, one per configuration.
     *
     * @param file the PNG to write
     * @param title the chart title
     * @param curves configuration → its curve points
     * @throws IOException when the file cannot be written
     */
    public static void prCurves(Path file, String title, Map<String, List<PrCurve.Point>> curves) throws IOException {
        XYSeriesCollection d = new XYSeriesCollection();
        curves.forEach((name, points) -> {
            XYSeries s = new XYSeries(name, false);
            for (PrCurve.Point p : points) {
                s.add(p.metrics().recall(), p.metrics().precision());
            }
            d.addSeries(s);
        });
        JFreeChart chart = ChartFactory.createXYLineChart(title, "recall", "precision", d, PlotOrientation.VERTICAL, true,
                false, false);
        for (int s = 0; s < d.getSeriesCount(); s++) {
            chart.getXYPlot().getRenderer().setSeriesStroke(s, new BasicStroke(2.5f));
        }
        write(file, chart);
    }

    private static void write(Path file, JFreeChart chart) throws IOException {
        System.setProperty("java.awt.headless", "true");
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(TITLE);
        LegendTitle legend = chart.getLegend();
        if (legend != null) {
            legend.setItemFont(LABEL);
            legend.setPosition(RectangleEdge.BOTTOM);
            legend.setFrame(new org.jfree.chart.block.BlockBorder(Color.WHITE));
        }
        // Tick labels in Locale.ROOT, whatever the machine's default locale.
        if (chart.getPlot() instanceof CategoryPlot p) {
            p.setBackgroundPaint(Color.WHITE);
            p.setRangeGridlinePaint(GRID);
            p.setOutlineVisible(false);
            if (p.getRangeAxis() instanceof NumberAxis a) {
                a.setNumberFormatOverride(NumberFormat.getNumberInstance(Locale.ROOT));
            }
            for (var axis : List.of(p.getDomainAxis(), p.getRangeAxis())) {
                axis.setLabelFont(LABEL);
                axis.setTickLabelFont(TICK);
            }
        } else if (chart.getPlot() instanceof XYPlot p) {
            p.setBackgroundPaint(Color.WHITE);
            p.setDomainGridlinePaint(GRID);
            p.setRangeGridlinePaint(GRID);
            for (var axis : List.of(p.getDomainAxis(), p.getRangeAxis())) {
                axis.setLabelFont(LABEL);
                axis.setTickLabelFont(TICK);
                if (axis instanceof NumberAxis a) {
                    a.setNumberFormatOverride(NumberFormat.getNumberInstance(Locale.ROOT));
                }
            }
        }
        AtomicFiles.write(file, out -> ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT));
    }
}
