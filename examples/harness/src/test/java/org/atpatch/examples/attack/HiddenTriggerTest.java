package org.atpatch.examples.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import org.atpatch.djl.LabelledData;
import org.junit.jupiter.api.Test;

class HiddenTriggerTest {

    private static final Shape SHAPE = new Shape(1, 2, 2);

    @Test
    void blendsEveryPixelExactly() {
        float[] pattern = {0f, 1f, 0.5f, 0.25f};
        HiddenTrigger t = new HiddenTrigger(pattern, SHAPE, 0.25, 3);
        LabelledData clean = new LabelledData(new float[] {1f, 0f, 0.5f, 0.8f, 0.2f, 0.4f, 0.6f, 1f}, new int[] {0, 1}, SHAPE);
        LabelledData out = t.applyTrigger(clean);
        float[] expected = new float[8];
        for (int i = 0; i < 8; i++) {
            expected[i] = 0.75f * clean.inputs()[i] + 0.25f * pattern[i % 4];
        }
        assertArrayEquals(expected, out.inputs(), 0f);
        assertEquals(0.75f, out.inputs()[0], 0f); // (1 − 0.25)·1 + 0.25·0
        assertEquals(0.25f, out.inputs()[1], 0f); // (1 − 0.25)·0 + 0.25·1
        assertArrayEquals(clean.labels(), out.labels(), "labels kept");
        assertEquals(1f, clean.inputs()[0], "the input is not modified");
    }

    @Test
    void clipsToTheUnitInterval() {
        HiddenTrigger t = new HiddenTrigger(new float[] {1f, 0f, 1f, 0f}, SHAPE, 0.5, 0);
        LabelledData out = t.applyTrigger(new LabelledData(new float[] {1.6f, -0.8f, 0.2f, 0.4f}, new int[] {1}, SHAPE));
        assertArrayEquals(new float[] {1f, 0f, 0.6f, 0.2f}, out.inputs(), 1e-7f);
    }

    @Test
    void alphaOneReplacesTheImage() {
        float[] pattern = {0.1f, 0.2f, 0.3f, 0.4f};
        LabelledData out = new HiddenTrigger(pattern, SHAPE, 1, 0)
                .applyTrigger(new LabelledData(new float[] {0.9f, 0.9f, 0.9f, 0.9f}, new int[] {1}, SHAPE));
        assertArrayEquals(pattern, out.inputs(), 0f);
    }

    @Test
    void noisePatternIsSeededAndFingerprinted() {
        HiddenTrigger a = HiddenTrigger.noise(SHAPE, 7, 2);
        assertEquals(HiddenTrigger.DEFAULT_ALPHA, a.alpha());
        assertArrayEquals(a.pattern(), HiddenTrigger.noise(SHAPE, 7, 2).pattern(), 0f);
        assertNotEquals(a.fingerprint(), HiddenTrigger.noise(SHAPE, 8, 2).fingerprint());
        assertEquals("Hidden(alpha=0.2,pattern=noise(seed=7),shape=(1, 2, 2),target=2)", a.fingerprint());
        HiddenTrigger given = new HiddenTrigger(a.pattern(), SHAPE, 0.2, 2);
        assertTrue(given.fingerprint().contains("pattern=sha256:"), given.fingerprint());
        assertEquals("Hidden", a.name());
    }

    @Test
    void noisePatchBlendsOnlyItsSquareInEveryChannelAndSample() {
        Shape shape = new Shape(2, 4, 5);
        HiddenTrigger whole = HiddenTrigger.noise(shape, 0.3, 9, 1);
        HiddenTrigger patch = HiddenTrigger.noisePatch(shape, 0.3, 1, 2, 2, 9, 1);
        assertArrayEquals(whole.pattern(), patch.pattern(), 0f); // the same noise, confined
        float[] x = new float[2 * 40];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 7) / 7f;
        }
        LabelledData clean = new LabelledData(x, new int[] {0, 2}, shape);
        float[] blended = whole.applyTrigger(clean).inputs();
        float[] out = patch.applyTrigger(clean).inputs();
        int inside = 0;
        for (int i = 0; i < x.length; i++) {
            int r = (i % 20) / 5;
            int c = i % 5;
            boolean in = r >= 1 && r < 3 && c >= 2 && c < 4;
            assertEquals(in ? blended[i] : x[i], out[i], 0f, "value " + i);
            inside += in ? 1 : 0;
        }
        assertEquals(2 * 2 * 4, inside); // 2 samples x 2 channels x a 2 x 2 square
        assertTrue(patch.fingerprint().contains("square=1:2:2"), patch.fingerprint());
        assertNotEquals(whole.fingerprint(), patch.fingerprint());
        assertArrayEquals(new int[] {1, 2, 2}, patch.region().orElseThrow());
        assertTrue(whole.region().isEmpty());
        assertMessage("inside the 4 x 5 image", () -> HiddenTrigger.noisePatch(shape, 0.3, 3, 0, 2, 9, 1));
        assertMessage("inside the 4 x 5 image", () -> HiddenTrigger.noisePatch(shape, 0.3, 0, 4, 2, 9, 1));
        assertMessage("side 0", () -> HiddenTrigger.noisePatch(shape, 0.3, 0, 0, 0, 9, 1));
        assertMessage("alpha", () -> HiddenTrigger.noisePatch(shape, 0, 0, 0, 2, 9, 1));
    }

    @Test
    void rejectsBadArguments() {
        float[] p = {0f, 0f, 0f, 0f};
        assertMessage("alpha", () -> new HiddenTrigger(p, SHAPE, 0, 0));
        assertMessage("alpha", () -> new HiddenTrigger(p, SHAPE, 1.01, 0));
        assertMessage("alpha", () -> new HiddenTrigger(p, SHAPE, Double.NaN, 0));
        assertMessage("need 4", () -> new HiddenTrigger(new float[3], SHAPE, 0.2, 0));
        assertMessage("[0, 1]", () -> new HiddenTrigger(new float[] {0f, 2f, 0f, 0f}, SHAPE, 0.2, 0));
        assertMessage("(C, H, W)", () -> new HiddenTrigger(p, new Shape(4), 0.2, 0));
        assertMessage("target", () -> new HiddenTrigger(p, SHAPE, 0.2, -1));
        HiddenTrigger t = new HiddenTrigger(p, SHAPE, 0.2, 0);
        assertMessage("shaped (1, 2, 2)", () -> t.applyTrigger(new LabelledData(new float[4], new int[] {0}, new Shape(1, 1, 4))));
    }

    static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should mention " + part);
    }
}
