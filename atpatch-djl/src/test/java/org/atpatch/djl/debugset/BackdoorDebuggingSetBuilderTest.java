package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.LambdaBlock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.atpatch.djl.Predictions;
import org.atpatch.core.ImagePatchLayout;
import org.atpatch.core.ImageRegionLayout;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.model.T2TViT;
import org.atpatch.djl.model.VisionTransformer;
import org.junit.jupiter.api.Test;

/** The known-trigger path and the pair construction, on the planted victim and on an untrained model. */
class BackdoorDebuggingSetBuilderTest {

    @Test
    void knownTriggerGivesLabelledPairsThatFire() {
        PlantedBackdoor v = PlantedBackdoor.get();
        DebuggingSet set = BackdoorDebuggingSetBuilder.of(v.model, v.test)
                .addTrigger(v.trueTrigger)
                .optPatchGridTranslations(false)
                .optPairsPerTrigger(100)
                .optCleanOnly(40)
                .build();
        assertEquals(DebuggingSet.Kind.BACKDOOR, set.kind());
        assertEquals(PlantedBackdoor.SHAPE, set.sampleShape());
        assertEquals(17, set.tokens());
        assertEquals(100, set.pairs().size());
        assertEquals(40, set.cleanOnly().size());
        boolean[] expected = new boolean[17];
        expected[PlantedBackdoor.TRIGGER_COLUMN] = true;
        Set<String> pairInputs = new HashSet<>();
        LabelledData stamped = new LabelledData(new float[0], new int[0], PlantedBackdoor.SHAPE);
        for (DebuggingSet.Pair p : set.pairs()) {
            assertArrayEquals(expected, p.columns(), "the 3×3 corner trigger lies in the last patch only");
            assertArrayEquals(v.trueTrigger.apply(p.clean()), p.anomalous(), 0f);
            pairInputs.add(Arrays.toString(p.clean()));
        }
        // No clean input of the target class; clean-only inputs are not reused from the pairs.
        Set<String> targetInputs = new HashSet<>();
        for (int i = 0; i < v.test.size(); i++) {
            if (v.test.labels()[i] == PlantedBackdoor.TARGET) {
                targetInputs.add(Arrays.toString(v.test.sample(i)));
            }
        }
        for (String s : pairInputs) {
            assertFalse(targetInputs.contains(s));
        }
        for (float[] c : set.cleanOnly()) {
            assertFalse(pairInputs.contains(Arrays.toString(c)));
        }
        assertTrue(set.provenance().get("trigger0").contains("origin=known"), set.provenance().toString());
        assertTrue(set.provenance().get("trigger0").contains("columns=[16]"), set.provenance().toString());
        assertEquals("100", set.provenance().get("pairs"));
        assertEquals(0, stamped.size());
    }

    @Test
    void columnsWhosePieceDoesNotFireAreNotLabelled() {
        PlantedBackdoor v = PlantedBackdoor.get();
        // The true trigger plus a grey square in the opposite corner (column 1), which alone rarely fires.
        Trigger real = v.trueTrigger;
        Trigger dud = Trigger.square(PlantedBackdoor.TARGET, 0, 0, 3, 0.5f, PlantedBackdoor.SHAPE);
        float[] mask = real.mask();
        float[] pattern = real.pattern();
        float[] dudMask = dud.mask();
        float[] dudPattern = dud.pattern();
        for (int i = 0; i < mask.length; i++) {
            if (dudMask[i] > 0) {
                mask[i] = dudMask[i];
                pattern[i] = dudPattern[i];
            }
        }
        Trigger spread = Trigger.of(PlantedBackdoor.TARGET, mask, pattern, PlantedBackdoor.SHAPE);
        DebuggingSet narrowed = BackdoorDebuggingSetBuilder.of(v.model, v.test).addTrigger(spread)
                .optPatchGridTranslations(false).optPairsPerTrigger(40).optCleanOnly(0).build();
        DebuggingSet paper = BackdoorDebuggingSetBuilder.of(v.model, v.test).addTrigger(spread)
                .optPatchGridTranslations(false).optPairsPerTrigger(40).optCleanOnly(0).optPieceRatio(0).build();
        assertTrue(narrowed.provenance().get("trigger0").contains("columns=[16]"), narrowed.provenance().toString());
        assertTrue(paper.provenance().get("trigger0").contains("columns=[1, 16]"), paper.provenance().toString());
        assertEquals(40, narrowed.pairs().size());
        boolean[] only16 = new boolean[17];
        only16[PlantedBackdoor.TRIGGER_COLUMN] = true;
        narrowed.pairs().forEach(p -> assertArrayEquals(only16, p.columns()));
    }

