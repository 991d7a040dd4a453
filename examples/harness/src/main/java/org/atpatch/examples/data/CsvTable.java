package org.atpatch.examples.data;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A CSV file read with Apache Commons CSV: its header (the first record, or names given for files
 * without one) and its records, each with exactly as many fields as the header.
 *
 * @param source the file, for messages
 * @param header the column names (a name may repeat, as in COMPAS; lookups take the first)
 * @param rows the records' fields
 * @param records each row's record number in the file (1-based, a header record counted), for messages
 */
record CsvTable(String source, List<String> header, List<String[]> rows, long[] records) {

    /**
     * @param file the file
     * @param format the CSV dialect (no header handling: the header is taken here)
     * @param header the column names, or null to take the first record as the header
     * @return the table
     * @throws IOException when the file cannot be read or a record has the wrong number of fields
     */
    static CsvTable read(Path file, CSVFormat format, List<String> header) throws IOException {
        List<String> names = header;
        List<String[]> rows = new ArrayList<>();
        List<Long> numbers = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                CSVParser parser = format.parse(r)) {
            for (CSVRecord rec : parser) {
                String[] fields = rec.values();
                if (names == null) {
                    names = List.of(fields);
                } else if (fields.length != names.size()) {
                    throw new IOException(file + ": record " + rec.getRecordNumber() + " has " + fields.length + " fields, expected "
                            + names.size() + " (" + String.join(",", names) + ")");
                } else {
                    rows.add(fields);
                    numbers.add(rec.getRecordNumber());
                }
            }
        } catch (java.io.UncheckedIOException e) {
            throw new IOException(file + ": malformed CSV (" + e.getMessage() + ")", e);
        }
        if (names == null) {
            throw new IOException(file + ": the file is empty (no header)");
        }
        return new CsvTable(file.toString(), List.copyOf(names), rows,
                numbers.stream().mapToLong(Long::longValue).toArray());
    }

    /**
     * @param name a column name
     * @return the index of its first occurrence
     * @throws IOException naming the file and its columns if there is no such column
     */
    int column(String name) throws IOException {
        int i = header.indexOf(name);
        if (i < 0) {
            throw new IOException(source + ": no column '" + name + "' (columns: " + String.join(",", header) + ")");
        }
        return i;
    }

    /**
     * @param row a row index
     * @param column a column index
     * @return the field parsed as a number
     * @throws IOException naming the file, record, column and value if it is not a number
     */
    double number(int row, int column) throws IOException {
        String v = rows.get(row)[column];
        try {
            return Double.parseDouble(v.strip());
        } catch (NumberFormatException e) {
            throw new IOException(source + ": record " + records[row] + ", column '" + header.get(column)
                    + "': not a number: '" + v + "'");
        }
    }
}
