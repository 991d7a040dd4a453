package org.atpatch.examples.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;

/**
 * UCI Adult (Census Income) from {@code adult.data} (32,561 rows) and {@code adult.test} (16,281
 * rows). Both files have no header; fields are comma-separated with a leading space, which is trimmed.
 * {@code adult.test}'s first line ({@code |1x3 Cross validator}) is skipped as a comment, and its labels
 * carry a trailing '.' ({@code >50K.}), accepted as the same class. Missing values ({@code ?}) are kept
 * as their own category.
 *
 * <p>Kept: numeric {@code education-num, capital-gain, capital-loss, hours-per-week}; categorical
 * {@code workclass, education, marital-status, occupation, relationship, native-country} and the
 * protected attributes {@code race}, {@code sex} and {@code age} (bucketed, {@link AgeBuckets}; the
 * numeric age is not kept, so the bucket token is age's only trace). Dropped: {@code fnlwgt} (a census
 * sampling weight, not a property of the person). Label 1: income {@code >50K}.
 *
 * <p>Split: {@code adult.test} is the test split; {@code adult.data} is split into train and
 * debugging by the {@link SeededSplit} (its test fraction must be 0).
 */
public final class AdultCensus {

    /** The columns of both files, as in {@code adult.names}. */
    public static final List<String> COLUMNS = List.of("age", "workclass", "fnlwgt", "education", "education-num",
            "marital-status", "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
            "hours-per-week", "native-country", "income");

    /** What is kept and how it is encoded. */
    public static final TabularSpec SPEC = new TabularSpec("adult",
            List.of("education-num", "capital-gain", "capital-loss", "hours-per-week"),
            List.of("workclass", "education", "marital-status", "occupation", "relationship", "native-country",
                    "race", "sex", "age"),
            List.of("race", "sex", "age"),
            Map.of("age", AgeBuckets.LABELS),
            "income >50K");

    /** The default split: 15 % of {@code adult.data} for debugging, seed {@value SeededSplit#DEFAULT_SEED}. */
    public static final SeededSplit DEFAULT_SPLIT = new SeededSplit(SeededSplit.DEFAULT_SEED, 0.15, 0);

    private static final Map<String, Integer> LABELS = Map.of("<=50K", 0, ">50K", 1, "<=50K.", 0, ">50K.", 1);

    private AdultCensus() {}

    /**
     * @param dir the data directory (checksums verified)
     * @param split the train / debugging split of {@code adult.data}
     * @return the encoded dataset
     * @throws IOException when a file is missing, altered or malformed
     */
    public static TabularDataset load(DataDirectory dir, SeededSplit split) throws IOException {
        return load(dir.require(CanonicalFiles.ADULT_DATA), dir.require(CanonicalFiles.ADULT_TEST), split);
    }

    /**
     * @param data {@code adult.data} (not verified)
     * @param test {@code adult.test} (not verified)
     * @param split the train / debugging split of {@code adult.data}; its test fraction must be 0
     * @return the encoded dataset
     * @throws IOException when a file is malformed
     */
    public static TabularDataset load(Path data, Path test, SeededSplit split) throws IOException {
        if (split.testFraction() != 0) {
            throw new IllegalArgumentException("Adult's test split is adult.test; the split's test fraction must be 0,"
                    + " got " + split.testFraction());
        }
        RawTable train = read(data);
        RawTable held = read(test);
        int[][] parts = split.split(train.size());
        int[] testRows = new int[held.size()];
        for (int i = 0; i < testRows.length; i++) {
            testRows[i] = train.size() + i;
        }
        return TabularEncoder.encode(SPEC, train.concat(held), new int[][] {parts[0], parts[1], testRows});
    }

    private static RawTable read(Path file) throws IOException {
        CSVFormat format = CSVFormat.DEFAULT.builder()
                .setCommentMarker('|')
                .setIgnoreEmptyLines(true)
                .setIgnoreSurroundingSpaces(true)
                .get();
        CsvTable table = CsvTable.read(file, format, COLUMNS);
        return RawTables.extract(table, SPEC, "age", "income", LABELS, (t, r) -> true);
    }
}
