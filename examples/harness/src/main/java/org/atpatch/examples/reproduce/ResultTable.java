package org.atpatch.examples.reproduce;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.atpatch.core.AtomicFiles;

/**
 * A results table with a header and rows of already formatted cells, written as CSV (commons-csv)
 * and as a markdown table, each atomically, so an interrupted run never leaves half a file.
 */
public final class ResultTable {

    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    /**
     * @param header the column names
     */
    public ResultTable(String... header) {
        if (header.length == 0) {
            throw new IllegalArgumentException("a table needs at least one column");
        }
        this.header = List.of(header);
    }

    /**
     * Adds a row; numbers are written with {@link #cell(Object)}.
     *
     * @param cells one per column
     * @return this
     */
    public ResultTable add(Object... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, the table " + header.size()
                    + " columns " + header + ": " + Arrays.toString(cells));
        }
        rows.add(Arrays.stream(cells).map(ResultTable::cell).toList());
        return this;
    }

    /** @return the number of rows */
    public int size() {
        return rows.size();
    }

    /**
     * @param value a cell: a double with 4 decimals (NaN as {@code n/a}), anything else as text
     * @return its text
     */
    static String cell(Object value) {
        if (value instanceof Double d) {
            return d.isNaN() ? "n/a" : String.format(Locale.ROOT, "%.4f", d);
        }
        if (value instanceof Float f) {
            return cell(f.doubleValue());
        }
        return String.valueOf(value);
    }

    /**
     * @param fraction a fraction
     * @return it as a percentage with two decimals (for the markdown tables of the paper's layout)
     */
    public static String percent(double fraction) {
        return Double.isNaN(fraction) ? "n/a" : String.format(Locale.ROOT, "%.2f", 100 * fraction);
    }

    /**
     * @param fraction a share in [0, 1], or NaN
     * @return it as a percentage with two decimals and the sign, e.g. {@code 81.25 %}; n/a for NaN
     */
    public static String percentWithSign(double fraction) {
        return Double.isNaN(fraction) ? "n/a" : percent(fraction) + " %";
    }

    /**
     * @param file the CSV file to write
     * @throws IOException when it cannot be written
     */
    public void writeCsv(Path file) throws IOException {
        AtomicFiles.write(file, out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setHeader(header.toArray(String[]::new)).get());
            for (List<String> r : rows) {
                p.printRecord(r);
            }
            p.flush();
        });
    }

    /** @return the table in markdown */
    public String markdown() {
        StringBuilder s = new StringBuilder();
        s.append("| ").append(String.join(" | ", header)).append(" |\n");
        s.append("|").append("---|".repeat(header.size())).append('\n');
        for (List<String> r : rows) {
            s.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        return s.toString();
    }
}
