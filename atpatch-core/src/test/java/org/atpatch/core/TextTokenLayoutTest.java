package org.atpatch.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextTokenLayoutTest {

    @Test
    void aSamplesLayoutNamesItsWordsAndMarksBertsSpecialTokens() {
        TextTokenLayout l = TextTokenLayout.of(List.of("[CLS]", "great", "film", "[SEP]", "[PAD]"));
        assertEquals(5, l.size());
        assertArrayEquals(new boolean[] {false, true, true, false, false}, l.flaggable());
        assertEquals("token 2 'film'", l.describe(2));
        assertThrows(IndexOutOfBoundsException.class, () -> l.isSpecial(5));
    }

    @Test
    void aModelsPositionalLayoutHasClsFirstAndPositionsAfter() {
        TextTokenLayout l = TextTokenLayout.positions(4);
        assertEquals(List.of("[CLS]", "#1", "#2", "#3"), l.tokens());
        assertArrayEquals(new boolean[] {false, true, true, true}, l.flaggable());
        assertThrows(IllegalArgumentException.class, () -> TextTokenLayout.positions(1));
    }
}
