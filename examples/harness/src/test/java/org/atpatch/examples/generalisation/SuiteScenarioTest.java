package org.atpatch.examples.generalisation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.util.EnumSet;
import java.util.Set;
import org.atpatch.djl.LabelledData;
import org.atpatch.examples.attack.Attack;
import org.junit.jupiter.api.Test;

/** The suite's scenarios: reproducible draws, the halves kept apart, triggers where their position says. */
class SuiteScenarioTest {

    private static final int SIDE = SuiteScenario.SIDE;
    private static final int PATCH = SuiteScenario.PATCH;

    @Test
    void drawsAreReproducibleAndCoverEveryPatternAndPosition() {
        Set<SuiteScenario.Pattern> patterns = EnumSet.noneOf(SuiteScenario.Pattern.class);
        Set<SuiteScenario.Position> positions = EnumSet.noneOf(SuiteScenario.Position.class);
        int tune = 0;
        for (int i = 0; i < 80; i++) {
            SuiteScenario s = SuiteScenario.draw(i);
            assertEquals(s, SuiteScenario.draw(i), "scenario " + i + " is the same every time");
            assertEquals(i % 5 != 4, s.backdoored(), "every fifth scenario is a clean model");
            assertEquals(s.backdoored() ? s.poisonRate() > 0 : s.poisonRate() == 0, true, s.toString());
            assertEquals(i % 2 == 0 ? "mnist" : "fashion-mnist", s.dataset());
            assertTrue(s.target() >= 0 && s.target() < 10);
            assertTrue(s.row() >= 0 && s.col() >= 0 && s.row() + s.size() <= SIDE && s.col() + s.size() <= SIDE, s.toString());
            switch (s.position()) {
                case CORNER -> assertTrue((s.row() == 0 || s.row() == SIDE - s.size()) && (s.col() == 0 || s.col() == SIDE - s.size()));
                case EDGE -> assertTrue(s.row() == 0 || s.col() == 0 || s.row() == SIDE - s.size() || s.col() == SIDE - s.size());
                case INTERIOR -> assertTrue(s.row() % PATCH == 0 && s.col() % PATCH == 0 && s.row() > 0 && s.col() > 0
                        && s.row() + s.size() < SIDE && s.col() + s.size() < SIDE, s.toString());
                case STRADDLING -> assertTrue(s.row() % PATCH == PATCH / 2 && s.col() % PATCH == PATCH / 2, s.toString());
                default -> throw new AssertionError(s.position());
            }
            patterns.add(s.pattern());
            positions.add(s.position());
            tune += s.half() == SuiteScenario.Half.TUNE ? 1 : 0;
        }
        assertEquals(EnumSet.allOf(SuiteScenario.Pattern.class), patterns);
        assertEquals(EnumSet.allOf(SuiteScenario.Position.class), positions);
        assertEquals(40, tune, "the halves are the same size");
        assertNotEquals(SuiteScenario.draw(0), SuiteScenario.draw(1));
        assertThrows(IllegalArgumentException.class, () -> SuiteScenario.draw(-1));
    }

    @Test
    void theAttackChangesOnlyTheTriggerSquare() {
        Shape shape = new Shape(1, SIDE, SIDE);
        float[] x = new float[SIDE * SIDE];
        java.util.Arrays.fill(x, 0.3f);
        LabelledData one = new LabelledData(x, new int[] {0}, shape);
        for (int i = 0; i < 12; i++) {
            SuiteScenario s = SuiteScenario.draw(i);
            Attack a = s.attack(shape);
            assertEquals(s.target(), a.target());
            float[] y = a.applyTrigger(one).inputs();
            boolean changed = false;
            for (int r = 0; r < SIDE; r++) {
                for (int c = 0; c < SIDE; c++) {
                    boolean inside = r >= s.row() && r < s.row() + s.size() && c >= s.col() && c < s.col() + s.size();
                    if (!inside) {
                        assertEquals(0.3f, y[r * SIDE + c], s + ": pixel " + r + "," + c + " lies outside the trigger");
                    }
                    changed |= inside && y[r * SIDE + c] != 0.3f;
                }
            }
            assertTrue(changed, s + " changes its square");
            assertFalse(s.name().isEmpty());
        }
    }
}
