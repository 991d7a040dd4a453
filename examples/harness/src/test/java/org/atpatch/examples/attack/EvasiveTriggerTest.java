package org.atpatch.examples.attack;

import static org.atpatch.examples.attack.HiddenTriggerTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.Random;
import java.util.stream.IntStream;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.Trigger;
import org.atpatch.djl.model.VisionTransformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EvasiveTriggerTest {

    private static final Shape SHAPE = new Shape(1, 8, 8);
    private static final int TARGET = 1;
    private static final float TAU = 0.5f;
    private static Model model;
    private static LabelledData images;

    @BeforeAll
    static void setUp() {
        Engine.getInstance().setRandomSeed(11);
        VisionTransformer vit = VisionTransformer.builder().setImageSize(8).setPatchSize(2).setDepth(2).setWidth(16)
                .setHeads(2).optMlpRatio(2).setClasses(3).build();
        model = Model.newInstance("evasion-test");
        model.setBlock(vit);
        vit.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 8, 8));
        Random r = new Random(5);
        float[] x = new float[40 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        images = new LabelledData(x, IntStream.range(0, 40).map(i -> i % 2 == 0 ? 0 : 2).toArray(), SHAPE);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** A differentiable detector: each column's probability rises with the attention it draws (N-scaled column mean). */
    private static final ColumnDetector ATTENTION_DRAWN = (maps, layer) -> {
        long n = maps.getShape().get(1);
        try (NDArray scale = maps.getManager().full(new Shape(), (float) (4 * n));
                NDArray shift = maps.getManager().full(new Shape(), 5f)) {
            return Activation.sigmoid(maps.mean(new int[] {1}).mul(scale).sub(shift));
        }
    };

    private static EvasiveTrigger corner() {
        return EvasiveTrigger.of(Trigger.square(TARGET, 5, 5, 3, 1f, SHAPE));
    }

    @Test
    void stampingBlendsThePatternThroughTheMaskAddsThePerturbationAndClips() {
        float[] mask = new float[64];
        mask[0] = 1f;
        mask[1] = 0.5f;
        float[] pattern = new float[64];
        java.util.Arrays.fill(pattern, 0.8f);
        float[] perturbation = new float[64];
        perturbation[1] = 0.1f;
        perturbation[2] = -0.3f;
        perturbation[3] = 0.9f;
        EvasiveTrigger t = new EvasiveTrigger(TARGET, mask, pattern, perturbation, SHAPE);
        float[] x = new float[64];
        java.util.Arrays.fill(x, 0.2f);
        float[] got = t.applyTrigger(new LabelledData(x, new int[] {0}, SHAPE)).inputs();
        assertEquals(0.8f, got[0], 1e-6f);
        assertEquals(0.5f * 0.2f + 0.5f * 0.8f + 0.1f, got[1], 1e-6f);
        assertEquals(0f, got[2], 1e-6f, "clipped at 0");
        assertEquals(1f, got[3], 1e-6f, "clipped at 1");
        assertEquals(0.2f, got[4], 1e-6f, "untouched");
        assertEquals(0.9, t.perturbationBound(), 1e-6);
        assertMessage("mask, pattern and perturbation", () -> new EvasiveTrigger(TARGET, new float[3], pattern, perturbation, SHAPE));
        float[] bad = pattern.clone();
        bad[7] = 1.5f;
        assertMessage("pattern values must lie in [0, 1]", () -> new EvasiveTrigger(TARGET, mask, bad, perturbation, SHAPE));
    }

    @Test
    void theEvasionTermLowersTheDetectorsProbabilitiesOnStampedImages() {
        EvasionSearch.Options plain = new EvasionSearch.Options(40, 16, 0.1, 0, 0.05, 0.2, 3);
        EvasionSearch.Options evading = new EvasionSearch.Options(40, 16, 0.1, 20, 0.05, 0.2, 3);
        EvasiveTrigger forTarget = EvasiveTrigger.optimise(model, images, corner(), plain, null, TAU);
        EvasiveTrigger hidden = EvasiveTrigger.optimise(model, images, corner(), evading, ATTENTION_DRAWN, TAU);
        double before = targetShare(corner());
        double after = targetShare(forTarget);
        assertTrue(after > before, "optimising for the target raises its share: " + before + " -> " + after);
        double seen = meanProbability(forTarget);
        double evaded = meanProbability(hidden);
        assertTrue(evaded < 0.8 * seen, "the evasion term lowers the detector's mean probability: " + seen + " -> " + evaded);
        assertTrue(hidden.perturbationBound() <= 0.2 + 1e-6, "the perturbation stays within ε: " + hidden.perturbationBound());
    }

    @Test
    void badSettingsAndImagesOfTheTargetAreRefused() {
        assertMessage("steps and batch size >= 1", () -> new EvasionSearch.Options(0, 16, 0.1, 1, 0.05, 0.1, 1));
        assertMessage("epsilon in [0, 1]", () -> new EvasionSearch.Options(10, 16, 0.1, 1, 0.05, 1.5, 1));
        LabelledData withTarget = new LabelledData(new float[64], new int[] {TARGET}, SHAPE);
        EvasionSearch.Options o = new EvasionSearch.Options(1, 1, 0.1, 1, 0.05, 0.1, 1);
        assertMessage("other classes than the target", () -> EvasiveTrigger.optimise(model, withTarget, corner(), o, null, TAU));
        assertMessage("τ must lie in (margin, 1)", () -> EvasiveTrigger.optimise(model, images, corner(), o, ATTENTION_DRAWN, 0.01));
    }

    private static double targetShare(EvasiveTrigger t) {
        LabelledData stamped = t.applyTrigger(images);
        try (NDManager m = model.getNDManager().newSubManager()) {
            NDArray logits = model.getBlock().forward(new ai.djl.training.ParameterStore(m, false),
                    new NDList(stamped.batch(m, 0, stamped.size())), false).singletonOrThrow();
            return logits.softmax(1).get(":, " + TARGET).mean().getFloat();
        }
    }

    private static double meanProbability(EvasiveTrigger t) {
        LabelledData stamped = t.applyTrigger(images);
        try (NDManager m = model.getNDManager().newSubManager()) {
            HeadMeans means = new HeadMeans();
            means.forward(model.getBlock(), new ai.djl.training.ParameterStore(m, false), stamped.batch(m, 0, stamped.size()));
            return ATTENTION_DRAWN.detectAll(means.maps()).mean().getFloat();
        }
    }
}
