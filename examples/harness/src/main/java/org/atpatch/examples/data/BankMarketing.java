package org.atpatch.examples.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;

/**
 * UCI Bank Marketing from {@code bank-full.csv} (45,211 rows, 17 {@code ;}-separated columns, with a
 * header). "unknown" values are kept as their own category.
 *
 * <p>Kept: numeric {@code balance, day, campaign, pdays, previous}; categorical {@code job, marital,
 * default, housing, loan, contact, month, poutcome} and the protected attributes {@code education} and
 * {@code age} (bucketed, {@link AgeBuckets}; the numeric age is not kept). Dropped: {@code duration}
 * (the call's length is only known after the outcome; the dataset's documentation says to drop it for a
 * realistic model). Label 1: {@code y = yes} (subscribed a term deposit).
 *
 * <p>Split: all rows by the {@link SeededSplit}.
 */
public final class BankMarketing {

    /** What is kept and how it is encoded. */
    public static final TabularSpec SPEC = new TabularSpec("bank",
            List.of("balance", "day", "campaign", "pdays", "previous"),
            List.of("job", "marital", "default", "housing", "loan", "contact", "month", "poutcome", "education",
                    "age"),
            List.of("age", "education"),
            Map.of("age", AgeBuckets.LABELS),
            "y = yes");

    /** The default split: 15 % debugging, 15 % test, seed {@value SeededSplit#DEFAULT_SEED}. */
    public static final SeededSplit DEFAULT_SPLIT = new SeededSplit(SeededSplit.DEFAULT_SEED, 0.15, 0.15);

    private BankMarketing() {}

    /**
     * @param dir the data directory (checksum verified)
     * @param split the split of the rows
     * @return the encoded dataset
     * @throws IOException when the file is missing, altered or malformed
     */
    public static TabularDataset load(DataDirectory dir, SeededSplit split) throws IOException {
        return load(dir.require(CanonicalFiles.BANK_FULL), split);
    }

    /**
     * @param csv {@code bank-full.csv} (not verified)
     * @param split the split of the rows
     * @return the encoded dataset
     * @throws IOException when the file is malformed
     */
    public static TabularDataset load(Path csv, SeededSplit split) throws IOException {
        CsvTable table = CsvTable.read(csv, CSVFormat.DEFAULT.builder().setDelimiter(';').get(), null);
        RawTable raw = RawTables.extract(table, SPEC, "age", "y", Map.of("no", 0, "yes", 1), (t, r) -> true);
        return TabularEncoder.encode(SPEC, raw, split.split(raw.size()));
    }
}
