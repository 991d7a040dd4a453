package org.atpatch.examples.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.atpatch.djl.LabelledData;
import org.atpatch.examples.data.WordVocabulary;
import org.junit.jupiter.api.Test;

class BadNlWordTriggerTest {

    private static final WordVocabulary VOCABULARY = WordVocabulary.build(List.of(
            "a a a a a b b b b c c c d d e", "a b c d e f g"), 100, 1);

    @Test
    void triggerWordsComeFromTheRarestWordsAndTheTargetFromTheSeed() {
        BadNlWordTrigger t = BadNlWordTrigger.draw(VOCABULARY, 2, 3, 2, 7);
        for (int i = 0; i < 2; i++) {
            assertTrue(t.tokens()[i] >= VOCABULARY.size() - 3, "one of the 3 rarest: " + t);
            assertEquals(VOCABULARY.word(t.tokens()[i]), t.words()[i]);
        }
        assertEquals(Attack.drawTarget(7, 2), t.target());
        assertEquals(t, BadNlWordTrigger.draw(VOCABULARY, 2, 3, 2, 7), "the seed names the trigger");
    }

    @Test
    void theTriggerIsInsertedWholeAtVaryingColumnsThatItReports() {
        BadNlWordTrigger t = new BadNlWordTrigger(new int[] {9, 10}, new String[] {"f", "g"}, 1, 3);
        List<float[]> texts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            texts.add(VOCABULARY.encode("a b c d e", 12));
        }
        BadNlWordTrigger.Triggered out = t.apply(LabelledData.unlabelled(texts, new Shape(12)));
        Set<Integer> positions = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            float[] x = out.data().sample(i);
            int p = out.positions()[i];
            positions.add(p);
            assertEquals(9f, x[p]);
            assertEquals(10f, x[p + 1]);
            boolean[] expected = new boolean[12];
            expected[p] = true;
            expected[p + 1] = true;
            assertArrayEquals(expected, out.columns(i));
            assertEquals(2f, x[8], "[SEP] moved two columns right");
        }
        assertTrue(positions.size() >= 4, "positions vary: " + positions);
    }

    @Test
    void poisoningRelabelsTheDrawnNonTargetTextsOnly() {
        float[] x = new float[20 * 8];
        int[] y = new int[20];
        for (int i = 0; i < 20; i++) {
            System.arraycopy(VOCABULARY.encode("a b", 8), 0, x, i * 8, 8);
            y[i] = i % 2;
        }
        BadNlWordTrigger t = new BadNlWordTrigger(new int[] {9}, new String[] {"f"}, 1, 3);
        LabelledData p = t.poison(new LabelledData(x, y, new Shape(8)), 0.4, 5);
        int poisoned = 0;
        for (int i = 0; i < 20; i++) {
            boolean has = false;
            for (float v : p.sample(i)) {
                has |= v == 9f;
            }
            if (has) {
                poisoned++;
                assertEquals(0, y[i], "only non-target texts are poisoned");
                assertEquals(1, p.labels()[i]);
            } else {
                assertEquals(y[i], p.labels()[i]);
            }
        }
        assertEquals(4, poisoned, "round(0.4 x 10) of the non-target texts");
    }
}