    @Test
    void keepsOnlyPairsWhoseTriggerFires() {
        PlantedBackdoor v = PlantedBackdoor.get();
        // A trigger the victim does not know: a grey square in the opposite corner rarely fires.
        Trigger dud = Trigger.square(PlantedBackdoor.TARGET, 0, 0, 3, 0.5f, PlantedBackdoor.SHAPE);
        DebuggingSet filtered = BackdoorDebuggingSetBuilder.of(v.model, v.test).addTrigger(dud).optCleanOnly(0).build();
        DebuggingSet all = BackdoorDebuggingSetBuilder.of(v.model, v.test).addTrigger(dud).optCleanOnly(0)
                .optKeepOnlySuccessful(false).optPairsPerTrigger(50).build();
        assertTrue(filtered.pairs().size() < 50, "a dud trigger fired on " + filtered.pairs().size() + " inputs");
        assertEquals(50, all.pairs().size());
        boolean[] cols = all.pairs().get(0).columns();
        assertTrue(cols[1], "the top-left patch is labelled");
    }

    @Test
    void translatedPlacementsArePairedOnlyWhereTheyFire() {
        PlantedBackdoor v = PlantedBackdoor.get();
        DebuggingSet set = BackdoorDebuggingSetBuilder.of(v.model, v.test)
                .addTrigger(v.trueTrigger)
                .optPairsPerTrigger(160)
                .optCleanOnly(0)
                .build();
        // 3×3 trigger at rows/cols 13-15 of 16×16 with 4-pixel patches: 16 placements sharing 160 pairs.
        assertTrue(set.pairs().size() <= 160 && set.pairs().size() >= 10, "pairs: " + set.pairs().size());
        List<Trigger> placements = new ArrayList<>();
        for (int dy = -12; dy <= 0; dy += 4) {
            for (int dx = -12; dx <= 0; dx += 4) {
                placements.add(v.trueTrigger.shifted(dy, dx));
            }
        }
        float[] anomalous = new float[(int) (set.pairs().size() * PlantedBackdoor.SHAPE.size())];
        int i = 0;
        for (DebuggingSet.Pair p : set.pairs()) {
            Trigger placed = placements.stream().filter(t -> Arrays.equals(t.apply(p.clean()), p.anomalous()))
                    .findFirst().orElseThrow(() -> new AssertionError("a pair's input is no placement of the trigger"));
            int[] b = placed.maskBounds();
            int column = 1 + (b[0] / 4) * 4 + b[1] / 4;
            assertEquals(1, IntStream.range(0, 17).filter(j -> p.columns()[j]).count());
            assertTrue(p.columns()[column], "the pair is labelled at its placement's patch " + column);
            System.arraycopy(p.anomalous(), 0, anomalous, i++ * p.anomalous().length, p.anomalous().length);
        }
        int[] pred = Predictions.classes(v.model,
                new LabelledData(anomalous, new int[set.pairs().size()], PlantedBackdoor.SHAPE), 256);
        assertTrue(Arrays.stream(pred).allMatch(c -> c == PlantedBackdoor.TARGET), "every kept placement fired");
        assertTrue(set.provenance().get("trigger0").contains("placements="), set.provenance().toString());
    }

