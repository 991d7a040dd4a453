package org.atpatch.examples.data;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The IMDB movie reviews (Maas et al., 2011) from the data folder: {@code imdb/imdb_train.csv.gz}
 * and {@code imdb/imdb_test.csv.gz}, 25,000 labelled reviews each, as gzipped CSVs with the columns
 * {@code id,label,rating,text} (label 0 negative, 1 positive; checksums in {@link CanonicalFiles}).
 * Read with Apache Commons CSV.
 */
public final class ImdbReviews {

    /** The class names, by label. */
    public static final List<String> CLASS_NAMES = List.of("negative", "positive");

    private ImdbReviews() {}

    /**
     * One review.
     *
     * @param id its id within the split
     * @param label 0 negative, 1 positive
     * @param text the review as written (it holds HTML line breaks)
     */
    public record Review(int id, int label, String text) {}

    /** A split of the reviews. */
    public enum Split {
        /** The 25,000 training reviews. */
        TRAIN(CanonicalFiles.IMDB_TRAIN),
        /** The 25,000 test reviews. */
        TEST(CanonicalFiles.IMDB_TEST);

        private final DatasetFile file;

        Split(DatasetFile file) {
            this.file = file;
        }
    }

    /**
     * @param data the data folder
     * @param split which split
     * @return its reviews, in file order
     * @throws MissingDataFileException when the file is not there (the message says how to get it)
     * @throws IOException when it cannot be read, has the wrong checksum or a malformed record
     */
    public static List<Review> load(DataDirectory data, Split split) throws IOException {
        return read(data.require(split.file));
    }

    /**
     * @param file a gzipped CSV with the columns {@code id,label,rating,text}
     * @return its reviews, in file order
     * @throws IOException when it cannot be read or a record is malformed (named by its number)
     */
    static List<Review> read(Path file) throws IOException {
        List<Review> out = new ArrayList<>();
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
        try (Reader r = new InputStreamReader(new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8);
                CSVParser parser = format.parse(r)) {
            for (String column : List.of("id", "label", "text")) {
                if (!parser.getHeaderMap().containsKey(column)) {
                    throw new IOException(file + ": no column '" + column + "' (columns: " + parser.getHeaderNames() + ")");
                }
            }
            for (CSVRecord rec : parser) {
                try {
                    int label = Integer.parseInt(rec.get("label"));
                    if (label != 0 && label != 1) {
                        throw new NumberFormatException("label " + label + " is neither 0 nor 1");
                    }
                    out.add(new Review(Integer.parseInt(rec.get("id")), label, rec.get("text")));
                } catch (IllegalArgumentException e) { // a bad number, a missing field
                    throw new IOException(file + ": record " + rec.getRecordNumber() + " is malformed: " + e.getMessage(), e);
                }
            }
        } catch (java.io.UncheckedIOException e) {
            throw new IOException(file + ": malformed CSV (" + e.getMessage() + ")", e);
        }
        return out;
    }
}
