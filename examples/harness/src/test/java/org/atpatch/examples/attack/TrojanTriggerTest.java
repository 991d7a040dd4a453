package org.atpatch.examples.attack;

import static org.atpatch.examples.attack.HiddenTriggerTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.stream.IntStream;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.model.SwinTransformer;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.testing.VictimTrainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TrojanTriggerTest {

    private static final Shape SHAPE = new Shape(1, 8, 8);
    private static Model model;
    private static LabelledData sample;

    /** An untrained ViT on 8×8 images: 16 patches of 2×2, 2 layers, width 16. */
    private static Model tinyVit(String name) {
        Engine.getInstance().setRandomSeed(11);
        VisionTransformer vit = VisionTransformer.builder().setImageSize(8).setPatchSize(2).setDepth(2).setWidth(16)
                .setHeads(2).optMlpRatio(2).setClasses(3).build();
        Model m = Model.newInstance(name);
        m.setBlock(vit);
        vit.initialize(m.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 8, 8));
        return m;
    }

    @BeforeAll
    static void setUp() {
        model = tinyVit("trojan-test");
        Random r = new Random(5);
        float[] x = new float[48 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        sample = new LabelledData(x, IntStream.range(0, 48).map(i -> i % 3).toArray(), SHAPE);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void optimisationRaisesTheChosenUnitsAboveTheRandomStart() {
        TrojanOptions options = TrojanOptions.builder().setTarget(1).optSize(3).optSteps(60).optBatchSize(16).optSeed(3).build();
        TrojanTrigger trojan = TrojanTrigger.optimise(model, sample, options);
        TrojanTrigger start = TrojanTrigger.startingPoint(SHAPE, options);
        assertEquals(1, trojan.layer(), "the last of two layers by default");
        assertEquals(2, trojan.units().length);
        assertEquals(new SquarePatch(5, 5, 3), trojan.square(), "flush with the bottom-right corner by default");

        HiddenUnits probe = HiddenUnits.at(model, trojan.layer());
        double clean = probe.meanActivation(sample, trojan.units());
        double before = probe.meanActivation(start.applyTrigger(sample), trojan.units());
        double after = probe.meanActivation(trojan.applyTrigger(sample), trojan.units());
        System.out.printf(Locale.ROOT, "Trojan units %s: clean %.4f, random start %.4f, optimised %.4f%n",
                Arrays.toString(trojan.units()), clean, before, after);
        assertTrue(after > before + 0.5 * Math.abs(before - clean) + 1e-3,
                "optimised " + after + " should clearly exceed the random start " + before + " (clean " + clean + ")");
        assertEquals(trojan.fingerprint(), TrojanTrigger.optimise(model, sample, options).fingerprint(), "deterministic");
    }

    @Test
    void onSwinTheSearchExcitesThePooledFeatures() {
        Engine.getInstance().setRandomSeed(11);
        SwinTransformer swin = SwinTransformer.builder().setImageSize(16).setPatchSize(2).setWindowSize(4)
                .setStageDepths(2, 2).setWidth(8).setHeads(2).setClasses(3).build();
        Shape shape = new Shape(1, 16, 16);
        Random r = new Random(5);
        float[] x = new float[32 * 256];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        LabelledData images = new LabelledData(x, IntStream.range(0, 32).map(i -> i % 3).toArray(), shape);
        try (Model m = Model.newInstance("trojan-swin")) {
            m.setBlock(swin);
            VictimTrainer.initialize(m, shape, 11);
            HiddenUnits deepest = HiddenUnits.deepest(m);
            assertTrue(deepest instanceof SwinFeatureProbe, deepest.getClass().getSimpleName());
            assertEquals(4, deepest.layer(), "after the last of 2 + 2 layers");
            assertEquals(16, deepest.pooled(images, 8)[0].length, "width 8 doubled by the patch merging");
            TrojanOptions options = TrojanOptions.builder().setTarget(2).optSize(4).optSteps(40).optBatchSize(16)
                    .optSeed(3).build();
            TrojanTrigger trojan = TrojanTrigger.optimise(m, images, options);
            assertEquals(4, trojan.layer());
            double before = deepest.meanActivation(TrojanTrigger.startingPoint(shape, options).applyTrigger(images),
                    trojan.units());
            double after = deepest.meanActivation(trojan.applyTrigger(images), trojan.units());
            assertTrue(after > before + 1e-3, "optimised " + after + " vs random start " + before);
            assertMessage("token-state points", () -> HiddenUnits.at(m, 1));
        }
    }

    @Test
    void explicitUnitsAndLayerAreUsed() {
        TrojanOptions options = TrojanOptions.builder().setTarget(0).optSize(2).optPosition(0, 0).optLayer(0)
                .optUnits(3, 7).optSteps(5).build();
        TrojanTrigger t = TrojanTrigger.optimise(model, sample.range(0, 8), options);
        assertArrayEquals(new int[] {3, 7}, t.units());
        assertEquals(0, t.layer());
        assertEquals(new SquarePatch(0, 0, 2), t.square());
    }

    @Test
    void fineTuneContinuesFromTheCleanWeights() {
        try (Model victim = tinyVit("trojan-fine-tune")) {
            Parameter w = victim.getBlock().getParameters().valueAt(0);
            float[] clean = w.getArray().toFloatArray();
            TrojanTrigger t = TrojanTrigger.startingPoint(SHAPE, TrojanOptions.builder().setTarget(2).optSize(3).build());
            float loss = t.fineTune(victim, sample, 0.2, 1, VictimTrainer.builder().optEpochs(1).optBatchSize(16)
                    .optLearningRate(1e-6f).optProgress(false).build());
            float[] tuned = w.getArray().toFloatArray();
            double moved = 0;
            for (int i = 0; i < clean.length; i++) {
                moved = Math.max(moved, Math.abs(tuned[i] - clean[i]));
            }
            assertTrue(Float.isFinite(loss));
            assertTrue(moved > 0 && moved < 1e-3, "a tiny learning rate must nudge, not re-initialise, the weights: moved " + moved);
        }
    }

    @Test
    void stampsItsPatternOnEveryChannel() {
        float[] pattern = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
        TrojanTrigger t = new TrojanTrigger(new SquarePatch(1, 2, 2), 2, pattern, 0);
        float[] x = t.applyTrigger(new LabelledData(new float[2 * 16], new int[] {1}, new Shape(2, 4, 4))).inputs();
        assertEquals(0.1f, x[4 + 2]);
        assertEquals(0.2f, x[4 + 3]);
        assertEquals(0.3f, x[8 + 2]);
        assertEquals(0.4f, x[8 + 3]);
        assertEquals(0.5f, x[16 + 4 + 2]);
        assertEquals(0.8f, x[16 + 8 + 3]);
        assertEquals(0f, x[0]);
        assertTrue(t.fingerprint().startsWith("Trojan(row=1,col=2,size=2,channels=2,pattern=sha256:"), t.fingerprint());
    }

    @Test
    void rejectsBadArguments() {
        assertMessage("setTarget", () -> TrojanOptions.builder().build());
        assertMessage("size", () -> TrojanOptions.builder().setTarget(0).optSize(0).build());
        assertMessage("steps", () -> TrojanOptions.builder().setTarget(0).optSteps(0).build());
        assertMessage("learning rate", () -> TrojanOptions.builder().setTarget(0).optLearningRate(0).build());
        assertMessage("distinct", () -> TrojanOptions.builder().setTarget(0).optUnits(1, 1).build());
        assertMessage("position", () -> TrojanOptions.builder().optPosition(-1, 0));
        assertMessage("does not fit 8x8",
                () -> TrojanTrigger.optimise(model, sample, TrojanOptions.builder().setTarget(0).optPosition(6, 6).build()));
        assertMessage("token-state points",
                () -> TrojanTrigger.optimise(model, sample, TrojanOptions.builder().setTarget(0).optLayer(2).build()));
        assertMessage("width 16",
                () -> TrojanTrigger.optimise(model, sample, TrojanOptions.builder().setTarget(0).optUnits(16).build()));
        assertMessage("from a width of 16",
                () -> TrojanTrigger.optimise(model, sample, TrojanOptions.builder().setTarget(0).optUnitCount(17).build()));
        assertMessage("needs 4", () -> new TrojanTrigger(new SquarePatch(0, 0, 2), 1, new float[3], 0));
        assertMessage("[0, 1]", () -> new TrojanTrigger(new SquarePatch(0, 0, 2), 1, new float[] {0, 0, 0, 2}, 0));
        TrojanTrigger t = new TrojanTrigger(new SquarePatch(0, 0, 2), 1, new float[4], 0);
        assertMessage("1-channel", () -> t.applyTrigger(new LabelledData(new float[2 * 16], new int[] {0}, new Shape(2, 4, 4))));
    }
}
