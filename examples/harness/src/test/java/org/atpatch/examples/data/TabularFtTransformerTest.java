package org.atpatch.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import org.atpatch.djl.debugset.ProtectedAttribute;
import org.atpatch.djl.model.FTTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TabularFtTransformerTest {

    @TempDir
    Path tmp;

    @Test
    void protectedAttributesAreTheirOwnFtTransformerTokens() throws IOException {
        Path csv = BankFixture.write(tmp, "primary");
        TabularDataset d = BankMarketing.load(csv, new SeededSplit(1, 0, 0));
        FTTransformer ft = d.addFeaturesTo(FTTransformer.builder()).setDepth(1).setWidth(8).setHeads(2).setClasses(2).build();
        assertEquals(d.features(), ft.tokenLayout().features());
        ProtectedAttribute age = d.protectedAttribute(ft, "age");
        assertEquals(d.inputIndex("age"), age.index());
        assertArrayEquals(new int[] {ft.tokenLayout().columnOf("age")}, age.columns());
        assertArrayEquals(new float[] {1, 2, 3, 4}, age.values(), "the four buckets, never the unknown code 0");
        ProtectedAttribute edu = d.protectedAttribute(ft, "education");
        assertArrayEquals(new float[] {1, 2}, edu.values());
        assertThrows(IllegalArgumentException.class, () -> d.protectedAttribute(ft, "job"));
    }
}
