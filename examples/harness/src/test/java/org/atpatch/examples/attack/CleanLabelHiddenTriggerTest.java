package org.atpatch.examples.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashSet;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.model.VisionTransformer;
import org.junit.jupiter.api.Test;

class CleanLabelHiddenTriggerTest {

    private static final Shape SHAPE = new Shape(1, 8, 8);

    private static LabelledData randomImages(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        return new LabelledData(x, IntStream.range(0, n).map(i -> i % 3).toArray(), SHAPE);
    }

    @Test
    void eachSampleGetsTheBlendedPatchAtItsOwnRepeatablePosition() {
        CleanLabelHiddenTrigger t = CleanLabelHiddenTrigger.noise(SHAPE, 3, 0.5, 7, 1);
        LabelledData clean = randomImages(16, 3);
        LabelledData a = t.applyTrigger(clean);
        assertArrayEquals(a.inputs(), t.applyTrigger(clean).inputs(), "the same data gets the same positions");
        assertArrayEquals(clean.labels(), a.labels());
        Set<Integer> corners = new HashSet<>();
        for (int s = 0; s < clean.size(); s++) {
            int minR = 8;
            int minC = 8;
            int maxR = -1;
            int maxC = -1;
            for (int i = 0; i < 64; i++) {
                float before = clean.inputs()[s * 64 + i];
                float after = a.inputs()[s * 64 + i];
                if (after != before) {
                    minR = Math.min(minR, i / 8);
                    maxR = Math.max(maxR, i / 8);
                    minC = Math.min(minC, i % 8);
                    maxC = Math.max(maxC, i % 8);
                }
            }
            assertTrue(maxR - minR < 3 && maxC - minC < 3, "sample " + s + " changed outside one 3 x 3 square");
            corners.add(minR * 8 + minC);
        }
        assertTrue(corners.size() > 4, "positions vary across samples: " + corners);
        // Inside a square the value is the blend: recover the pattern from two samples at known places.
        float[] one = new float[64];
        LabelledData zeros = new LabelledData(one, new int[] {0}, SHAPE);
        float[] patched = t.applyTrigger(zeros).inputs();
        for (float v : patched) {
            assertTrue(v >= 0f && v <= 0.5f, "on a black image the blend is alpha * pattern, in [0, 0.5]: " + v);
        }
    }

    @Test
    void craftedPoisonsStayInTheBudgetKeepTheirLabelsAndCollideWithPatchedSources() {
        Engine.getInstance().setRandomSeed(11);
        VisionTransformer vit = VisionTransformer.builder().setImageSize(8).setPatchSize(2).setDepth(2).setWidth(16)
                .setHeads(2).optMlpRatio(2).setClasses(3).build();
        try (Model model = Model.newInstance("collision-test")) {
            model.setBlock(vit);
            vit.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 8, 8));
            LabelledData train = randomImages(60, 5);
            CleanLabelHiddenTrigger t = CleanLabelHiddenTrigger.noise(SHAPE, 3, 0.5, 7, 1);
            // A budget wider than Saha et al.'s, so that on random images the descent shows within a few steps.
            FeatureCollision.Options o = new FeatureCollision.Options(0.5, 0.3, 60, 0.03, 10, 3);
            FeatureCollision.Result r = FeatureCollision.craft(model, train, t, o);
            System.out.printf(Locale.ROOT, "feature distance %.5f -> %.5f%n", r.distanceBefore(), r.distanceAfter());
            assertEquals(10, r.poisoned().length, "half of the 20 target images");
            assertArrayEquals(train.labels(), r.trainingSet().labels(), "clean labels");
            Set<Integer> poisoned = new HashSet<>();
            for (int p : r.poisoned()) {
                assertEquals(1, train.labels()[p], "only target images are poisoned");
                poisoned.add(p);
            }
            float eps = 0.3f + 1e-6f;
            boolean moved = false;
            for (int s = 0; s < train.size(); s++) {
                for (int i = 0; i < 64; i++) {
                    float before = train.inputs()[s * 64 + i];
                    float after = r.trainingSet().inputs()[s * 64 + i];
                    if (!poisoned.contains(s)) {
                        assertEquals(before, after, "image " + s + " is not a poison and must stay bitwise");
                    } else {
                        assertTrue(Math.abs(after - before) <= eps && after >= 0 && after <= 1, "poison " + s + " left the budget");
                        moved |= after != before;
                    }
                }
            }
            assertTrue(moved, "the poisons were perturbed");
            assertTrue(r.distanceAfter() < 0.5 * r.distanceBefore(), "the feature distance to patched sources should fall: "
                    + r.distanceBefore() + " -> " + r.distanceAfter());
        }
    }

    @Test
    void dirtyLabelPoisoningAndBadSettingsAreRefused() {
        CleanLabelHiddenTrigger t = CleanLabelHiddenTrigger.noise(SHAPE, 3, 0.5, 7, 1);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> t.poison(randomImages(6, 1), 0.1, 1));
        assertTrue(e.getMessage().contains("plant"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CleanLabelHiddenTrigger.noise(SHAPE, 9, 0.5, 7, 1));
        assertThrows(IllegalArgumentException.class, () -> CleanLabelHiddenTrigger.noise(SHAPE, 3, 0, 7, 1));
        assertThrows(IllegalArgumentException.class, () -> new FeatureCollision.Options(0, 0.1, 1, 0.01, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new FeatureCollision.Options(0.5, 0.1, 1, 0.2, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> t.applyTrigger(new LabelledData(new float[48], new int[] {0},
                new Shape(3, 4, 4))));
    }
}
