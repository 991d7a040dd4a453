package org.atpatch.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.atpatch.core.TextTokenLayout;
import org.atpatch.djl.model.BertStyleEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextLoadersTest {

    @TempDir
    Path dir;

    private Path gz(String csv) throws IOException {
        Path f = dir.resolve("reviews.csv.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(f))) {
            out.write(csv.getBytes(StandardCharsets.UTF_8));
        }
        return f;
    }

    @Test
    void reviewsAreReadWithQuotedCommasAndLineBreaks() throws IOException {
        List<ImdbReviews.Review> r = ImdbReviews.read(gz("id,label,rating,text\n0,0,2,\"Bad, very bad.<br /><br />\"\"No\"\"\"\n"
                + "1,1,9,\"Great\nfilm\"\n"));
        assertEquals(2, r.size());
        assertEquals(new ImdbReviews.Review(0, 0, "Bad, very bad.<br /><br />\"No\""), r.get(0));
        assertEquals(new ImdbReviews.Review(1, 1, "Great\nfilm"), r.get(1));
    }

    @Test
    void aBadLabelOrAMissingColumnIsNamed() throws IOException {
        Path bad = gz("id,label,rating,text\n0,0,2,fine\n1,7,9,odd\n");
        IOException e = assertThrows(IOException.class, () -> ImdbReviews.read(bad));
        assertTrue(e.getMessage().contains("record 2") && e.getMessage().contains("label 7"), e.getMessage());
        Path noText = gz("id,label,rating\n0,0,2\n");
        IOException m = assertThrows(IOException.class, () -> ImdbReviews.read(noText));
        assertTrue(m.getMessage().contains("no column 'text'"), m.getMessage());
    }

    @Test
    void wordsAreLowerCasedWithoutMarkupAndKeepApostrophes() {
        assertEquals(List.of("it", "wasn't", "the", "film's", "fault", "10", "10"),
                WordVocabulary.words("It wasn't<br />the FILM'S fault... 10/10"));
        assertEquals(List.of(), WordVocabulary.words("  <br /> ... "));
    }

    @Test
    void theVocabularyKeepsFrequentWordsAfterTheReservedIdsAndEncodesToTheModelLength() {
        WordVocabulary v = WordVocabulary.build(List.of("b a a c", "a b d", "c e"), 3, 2);
        assertEquals(7, v.size(), "4 reserved + a, b, c (d and e occur once)");
        assertEquals("a", v.word(4));
        assertEquals(List.of("b", "c"), List.of(v.word(5), v.word(6)), "ties by word");
        assertEquals(3, v.count(4));
        assertEquals(BertStyleEncoder.UNK, v.id("zebra"));
        assertArrayEquals(new float[] {1, 4, 3, 6, 2, 0}, v.encode("A zebra c", 6));
        assertArrayEquals(new float[] {1, 2, 0, 0}, v.encode("", 4), "an empty text is [CLS] [SEP]");
        assertEquals(0, v.truncated());
        assertArrayEquals(new float[] {1, 4, 5, 2}, v.encode("a b c a", 4));
        assertEquals(1, v.truncated(), "a long text is cut to its first words and counted");
        TextTokenLayout layout = v.layout(v.encode("a zebra", 5));
        assertEquals(List.of("[CLS]", "a", "[UNK]", "[SEP]", "[PAD]"), layout.tokens());
        assertArrayEquals(new boolean[] {false, true, true, false, false}, layout.flaggable());
    }
}
