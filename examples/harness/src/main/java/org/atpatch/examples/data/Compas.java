package org.atpatch.examples.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;

/**
 * ProPublica COMPAS from {@code compas-scores-two-years.csv} (7,214 rows, 53 columns, with a header; a
 * few column names repeat, and the first occurrence is used), with the row filters of ProPublica's
 * analysis: {@code days_b_screening_arrest} present and within ±30 days, {@code is_recid != -1},
 * {@code c_charge_degree != "O"} and {@code score_text != "N/A"}.
 *
 * <p>Kept: numeric {@code age, priors_count, juv_fel_count, juv_misd_count, juv_other_count};
 * categorical {@code c_charge_degree} and the protected attributes {@code sex} and {@code race}. COMPAS's
 * own scores ({@code decile_score}, {@code score_text}) are not features. Label 1:
 * {@code two_year_recid = 1} (reoffended within two years).
 *
 * <p>Split: all kept rows by the {@link SeededSplit}.
 */
public final class Compas {

    /** What is kept and how it is encoded. */
    public static final TabularSpec SPEC = new TabularSpec("compas",
            List.of("age", "priors_count", "juv_fel_count", "juv_misd_count", "juv_other_count"),
            List.of("c_charge_degree", "sex", "race"),
            List.of("sex", "race"),
            Map.of(),
            "two_year_recid = 1");

    /** The default split: 15 % debugging, 15 % test, seed {@value SeededSplit#DEFAULT_SEED}. */
    public static final SeededSplit DEFAULT_SPLIT = new SeededSplit(SeededSplit.DEFAULT_SEED, 0.15, 0.15);

    private static final int SCREENING_WINDOW_DAYS = 30;

    private Compas() {}

    /**
     * @param dir the data directory (checksum verified)
     * @param split the split of the kept rows
     * @return the encoded dataset
     * @throws IOException when the file is missing, altered or malformed
     */
    public static TabularDataset load(DataDirectory dir, SeededSplit split) throws IOException {
        return load(dir.require(CanonicalFiles.COMPAS_TWO_YEARS), split);
    }

    /**
     * @param csv {@code compas-scores-two-years.csv} (not verified)
     * @param split the split of the kept rows
     * @return the encoded dataset
     * @throws IOException when the file is malformed
     */
    public static TabularDataset load(Path csv, SeededSplit split) throws IOException {
        CsvTable table = CsvTable.read(csv, CSVFormat.DEFAULT, null);
        int days = table.column("days_b_screening_arrest");
        int recid = table.column("is_recid");
        int degree = table.column("c_charge_degree");
        int score = table.column("score_text");
        RawTable raw = RawTables.extract(table, SPEC, null, "two_year_recid", Map.of("0", 0, "1", 1), (t, r) -> {
            String[] f = t.rows().get(r);
            if (f[days].isBlank() || Math.abs(t.number(r, days)) > SCREENING_WINDOW_DAYS) {
                return false;
            }
            return t.number(r, recid) != -1 && !f[degree].strip().equals("O") && !f[score].strip().equals("N/A");
        });
        return TabularEncoder.encode(SPEC, raw, split.split(raw.size()));
    }
}
