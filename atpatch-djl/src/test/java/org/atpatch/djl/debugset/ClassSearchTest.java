package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** The Neural-Cleanse λ schedule and early stop of one class, driven with scripted round outcomes. */
class ClassSearchTest {

    private static final Shape SHAPE = new Shape(1, 2, 2);
    private static final float[] ZERO = new float[4];

    private static void round(ClassSearch s, double success, double l1) {
        s.update(ZERO, ZERO, 0, success, l1);
        s.endRound();
    }

    @Test
    void costRisesAndFallsWithPatienceThenStopsWhenBalancedAndFlat() {
        TriggerInversion cfg = TriggerInversion.builder().optPatience(3).optEarlyStopPatience(4).build();
        ClassSearch s = new ClassSearch(0, SHAPE, cfg, 1);
        assertEquals(1e-3, s.cost, 0);
        round(s, 1.0, 10);
        round(s, 1.0, 10);
        assertEquals(1e-3, s.cost, 0);
        round(s, 1.0, 10);
        assertEquals(1.5e-3, s.cost, 1e-15, "raised after 3 successful rounds");
        assertTrue(s.reachedThreshold());
        round(s, 0.5, 9);
        round(s, 0.98, 9);
        round(s, 0.0, 9);
        assertEquals(1.5e-3 / Math.pow(1.5, 1.5), s.cost, 1e-15, "lowered after 3 failed rounds");
        assertFalse(s.done);
        round(s, 1.0, 10); // raised and lowered after a success, no 1 % gain in 4 rounds: stop
        assertTrue(s.done);
        assertEquals(7, s.rounds);
    }

    @Test
    void loweringBeforeTheFirstSuccessIsNotBalance() {
        TriggerInversion cfg = TriggerInversion.builder().optPatience(3).optEarlyStopPatience(4).build();
        ClassSearch s = new ClassSearch(0, SHAPE, cfg, 1);
        for (int i = 0; i < 3; i++) {
            round(s, 0.2, 50);
        }
        assertTrue(s.cost < 1e-3);
        for (int i = 0; i < 12; i++) {
            round(s, 1.0, 20);
        }
        assertFalse(s.done, "λ never came down after a success, so the norm may still shrink");
        double raised = s.cost;
        assertTrue(raised > 1e-3, "λ " + raised);
    }

    @Test
    void looseEarlyStopNeedsOnlyARaise() {
        TriggerInversion cfg = TriggerInversion.builder().optPatience(3).optEarlyStopPatience(4)
                .optEarlyStopNeedsCostSwing(false).build();
        ClassSearch s = new ClassSearch(0, SHAPE, cfg, 1);
        for (int i = 0; i < 5 && !s.done; i++) {
            round(s, 1.0, 10);
        }
        assertTrue(s.done);
    }

    @Test
    void keepsTheSmallestSuccessfulTriggerAndCountsSteps() {
        TriggerInversion cfg = TriggerInversion.builder().build();
        ClassSearch s = new ClassSearch(3, SHAPE, cfg, 1);
        round(s, 0.5, 1);
        assertFalse(s.reachedThreshold(), "a small but failing trigger is not kept");
        round(s, 1.0, 8);
        round(s, 1.0, 5);
        round(s, 1.0, 6);
        assertTrue(s.reachedThreshold());
        assertEquals(4, s.steps);
        Trigger t = s.trigger();
        assertEquals(3, t.target());
        for (float v : t.mask()) {
            assertTrue(v > 0.08 && v < 0.17, "starts faint, near 0.12: " + v);
        }
    }
}
