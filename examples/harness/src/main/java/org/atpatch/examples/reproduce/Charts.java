package org.atpatch.examples.reproduce;

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
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** PNG plots of the reproduction results (JFreeChart, headless), written atomically. */
public final class Charts {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 500;

    private Charts() {}

    /**
     * Grouped bars: one group per configuration, one bar per method.
     *
     * @param file the PNG to write
     * @param title the chart title
     * @param valueAxis what the bars measure, e.g. {@code "UF (%)"}
     * @param values method → (configuration → value), in insertion order
     * @throws IOException when the file cannot be written
     */
    public static void bars(Path file, String title, String valueAxis, Map<String, Map<String, Double>> values)
            throws IOException {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        values.forEach((method, perConfig) -> perConfig.forEach((config, v) -> d.addValue(v, method, config)));
        write(file, ChartFactory.createBarChart(title, "configuration", valueAxis, d, PlotOrientation.VERTICAL,
                true, false, false));
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
        write(file, ChartFactory.createXYLineChart(title, "recall", "precision", d, PlotOrientation.VERTICAL, true,
                false, false));
    }

    private static void write(Path file, JFreeChart chart) throws IOException {
        System.setProperty("java.awt.headless", "true");
        // Tick labels in Locale.ROOT, whatever the machine's default locale.
        if (chart.getPlot() instanceof CategoryPlot p && p.getRangeAxis() instanceof NumberAxis a) {
            a.setNumberFormatOverride(NumberFormat.getNumberInstance(Locale.ROOT));
        } else if (chart.getPlot() instanceof XYPlot p) {
            for (var axis : List.of(p.getDomainAxis(), p.getRangeAxis())) {
                if (axis instanceof NumberAxis a) {
                    a.setNumberFormatOverride(NumberFormat.getNumberInstance(Locale.ROOT));
                }
            }
        }
        AtomicFiles.write(file, out -> ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT));
    }
}
