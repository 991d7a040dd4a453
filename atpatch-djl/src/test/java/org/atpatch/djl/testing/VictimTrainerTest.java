package org.atpatch.djl.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.atpatch.djl.LabelledData;
import org.junit.jupiter.api.Test;

/** {@link VictimTrainer#initialize}: the initial weights follow from the seed alone. */
class VictimTrainerTest {

    @Test
    void initialWeightsDependOnTheSeedOnlyNotOnEarlierRandomDraws() {
        float[] first = initialWeights(7, 0);
        float[] afterOtherDraws = initialWeights(7, 1000);
        float[] otherSeed = initialWeights(8, 0);
        assertArrayEquals(first, afterOtherDraws, "same seed, other random numbers drawn before");
        assertFalse(Arrays.equals(first, otherSeed), "another seed gives other weights");
    }

    private static float[] initialWeights(long seed, int drawsBefore) {
        Engine.getInstance().setRandomSeed(99);
        try (NDManager m = NDManager.newBaseManager()) {
            if (drawsBefore > 0) {
                m.randomUniform(0f, 1f, new Shape(drawsBefore), DataType.FLOAT32);
            }
        }
        try (Model model = Model.newInstance("victim")) {
            model.setBlock(Fixtures.vit());
            VictimTrainer.initialize(model, new Shape(1, Fixtures.IMAGE, Fixtures.IMAGE), seed);
            return model.getBlock().getParameters().valueAt(0).getArray().toFloatArray();
        }
    }

    @Test
    void augmentedTrainingFollowsTheSeedAndDiffersFromPlainTraining() {
        float[] augmented = trainedWeights(CropFlipAugmentation.of(1, true));
        float[] again = trainedWeights(CropFlipAugmentation.of(1, true));
        float[] plain = trainedWeights(null);
        assertArrayEquals(augmented, again, "same seed, same augmented training");
        assertFalse(Arrays.equals(augmented, plain), "the augmentation changed what the model saw");
    }

    private static float[] trainedWeights(CropFlipAugmentation augmentation) {
        try (Model model = Model.newInstance("victim"); NDManager m = NDManager.newBaseManager()) {
            model.setBlock(Fixtures.vit());
            VictimTrainer.initialize(model, new Shape(1, Fixtures.IMAGE, Fixtures.IMAGE), 3);
            int n = 32;
            float[] x = Fixtures.images(m, n, 11).toFloatArray();
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                y[i] = i % Fixtures.CLASSES;
            }
            LabelledData data = new LabelledData(x, y, new Shape(1, Fixtures.IMAGE, Fixtures.IMAGE));
            VictimTrainer.builder().optEpochs(1).optBatchSize(8).optSeed(5).optProgress(false).optAugmentation(augmentation)
                    .build().fit(model, data);
            return model.getBlock().getParameters().valueAt(0).getArray().toFloatArray();
        }
    }

    @Test
    void parametersLoadedFromAFileCanBeTrainedFurther() throws Exception {
        try (Model trained = Model.newInstance("victim"); Model loaded = Model.newInstance("fine-tuned");
                NDManager m = NDManager.newBaseManager()) {
            trained.setBlock(Fixtures.vit());
            VictimTrainer.initialize(trained, new Shape(1, Fixtures.IMAGE, Fixtures.IMAGE), 3);
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            trained.getBlock().saveParameters(new java.io.DataOutputStream(bytes));
            loaded.setBlock(Fixtures.vit());
            VictimTrainer.initialize(loaded, new Shape(1, Fixtures.IMAGE, Fixtures.IMAGE), 4);
            loaded.getBlock().loadParameters(loaded.getNDManager(),
                    new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())));
            float[] before = loaded.getBlock().getParameters().valueAt(0).getArray().toFloatArray();
            int n = 16;
            LabelledData data = new LabelledData(Fixtures.images(m, n, 11).toFloatArray(), new int[n],
                    new Shape(1, Fixtures.IMAGE, Fixtures.IMAGE));
            VictimTrainer.builder().optEpochs(1).optBatchSize(8).optProgress(false).build().fit(loaded, data);
            assertFalse(Arrays.equals(before, loaded.getBlock().getParameters().valueAt(0).getArray().toFloatArray()),
                    "fine-tuning after loading moved the weights");
        }
    }
}
