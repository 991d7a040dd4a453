package org.atpatch.examples.baseline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.util.Random;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.Test;

class HeadLayerTest {

    private static LabelledData images(int n) {
        Random r = new Random(4);
        float[] x = new float[n * Fixtures.IMAGE * Fixtures.IMAGE];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        return new LabelledData(x, new int[n], new Shape(1, Fixtures.IMAGE, Fixtures.IMAGE));
    }

    @Test
    void readsAVitsClsRepresentationAndEditsItExactly() {
        try (Model vit = Fixtures.vitModel()) {
            float[][] logits = ModelOutputs.logits(vit, images(9), 4);
            HeadLayer head = HeadLayer.of(vit);
            assertEquals(Fixtures.WIDTH, head.units());
            assertEquals(Fixtures.CLASSES, head.classes());
            // features() checks W h + b against the model's own logits and throws when they differ.
            float[][] h = head.features(images(9), 4);
            assertArrayEquals(logits[3], ModelOutputs.logits(vit, images(9), 4)[3], "the head is restored");
            UnitEdit edit = UnitEdit.identity(head.units()).with(2, 0f, 0.5f).with(5, 3f, 0f);
            HeadScorer scorer = new HeadScorer(h, head.weight(), head.bias());
            head.apply(edit);
            float[][] edited = ModelOutputs.logits(vit, images(9), 4);
            for (int i = 0; i < 9; i++) {
                assertArrayEquals(scorer.logits(edit, i), edited[i], 1e-4f);
            }
        }
    }

    @Test
    void aModelWithoutALinearHeadIsRefused() {
        SequentialBlock net = new SequentialBlock().add(Linear.builder().setUnits(3).build()).add(Activation.reluBlock());
        try (Model m = Model.newInstance("no-head")) {
            m.setBlock(net);
            net.initialize(m.getNDManager(), DataType.FLOAT32, new Shape(1, 2));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HeadLayer.of(m));
            assertTrue(e.getMessage().contains("not a linear classifier head"), e.getMessage());
        }
    }
}
