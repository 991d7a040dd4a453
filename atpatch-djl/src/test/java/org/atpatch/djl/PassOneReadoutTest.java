package org.atpatch.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Pass 1's host-side decision: eligible columns only, strictly above the cut, at any layer; non-finite values seen. */
class PassOneReadoutTest {

    private static final float CUT = 0.5f;
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** (B, L, N) = (4, 2, 3), column 0 ineligible (CLS). */
    private static NDArray probs(float... values) {
        return manager.create(values, new Shape(4, 2, 3));
    }

    private static NDArray logits(float... values) {
        return manager.create(values, new Shape(values.length / 2, 2));
    }

    @Test
    void flagsSamplesWithAnEligibleColumnAboveTheCutAtAnyLayer() {
        float above = Math.nextUp(CUT);
        NDArray p = probs(
                0.9f, 0.1f, 0.2f, 0.9f, 0.4f, 0.3f, // sample 0: only the ineligible column is above
                0.0f, 0.1f, 0.2f, 0.0f, 0.0f, above, // sample 1: one float above, at layer 1's last column
                0.0f, CUT, 0.2f, 0.0f, 0.5f, 0.1f, // sample 2: exactly at the cut
                0.0f, 0.7f, 0.9f, 0.0f, 0.0f, 0.0f); // sample 3: two columns at layer 0
        PassOneReadout r = PassOneReadout.read(p, new boolean[] {false, true, true}, CUT, logits(new float[8]), null);
        assertArrayEquals(new boolean[] {false, true, false, true}, r.patched);
        assertEquals(2, r.count);
        assertTrue(r.finite);
        assertArrayEquals(p.toFloatArray(), r.probs);
    }

    @Test
    void seesNaNOrInfInTheDetectorsOutputOnAnyColumnAndInTheLogits() {
        float[] clean = new float[24];
        float[] nanOnCls = clean.clone();
        nanOnCls[6] = Float.NaN;
        float[] infOnToken = clean.clone();
        infOnToken[23] = Float.POSITIVE_INFINITY;
        boolean[] eligible = {false, true, true};
        assertTrue(PassOneReadout.read(probs(clean), eligible, CUT, logits(new float[8]), null).finite);
        assertFalse(PassOneReadout.read(probs(nanOnCls), eligible, CUT, logits(new float[8]), null).finite);
        assertFalse(PassOneReadout.read(probs(infOnToken), eligible, CUT, logits(new float[8]), null).finite);
        float[] badLogits = new float[8];
        badLogits[5] = Float.NEGATIVE_INFINITY;
        assertFalse(PassOneReadout.read(probs(clean), eligible, CUT, logits(badLogits), null).finite);
    }

    @Test
    void windowCountsFlagAboveZeroAndTheProbabilitiesAreCheckedAndKept() {
        float[] counts = new float[24];
        counts[13] = 1; // sample 2, layer 0, token 1
        float[] probabilities = new float[24];
        probabilities[4] = 0.25f;
        PassOneReadout r = PassOneReadout.read(probs(counts), null, 0f, logits(new float[8]), probs(probabilities));
        assertArrayEquals(new boolean[] {false, false, true, false}, r.patched);
        assertEquals(1, r.count);
        assertTrue(r.finite);
        assertArrayEquals(probabilities, r.probs);
        probabilities[20] = Float.NaN;
        assertFalse(PassOneReadout.read(probs(counts), null, 0f, logits(new float[8]), probs(probabilities)).finite);
    }
}
