package org.atpatch.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.atpatch.djl.LabelledData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TabularLoadersTest {

    private static final SeededSplit NO_HOLDOUT = new SeededSplit(1, 0, 0);

    @TempDir
    Path tmp;

    private static String adultRow(int age, String race, String sex, int hours, String income) {
        return age + ", Private, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, " + race + ", "
                + sex + ", 0, 0, " + hours + ", United-States, " + income;
    }

    private TabularDataset tinyAdult() throws IOException {
        Path data = Files.writeString(tmp.resolve("adult.data"), String.join("\n",
                adultRow(39, "White", "Male", 40, "<=50K"),
                adultRow(50, "Black", "Female", 20, ">50K"),
                adultRow(23, "White", "Female", 60, "<=50K")) + "\n\n");
        Path test = Files.writeString(tmp.resolve("adult.test"), "|1x3 Cross validator\n" + String.join("\n",
                adultRow(70, "Other", "Male", 40, ">50K."),
                adultRow(30, "White", "Female", 40, "<=50K.")) + "\n");
        return AdultCensus.load(data, test, NO_HOLDOUT);
    }

    @Test
    void adultSkipsTheJunkLineAndAcceptsLabelsWithAPeriod() throws IOException {
        TabularDataset d = tinyAdult();
        assertEquals(5, d.rowsRead());
        assertEquals(3, d.train().size());
        assertEquals(0, d.debug().size());
        assertArrayEquals(new int[] {0, 1, 0}, d.train().labels());
        assertArrayEquals(new int[] {1, 0}, d.test().labels());
    }

    @Test
    void adultEncodingIsFittedOnTrainOnly() throws IOException {
        TabularDataset d = tinyAdult();
        int hours = d.inputIndex("hours-per-week");
        assertEquals(40, d.means()[hours], 1e-9);
        assertEquals(Math.sqrt(800 / 3.0), d.stds()[hours], 1e-9);
        float[] train0 = d.train().sample(0);
        assertEquals(0f, train0[hours], 1e-6f);
        // race vocabulary from train: Black, White; "Other" appears only in the test split -> unknown (0)
        assertEquals(List.of("Black", "White"), d.vocabulary("race").values());
        int race = d.inputIndex("race");
        assertEquals(2f, train0[race]);
        assertEquals(0f, d.test().sample(0)[race]);
        // age is a bucket token: 39 -> 25-44 (code 2), 70 -> 65+ (code 4); no numeric age is kept
        int age = d.inputIndex("age");
        assertEquals(2f, train0[age]);
        assertEquals(1f, d.train().sample(2)[age]);
        assertEquals(4f, d.test().sample(0)[age]);
        assertTrue(d.spec().numeric().stream().noneMatch(n -> n.equals("age")));
        // capital-gain is constant in train: its std falls back to 1
        assertEquals(1, d.stds()[d.inputIndex("capital-gain")], 0);
    }

    @Test
    void adultRejectsAnUnknownLabelNamingTheRecord() throws IOException {
        Path data = Files.writeString(tmp.resolve("adult.data"), adultRow(39, "White", "Male", 40, "maybe") + "\n");
        IOException e = assertThrows(IOException.class, () -> AdultCensus.load(data, data, NO_HOLDOUT));
        assertTrue(e.getMessage().contains("record 1") && e.getMessage().contains("'maybe'"), e.getMessage());
    }

    @Test
    void adultRejectsARowWithMissingFields() throws IOException {
        Path data = Files.writeString(tmp.resolve("adult.data"), "39, Private, 77516\n");
        IOException e = assertThrows(IOException.class, () -> AdultCensus.load(data, data, NO_HOLDOUT));
        assertTrue(e.getMessage().contains("has 3 fields, expected 15"), e.getMessage());
    }

    private static final String COMPAS_HEADER =
            "id,sex,age,race,juv_fel_count,decile_score,juv_misd_count,juv_other_count,priors_count,"
                    + "days_b_screening_arrest,c_charge_degree,is_recid,decile_score,score_text,priors_count,"
                    + "two_year_recid";

    private static String compasRow(int id, String days, String degree, int isRecid, String score, int priors,
            int recid) {
        return id + ",Male,30,Caucasian,0,5,0,0," + priors + "," + days + "," + degree + "," + isRecid + ",5,"
                + score + "," + priors + "," + recid;
    }

    @Test
    void compasAppliesTheProPublicaFilters() throws IOException {
        Path csv = Files.writeString(tmp.resolve("compas.csv"), String.join("\n", COMPAS_HEADER,
                compasRow(1, "-1", "F", 1, "Low", 3, 1),
                compasRow(2, "30", "M", 0, "High", 0, 0),
                compasRow(3, "-30", "F", 0, "Medium", 7, 0),
                compasRow(4, "31", "F", 1, "Low", 1, 1), // outside ±30
                compasRow(5, "", "F", 1, "Low", 1, 1), // no screening date
                compasRow(6, "0", "F", -1, "Low", 1, 1), // is_recid = -1
                compasRow(7, "0", "O", 1, "Low", 1, 1), // ordinary traffic offence
                compasRow(8, "0", "F", 1, "N/A", 1, 1)) + "\n");
        TabularDataset d = Compas.load(csv, NO_HOLDOUT);
        assertEquals(3, d.rowsRead());
        assertArrayEquals(new int[] {1, 0, 0}, d.train().labels());
        assertEquals(List.of("F", "M"), d.vocabulary("c_charge_degree").values());
        assertEquals(List.of("sex", "race"), d.spec().protectedAttributes());
        int priors = d.inputIndex("priors_count");
        float[] x = d.train().sample(2);
        assertEquals((7 - 10 / 3.0) / Math.sqrt(((3 - 10 / 3.0) * (3 - 10 / 3.0) + 100 / 9.0 + (7 - 10 / 3.0)
                * (7 - 10 / 3.0)) / 3), x[priors], 1e-5);
    }

    @Test
    void compasReportsAMissingColumn() throws IOException {
        Path csv = Files.writeString(tmp.resolve("compas.csv"), "id,sex\n1,Male\n");
        IOException e = assertThrows(IOException.class, () -> Compas.load(csv, NO_HOLDOUT));
        assertTrue(e.getMessage().contains("no column 'days_b_screening_arrest'"), e.getMessage());
    }

    @Test
    void bankReadsSemicolonSeparatedRowsAndBucketsAge() throws IOException {
        Path csv = BankFixture.write(tmp, "secondary");
        TabularDataset d = BankMarketing.load(csv, NO_HOLDOUT);
        assertArrayEquals(new int[] {0, 1}, d.train().labels());
        int age = d.inputIndex("age");
        assertEquals(3f, d.train().sample(0)[age], "58 is in 45-64");
        assertEquals(1f, d.train().sample(1)[age], "24 is in <25");
        assertEquals(List.of("secondary", "tertiary"), d.vocabulary("education").values());
        assertTrue(d.features().stream().noneMatch(f -> f.equals("duration")));
        IOException e = assertThrows(IOException.class, () -> BankMarketing.load(
                Files.writeString(tmp.resolve("bad.csv"), BankFixture.HEADER + "\n" + "x;\"a\";\"b\";\"c\";\"no\";1;\"no\";\"no\";"
                        + "\"c\";1;\"may\";1;1;1;1;\"u\";\"no\"\n"), NO_HOLDOUT));
        assertTrue(e.getMessage().contains("column 'age'") && e.getMessage().contains("'x'"), e.getMessage());
    }

    @Test
    void seededSplitIsDisjointCompleteAndRepeatable() {
        SeededSplit s = new SeededSplit(7, 0.2, 0.1);
        int[][] parts = s.split(101);
        assertEquals(10, parts[2].length);
        assertEquals(20, parts[1].length);
        assertEquals(71, parts[0].length);
        boolean[] seen = new boolean[101];
        for (int[] p : parts) {
            for (int i : p) {
                assertTrue(!seen[i], "row " + i + " is in two parts");
                seen[i] = true;
            }
        }
        assertArrayEquals(parts[1], new SeededSplit(7, 0.2, 0.1).split(101)[1]);
        assertTrue(!java.util.Arrays.equals(parts[1], new SeededSplit(8, 0.2, 0.1).split(101)[1]));
        assertThrows(IllegalArgumentException.class, () -> new SeededSplit(1, 0.6, 0.5));
    }

    @Test
    void ageBuckets() {
        assertEquals("<25", AgeBuckets.bucketOf(24.9));
        assertEquals("25-44", AgeBuckets.bucketOf(25));
        assertEquals("45-64", AgeBuckets.bucketOf(64));
        assertEquals("65+", AgeBuckets.bucketOf(65));
        assertThrows(IllegalArgumentException.class, () -> AgeBuckets.bucketOf(-1));
        assertThrows(IllegalArgumentException.class, () -> AgeBuckets.bucketOf(Double.NaN));
    }

    @Test
    void realAdult() throws IOException {
        TabularDataset d = AdultCensus.load(SharedDatasets.require(), AdultCensus.DEFAULT_SPLIT);
        assertEquals(48_842, d.rowsRead());
        assertEquals(16_281, d.test().size());
        assertEquals(32_561, d.train().size() + d.debug().size());
        assertEquals(4_884, d.debug().size());
        assertEquals(7_841, positives(d.train()) + positives(d.debug()));
        assertEquals(3_846, positives(d.test()));
        assertEquals(List.of("Female", "Male"), d.vocabulary("sex").values());
        assertEquals(5, d.vocabulary("race").values().size());
    }

    @Test
    void realCompas() throws IOException {
        TabularDataset d = Compas.load(SharedDatasets.require(), Compas.DEFAULT_SPLIT);
        assertEquals(6_172, d.rowsRead(), "ProPublica's filtered row count");
        assertEquals(926, d.test().size());
        assertEquals(926, d.debug().size());
        assertEquals(4_320, d.train().size());
        assertEquals(List.of("African-American", "Asian", "Caucasian", "Hispanic", "Native American", "Other"),
                d.vocabulary("race").values());
    }

    @Test
    void realBank() throws IOException {
        TabularDataset d = BankMarketing.load(SharedDatasets.require(), BankMarketing.DEFAULT_SPLIT);
        assertEquals(45_211, d.rowsRead());
        assertEquals(5_289, positives(d.train()) + positives(d.debug()) + positives(d.test()));
        assertEquals(List.of("primary", "secondary", "tertiary", "unknown"), d.vocabulary("education").values());
        assertEquals(6_782, d.test().size());
    }

    private static int positives(LabelledData d) {
        int p = 0;
        for (int y : d.labels()) {
            p += y;
        }
        return p;
    }
}
