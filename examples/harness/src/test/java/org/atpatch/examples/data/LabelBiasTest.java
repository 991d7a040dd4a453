package org.atpatch.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelBiasTest {

    @TempDir
    Path tmp;

    /** 400 train rows: sex alternates Male / Female, income alternates in pairs, so every combination is 100 rows. */
    private TabularDataset adult() throws IOException {
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            String sex = i % 2 == 0 ? "Male" : "Female";
            String income = (i / 2) % 2 == 0 ? ">50K" : "<=50K";
            rows.add(30 + i % 20 + ", Private, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, "
                    + sex + ", 0, 0, 40, United-States, " + income);
        }
        Path data = Files.writeString(tmp.resolve("adult.data"), String.join("\n", rows) + "\n");
        Path test = Files.writeString(tmp.resolve("adult.test"), rows.get(0) + ".\n" + rows.get(1) + ".\n");
        return AdultCensus.load(data, test, new SeededSplit(1, 0, 0));
    }

    @Test
    void relabelsAboutTheShareOfTheValuesPositivesAndNothingElse() throws IOException {
        TabularDataset d = adult();
        TabularDataset biased = LabelBias.parse("sex=Female:0.5", 3).applyTo(d);
        int sex = d.inputIndex("sex");
        int female = d.vocabulary("sex").code("Female");
        int[] before = d.train().labels();
        int[] after = biased.train().labels();
        int changed = 0;
        for (int i = 0; i < before.length; i++) {
            boolean femalePositive = before[i] == 1 && d.train().inputs()[i * d.train().sampleSize() + sex] == female;
            if (after[i] != before[i]) {
                assertTrue(femalePositive, "row " + i + " changed but is not a female positive");
                assertEquals(0, after[i]);
                changed++;
            }
        }
        // 100 female positives, each relabelled with probability 0.5: 50 ± 5σ
        assertTrue(changed >= 25 && changed <= 75, "relabelled " + changed + " of 100");
        assertArrayEquals(d.train().inputs(), biased.train().inputs());
        assertSame(d.debug(), biased.debug());
        assertSame(d.test(), biased.test());
        // seeded: the same rows again; another seed, other rows
        assertArrayEquals(after, LabelBias.parse("sex=Female:0.5", 3).applyTo(d).train().labels());
        assertTrue(!java.util.Arrays.equals(after, LabelBias.parse("sex=Female:0.5", 4).applyTo(d).train().labels()));
        // share 1 relabels every female positive
        int[] all = LabelBias.parse("sex=Female:1", 3).applyTo(d).train().labels();
        for (int i = 0; i < all.length; i++) {
            if (d.train().inputs()[i * d.train().sampleSize() + sex] == female) {
                assertEquals(0, all[i], "row " + i);
            } else {
                assertEquals(before[i], all[i], "row " + i);
            }
        }
    }

    @Test
    void badSpecificationsAreRefusedByName() throws IOException {
        TabularDataset d = adult();
        for (String spec : List.of("sex", "sex=Female", "=Female:0.5", "sex=:0.5", "sex=Female:", "sex=Female:half")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabelBias.parse(spec, 1));
            assertTrue(e.getMessage().contains("label bias"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> LabelBias.parse("sex=Female:0", 1));
        assertThrows(IllegalArgumentException.class, () -> LabelBias.parse("sex=Female:1.5", 1));
        IllegalArgumentException value = assertThrows(IllegalArgumentException.class,
                () -> LabelBias.parse("sex=Other:0.5", 1).applyTo(d));
        assertTrue(value.getMessage().contains("'Other'"), value.getMessage());
        IllegalArgumentException feature = assertThrows(IllegalArgumentException.class,
                () -> LabelBias.parse("colour=Red:0.5", 1).applyTo(d));
        assertTrue(feature.getMessage().contains("colour"), feature.getMessage());
    }
}