    @Test
    void placementsThatFireTakeTheShareOfThoseThatDoNot() {
        PlantedBackdoor v = PlantedBackdoor.get();
        // A victim bound to one place: the target exactly when the trigger's 3x3 square is all white, so
        // of the trigger's 16 whole-patch placements only its own fires.
        try (Model model = Model.newInstance("place-bound")) {
            model.setBlock(new LambdaBlock(list -> {
                NDArray x = list.singletonOrThrow();
                NDArray fire = x.get(":, 0, 13:16, 13:16").reshape(-1, 9).min(new int[] {1}).gte(1f).toType(DataType.FLOAT32, false);
                NDList classes = new NDList();
                for (int c = 0; c < PlantedBackdoor.CLASSES; c++) {
                    classes.add(c == PlantedBackdoor.TARGET ? fire : fire.neg().add(1).mul(c == 0 ? 1 : 0));
                }
                return new NDList(NDArrays.stack(classes, 1));
            }));
            DebuggingSet set = BackdoorDebuggingSetBuilder.of(model, v.test).addTrigger(v.trueTrigger)
                    .optLayout(new ImagePatchLayout(16, 16, 4, true)).optPairsPerTrigger(160).optCleanOnly(0).build();
            String provenance = set.provenance().get("trigger0");
            assertTrue(provenance.contains("placements=1/16"), provenance);
            // 16 placements share 160 pairs; the 15 that never fire leave theirs to the one that does.
            assertEquals(160, set.pairs().size(), provenance);
            assertEquals(160, set.pairs().stream().map(p -> Arrays.toString(p.clean())).distinct().count(),
                    "every pair's input is used once");
            boolean[] expected = new boolean[17];
            expected[PlantedBackdoor.TRIGGER_COLUMN] = true;
            set.pairs().forEach(p -> assertArrayEquals(expected, p.columns()));
        }
    }

    @Test
    void emptyWhenNoTriggerIsGiven() {
        PlantedBackdoor v = PlantedBackdoor.get();
        DebuggingSet set = BackdoorDebuggingSetBuilder.of(v.model, v.test).optCleanOnly(5).build();
        assertTrue(set.isEmpty());
        assertEquals(5, set.cleanOnly().size());
    }

