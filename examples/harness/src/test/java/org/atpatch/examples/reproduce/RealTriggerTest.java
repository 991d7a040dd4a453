package org.atpatch.examples.reproduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.types.Shape;
import java.util.stream.IntStream;
import org.atpatch.core.ImageTokenLayout;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.Trigger;
import org.atpatch.examples.attack.Attack;
import org.atpatch.examples.attack.HiddenTrigger;
import org.atpatch.examples.attack.RealTrigger;
import org.atpatch.examples.data.PatchTrigger;
import org.junit.jupiter.api.Test;

class RealTriggerTest {

    private static final Shape MNIST = new Shape(1, 28, 28);

    @Test
    void checkerboardPatchIsRecoveredAndCoversOneToken() {
        PatchTrigger badnets = new PatchTrigger(24, 24, 4, 1f, true, 3);
        Trigger t = RealTrigger.of(badnets, MNIST);
        assertEquals(3, t.target());
        assertEquals(16.0, t.maskL1(), 1e-6);
        assertEquals(1f, t.mask()[24 * 28 + 24]);
        assertEquals(0f, t.pattern()[24 * 28 + 25]); // the checkerboard's second cell
        ImageTokenLayout vit = (ImageTokenLayout) ImageFamily.VIT.build().tokenLayout();
        assertArrayEquals(new int[] {49}, RealTrigger.columns(t, vit)); // CLS, then 7 x 7 patches: the last one
    }

    @Test
    void hiddenBlendCoversEveryToken() {
        HiddenTrigger hidden = HiddenTrigger.noise(MNIST, 5, 1);
        Trigger t = RealTrigger.of(hidden, MNIST);
        assertEquals(0.2 * 28 * 28, t.maskL1(), 1e-3);
        ImageTokenLayout vit = (ImageTokenLayout) ImageFamily.VIT.build().tokenLayout();
        assertArrayEquals(IntStream.rangeClosed(1, 49).toArray(), RealTrigger.columns(t, vit));
    }

    @Test
    void patchShapedHiddenCoversOnlyTheTopLeftToken() {
        HiddenTrigger hidden = HiddenTrigger.noisePatch(MNIST, 0.2, 0, 0, 4, 5, 1);
        Trigger t = RealTrigger.of(hidden, MNIST);
        assertEquals(0.2 * 16, t.maskL1(), 1e-4);
        ImageTokenLayout vit = (ImageTokenLayout) ImageFamily.VIT.build().tokenLayout();
        assertArrayEquals(new int[] {1}, RealTrigger.columns(t, vit)); // CLS, then the top-left patch
    }

    @Test
    void colourPatchOnCifarTouchesTheT2tRegionsAroundIt() {
        Shape cifar = new Shape(3, 32, 32);
        Trigger t = RealTrigger.of(new PatchTrigger(28, 28, 4, 1f, true, 0), cifar);
        ImageTokenLayout t2t = (ImageTokenLayout) ImageFamily.T2T.build().tokenLayout();
        int[] cols = RealTrigger.columns(t, t2t);
        assertEquals(64, cols[cols.length - 1]); // the bottom-right token of the 8 x 8 grid, after CLS
    }

    @Test
    void attacksThatAreNotBlendsAreRefused() {
        Attack inverting = new Attack() {
            @Override
            public String name() {
                return "invert";
            }

            @Override
            public int target() {
                return 0;
            }

            @Override
            public LabelledData applyTrigger(LabelledData clean) {
                float[] x = clean.inputs().clone();
                for (int i = 0; i < x.length; i++) {
                    x[i] = x[i] * x[i];
                }
                return new LabelledData(x, clean.labels(), clean.sampleShape());
            }

            @Override
            public String fingerprint() {
                return "square";
            }
        };
        assertThrows(IllegalArgumentException.class, () -> RealTrigger.of(inverting, MNIST));
    }
}
