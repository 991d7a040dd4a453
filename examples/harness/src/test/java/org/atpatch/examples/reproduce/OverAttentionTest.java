package org.atpatch.examples.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.atpatch.core.LayerAttention;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.model.SwinTransformer;
import org.atpatch.djl.model.VisionTransformer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class OverAttentionTest {

    static {
        org.atpatch.detector.DjlOffline.configure();
    }

    private static final Shape SAMPLE = new Shape(1, 16, 16);

    /** Patch 4 on 16 × 16: 16 patches and CLS, 2 layers. */
    private static Model vit() {
        return model("over-attention-vit", VisionTransformer.builder().setImageSize(16).setPatchSize(4).setDepth(2)
                .setWidth(16).setHeads(2).optMlpRatio(2).setClasses(3).build());
    }

    /** Patch 2 on 16 × 16: an 8 × 8 grid; stage 0 has 4 windows of 4 × 4 (shifted in layer 1), stage 1 one. */
    private static Model swin() {
        return model("over-attention-swin", SwinTransformer.builder().setImageSize(16).setPatchSize(2).setWindowSize(4)
                .setStageDepths(2, 2).setWidth(8).setHeads(2).setClasses(3).build());
    }

    private static Model model(String name, Block block) {
        Engine.getInstance().setRandomSeed(17);
        Model m = Model.newInstance(name);
        m.setBlock(block);
        block.initialize(m.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 16, 16));
        return m;
    }

    private static List<float[]> images(int count, int seed) {
        Random r = new Random(seed);
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            float[] x = new float[256];
            for (int j = 0; j < x.length; j++) {
                x[j] = r.nextFloat();
            }
            out.add(x);
        }
        return out;
    }

    private static List<LayerAttention> record(Model model, List<float[]> inputs) {
        try (NDManager m = model.getNDManager().newSubManager()) {
            return AttentionRecorder.recordLayers(model, LabelledData.unlabelled(inputs, SAMPLE).batch(m, 0, inputs.size()));
        }
    }

    /** Mean over the maps and the rows (or row 0) of the mass on {@code columns}, straight from the definition. */
    private static double direct(LayerAttention layer, int head, int[] columns, boolean clsOnly) {
        INDArray maps = layer.maps();
        int n = layer.tokens();
        double sum = 0;
        for (int b = 0; b < layer.batchSize(); b++) {
            for (int i = 0; i < (clsOnly ? 1 : n); i++) {
                for (int c : columns) {
                    sum += maps.getDouble(b, head, i, c);
                }
            }
        }
        return sum / layer.batchSize() / (clsOnly ? 1 : n);
    }

    @Test
    void massIsTheMeanColumnMassOverAllRowsAndTheClsRow() {
        try (Model model = vit()) {
            List<float[]> anomalous = images(5, 1);
            List<float[]> clean = images(3, 2);
            int[] columns = {3, 7};
            // Batch 2 splits both sets unevenly: the means must still run over every input.
            OverAttention over = OverAttention.measure(model, anomalous, clean, SAMPLE, columns, true, 2);
            List<LayerAttention> a = record(model, anomalous);
            List<LayerAttention> c = record(model, clean);
            assertEquals(2 * 2, over.cells().size());
            for (OverAttention.Cell cell : over.cells()) {
                int l = cell.layer();
                int h = cell.head();
                assertEquals(direct(a.get(l), h, columns, false), cell.anomalousAll(), 1e-6);
                assertEquals(direct(c.get(l), h, columns, false), cell.cleanAll(), 1e-6);
                assertEquals(direct(a.get(l), h, columns, true), cell.anomalousCls(), 1e-6);
                assertEquals(direct(c.get(l), h, columns, true), cell.cleanCls(), 1e-6);
                assertEquals(cell.anomalousAll() / cell.cleanAll(), cell.ratioAll(), 1e-12);
            }
            // Every column holds all of every row's mass.
            int[] every = IntStream.range(0, 17).toArray();
            for (OverAttention.Cell cell : OverAttention.measure(model, anomalous, clean, SAMPLE, every, true, 4).cells()) {
                assertEquals(1, cell.anomalousAll(), 1e-5);
                assertEquals(1, cell.cleanCls(), 1e-5);
            }
        }
    }

    @Test
    void windowMapsCountOnlyTheWindowsThatHoldTheColumns() {
        try (Model model = swin()) {
            List<float[]> anomalous = images(3, 3);
            List<float[]> clean = images(2, 4);
            // The finest tokens of the top-left 4 × 4 window of layer 0 (grid rows 0-3, columns 0-3).
            int[] window0 = IntStream.range(0, 16).map(k -> (k / 4) * 8 + k % 4).toArray();
            OverAttention over = OverAttention.measure(model, anomalous, clean, SAMPLE, window0, false, 2);
            List<LayerAttention> c = record(model, clean);
            assertEquals(4 * 2, over.cells().size());
            for (OverAttention.Cell cell : over.cells()) {
                assertTrue(Double.isNaN(cell.anomalousCls()), "window maps have no CLS row");
                if (cell.layer() == 0) {
                    // Only window 0 holds them, and it holds every one of its columns: all of its mass.
                    // Averaged over all four windows of a sample, the mass would be 1/4.
                    assertEquals(1, cell.anomalousAll(), 1e-5);
                    assertEquals(1, cell.cleanAll(), 1e-5);
                }
                if (cell.layer() >= 2) {
                    // Stage 1 merges 2 × 2 tokens into a 4 × 4 grid held by one window: the window's
                    // tokens become merged columns 0, 1, 4 and 5.
                    assertEquals(direct(c.get(cell.layer()), cell.head(), new int[] {0, 1, 4, 5}, false), cell.cleanAll(),
                            1e-6);
                    assertTrue(cell.cleanAll() < 0.9, "four of sixteen columns: " + cell.cleanAll());
                }
            }
            // Every finest token: every window map holds all its rows' mass, at every layer.
            int[] every = IntStream.range(0, 64).toArray();
            for (OverAttention.Cell cell : OverAttention.measure(model, anomalous, clean, SAMPLE, every, false, 2).cells()) {
                assertEquals(1, cell.anomalousAll(), 1e-5, "layer " + cell.layer());
                assertEquals(1, cell.cleanAll(), 1e-5, "layer " + cell.layer());
            }
        }
    }

    @Test
    void badArgumentsAreNamed() {
        List<float[]> one = images(1, 5);
        try (Model model = swin()) {
            assertMessage("no CLS row", () -> OverAttention.measure(model, one, one, SAMPLE, new int[] {0}, true, 1));
            assertMessage("column 64 is outside the 64 tokens",
                    () -> OverAttention.measure(model, one, one, SAMPLE, new int[] {64}, false, 1));
        }
        try (Model model = vit()) {
            assertMessage("column -1 is outside the 17 tokens",
                    () -> OverAttention.measure(model, one, one, SAMPLE, new int[] {-1}, true, 1));
            assertMessage("needs anomalous inputs, clean inputs and columns",
                    () -> OverAttention.measure(model, one, one, SAMPLE, new int[0], true, 1));
        }
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should mention " + part);
    }
}