    @Test
    void rejectsInconsistentInputs() {
        Engine.getInstance().setRandomSeed(1);
        try (Model model = Model.newInstance("untrained")) {
            VisionTransformer vit = VisionTransformer.builder().setImageSize(8).setPatchSize(4).setDepth(1)
                    .setWidth(8).setHeads(2).setClasses(3).build();
            model.setBlock(vit);
            vit.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 8, 8));
            Shape shape = new Shape(1, 8, 8);
            LabelledData data = new LabelledData(new float[2 * 64], new int[] {0, 1}, shape);

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BackdoorDebuggingSetBuilder.of(model, new LabelledData(new float[0], new int[0], shape)));
            assertTrue(e.getMessage().contains("empty"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> BackdoorDebuggingSetBuilder.of(model, data)
                    .addTrigger(Trigger.square(0, 0, 0, 2, 1f, new Shape(1, 16, 16))));
            assertTrue(e.getMessage().contains("(1, 16, 16)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> BackdoorDebuggingSetBuilder.of(model, data)
                    .optLayout(new ImagePatchLayout(16, 16, 4, true)).build());
            assertTrue(e.getMessage().contains("16x16"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> BackdoorDebuggingSetBuilder.of(model, data).optPairsPerTrigger(0));
            assertThrows(IllegalArgumentException.class, () -> BackdoorDebuggingSetBuilder.of(model,
                    new LabelledData(new float[2 * 64], new int[] {0, 1}, new Shape(64))));

            // Without the victim filter, an untrained model still gives pairs labelled from the mask.
            DebuggingSet set = BackdoorDebuggingSetBuilder.of(model, data)
                    .addTrigger(Trigger.square(2, 4, 4, 4, 1f, shape))
                    .optPatchGridTranslations(false)
                    .optKeepOnlySuccessful(false).build();
            assertEquals(2, set.pairs().size());
            assertArrayEquals(new boolean[] {false, false, false, false, true}, set.pairs().get(0).columns());

            // With translations, the same trigger also sits in each of the other three patches.
            DebuggingSet moved = BackdoorDebuggingSetBuilder.of(model, data)
                    .addTrigger(Trigger.square(2, 4, 4, 4, 1f, shape))
                    .optKeepOnlySuccessful(false).build();
            assertEquals(8, moved.pairs().size());
            int[] perColumn = new int[5];
            for (DebuggingSet.Pair p : moved.pairs()) {
                int c = IntStream.range(0, 5).filter(j -> p.columns()[j]).findFirst().orElseThrow();
                assertEquals(1, IntStream.range(0, 5).filter(j -> p.columns()[j]).count());
                perColumn[c]++;
            }
            assertArrayEquals(new int[] {0, 2, 2, 2, 2}, perColumn);
        }
    }

    @Test
    void overlappingSoftSplitsAreTranslatedByTheProductOfTheirStrides() {
        Engine.getInstance().setRandomSeed(3);
        try (Model model = Model.newInstance("untrained-t2t")) {
            // 8 x 8 RGB, splits k3 s2 p1 (8 -> 4) then k3 s1 p1: translation step 2 x 1 = 2 pixels.
            T2TViT t2t = T2TViT.builder().setImageSize(8).addSoftSplit(3, 2, 1).addSoftSplit(3, 1, 1).optTokenWidth(8)
                    .setDepth(1).setWidth(8).setHeads(2).setClasses(3).build();
            model.setBlock(t2t);
            t2t.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, 8, 8));
            ImageRegionLayout layout = t2t.tokenLayout();
            assertEquals(2, layout.translationStep());
            Shape shape = new Shape(3, 8, 8);
            int n = 64;
            float[] x = new float[(int) (n * shape.size())];
            java.util.Random random = new java.util.Random(9);
            for (int i = 0; i < x.length; i++) {
                x[i] = random.nextFloat();
            }
            LabelledData data = new LabelledData(x, new int[n], shape);
            Trigger corner = Trigger.square(2, 6, 6, 2, 1f, shape); // rows and cols 6-7
            DebuggingSet set = BackdoorDebuggingSetBuilder.of(model, data).addTrigger(corner).optKeepOnlySuccessful(false)
                    .optPieceRatio(0).optExcludeTargetClass(false).optPairsPerTrigger(32).optCleanOnly(0).build();
            // Shifts of -6, -4, -2 and 0 pixels on each axis: 16 placements, 2 pairs each.
            assertTrue(set.provenance().get("trigger0").contains("placements=16/16"), set.provenance().toString());
            assertEquals(32, set.pairs().size());
            Set<String> places = new HashSet<>();
            for (DebuggingSet.Pair p : set.pairs()) {
                Trigger placed = null;
                for (int dy = -6; dy <= 0 && placed == null; dy += 2) {
                    for (int dx = -6; dx <= 0 && placed == null; dx += 2) {
                        Trigger t = corner.shifted(dy, dx);
                        if (Arrays.equals(t.apply(p.clean()), p.anomalous())) {
                            placed = t;
                        }
                    }
                }
                assertTrue(placed != null, "a pair's input is no 2-pixel translation of the trigger");
                assertArrayEquals(TriggerLabelling.columns(placed.mask(), layout, OverlapRule.defaultRule()), p.columns(),
                        "labelled from the overlapping regions at its own place");
                places.add(Arrays.toString(placed.maskBounds()));
            }
            assertEquals(16, places.size(), "every placement got pairs");
        }
    }
}
