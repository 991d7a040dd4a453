package org.atpatch.examples.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.atpatch.djl.LabelledData;
import org.atpatch.examples.data.PatchTrigger;
import org.junit.jupiter.api.Test;

class AttackPoisonTest {

    static final Shape SHAPE = new Shape(2, 6, 6);

    /** {@code n} random images with labels cycling over 4 classes. */
    static LabelledData images(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * (int) SHAPE.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        return new LabelledData(x, IntStream.range(0, n).map(i -> i % 4).toArray(), SHAPE);
    }

    private static boolean sameBits(LabelledData a, int i, LabelledData b, int j) {
        float[] x = a.sample(i);
        float[] y = b.sample(j);
        for (int k = 0; k < x.length; k++) {
            if (Float.floatToRawIntBits(x[k]) != Float.floatToRawIntBits(y[k])) {
                return false;
            }
        }
        return true;
    }

    /** Checks the contract of {@link Attack#poison} for one attack, rate and seed; returns the poisoned indices. */
    private static Set<Integer> checkPoison(Attack attack, LabelledData train, double rate, long seed) {
        LabelledData poisoned = attack.poison(train, rate, seed);
        LabelledData triggered = attack.applyTrigger(train);
        long nonTarget = Arrays.stream(train.labels()).filter(y -> y != attack.target()).count();
        assertEquals(train.size(), poisoned.size());
        Set<Integer> changed = IntStream.range(0, train.size())
                .filter(i -> poisoned.labels()[i] != train.labels()[i]).boxed().collect(Collectors.toSet());
        assertEquals(Math.round(rate * nonTarget), changed.size(), "exactly round(rate · non-target) relabelled");
        for (int i = 0; i < train.size(); i++) {
            if (changed.contains(i)) {
                assertNotEquals(attack.target(), train.labels()[i], "only non-target samples are poisoned");
                assertEquals(attack.target(), poisoned.labels()[i]);
                assertTrue(sameBits(poisoned, i, triggered, i), "a poisoned sample is its triggered copy");
            } else {
                assertEquals(train.labels()[i], poisoned.labels()[i]);
                assertTrue(sameBits(poisoned, i, train, i), "sample " + i + " must be bitwise untouched");
            }
        }
        return changed;
    }

    @Test
    void poisonRelabelsExactlyTheRoundedShareOfNonTargetSamplesDeterministically() {
        LabelledData train = images(103, 1);
        float[] before = train.inputs().clone();
        PatchTrigger badNets = new PatchTrigger(1, 2, 3, 1f, true, 2);
        HiddenTrigger hidden = HiddenTrigger.noise(SHAPE, 0.2, 9, 1);
        for (Attack attack : new Attack[] {badNets, hidden}) {
            Set<Integer> a = checkPoison(attack, train, 0.1, 42);
            assertEquals(a, checkPoison(attack, train, 0.1, 42), "same seed, same draw");
            assertNotEquals(a, checkPoison(attack, train, 0.1, 43), "another seed, another draw");
            checkPoison(attack, train, 0.37, 5);
        }
        assertArrayEquals(before, train.inputs(), 0f, "poisoning must not write into its input");
    }

    @Test
    void poisonRoundsHalfUpAndMayChooseNone() {
        // 4 samples, labels 0..3, target 0: 3 non-target samples; 0.5 · 3 = 1.5 -> 2, 0.1 · 3 = 0.3 -> 0
        LabelledData train = images(4, 2);
        PatchTrigger t = new PatchTrigger(0, 0, 2, 1f, 0);
        assertEquals(2, checkPoison(t, train, 0.5, 1).size());
        assertEquals(0, checkPoison(t, train, 0.1, 1).size());
    }

    @Test
    void poisonRejectsRatesOutsideTheOpenUnitInterval() {
        LabelledData train = images(8, 3);
        PatchTrigger t = new PatchTrigger(0, 0, 2, 1f, 0);
        for (double rate : new double[] {0, 1, -0.1, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.poison(train, rate, 0));
            assertTrue(e.getMessage().contains("poison rate"), e.getMessage());
        }
    }

    @Test
    void drawTargetIsDeterministicAndCoversTheClasses() {
        for (long seed = 0; seed < 20; seed++) {
            int t = Attack.drawTarget(seed, 10);
            assertEquals(t, Attack.drawTarget(seed, 10));
            assertTrue(t >= 0 && t < 10);
        }
        Set<Integer> seen = IntStream.range(0, 200).map(s -> Attack.drawTarget(s, 10)).boxed().collect(Collectors.toSet());
        assertEquals(10, seen.size(), "200 seeds should reach every one of 10 classes");
        assertThrows(IllegalArgumentException.class, () -> Attack.drawTarget(0, 1));
    }

    @Test
    void nonTargetDropsTheTargetClass() {
        LabelledData data = images(12, 4);
        LabelledData rest = new PatchTrigger(0, 0, 2, 1f, 3).nonTarget(data);
        assertEquals(9, rest.size());
        assertFalse(Arrays.stream(rest.labels()).anyMatch(y -> y == 3));
    }

    @Test
    void badNetsKeepsItsStampAndValidates() {
        LabelledData one = new LabelledData(new float[2 * 36], new int[] {1}, SHAPE);
        PatchTrigger t = new PatchTrigger(4, 4, 2, 0.75f, true, 0);
        float[] x = t.apply(one).inputs();
        for (int ch = 0; ch < 2; ch++) {
            int base = ch * 36;
            assertEquals(0.75f, x[base + 4 * 6 + 4]);
            assertEquals(0.25f, x[base + 4 * 6 + 5]);
            assertEquals(0.25f, x[base + 5 * 6 + 4]);
            assertEquals(0.75f, x[base + 5 * 6 + 5]);
            assertEquals(0f, x[base + 3 * 6 + 4]);
        }
        assertArrayEquals(x, t.applyTrigger(one).inputs());
        assertEquals("BadNets(row=4,col=4,size=2,value=0.75,checkerboard=true,target=0)", t.fingerprint());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PatchTrigger(5, 5, 2, 1f, 0).apply(one));
        assertTrue(e.getMessage().contains("does not fit 6x6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PatchTrigger(0, 0, 0, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new PatchTrigger(0, 0, 2, 1.5f, 0));
        assertThrows(IllegalArgumentException.class, () -> new PatchTrigger(0, 0, 2, 1f, -1));
    }
}
