package org.atpatch.examples.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A tiny {@code bank-full.csv} in the original dialect, for the tabular tests. */
final class BankFixture {

    static final String HEADER = "\"age\";\"job\";\"marital\";\"education\";\"default\";\"balance\";\"housing\";"
            + "\"loan\";\"contact\";\"day\";\"month\";\"duration\";\"campaign\";\"pdays\";\"previous\";\"poutcome\";\"y\"";

    private BankFixture() {}

    /**
     * Two rows: a 58-year-old (tertiary, y = no) and a 24-year-old (education as given, y = yes).
     *
     * @param dir where to write
     * @param secondEducation the second row's education
     * @return the file
     */
    static Path write(Path dir, String secondEducation) throws IOException {
        return Files.writeString(dir.resolve("bank-full.csv"), String.join("\n", HEADER,
                "58;\"management\";\"married\";\"tertiary\";\"no\";2143;\"yes\";\"no\";\"unknown\";5;\"may\";261;1;-1;0;"
                        + "\"unknown\";\"no\"",
                "24;\"student\";\"single\";\"" + secondEducation + "\";\"no\";-50;\"no\";\"no\";\"cellular\";6;\"may\";"
                        + "151;2;-1;0;\"unknown\";\"yes\"") + "\n");
    }
}
