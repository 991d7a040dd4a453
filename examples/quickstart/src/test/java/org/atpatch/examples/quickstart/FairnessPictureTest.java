package org.atpatch.examples.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.atpatch.core.BenignStatistics;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.debugset.ProtectedAttribute;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.model.FTTransformer;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.djl.render.AttentionPicture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fairness quickstart's picture step on a tiny untrained FT-Transformer and a detector that flags {@code sex}. */
class FairnessPictureTest {

    static {
        DjlOffline.configure();
    }

    /** CLS, x1, x2, sex, grp. */
    private static final int SEX_COLUMN = 3;

    private static LabelledData rows(int n) {
        Random r = new Random(3);
        float[] x = new float[n * 4];
        for (int i = 0; i < n; i++) {
            x[i * 4] = r.nextFloat();
            x[i * 4 + 1] = r.nextFloat();
            x[i * 4 + 2] = r.nextInt(2);
            x[i * 4 + 3] = r.nextInt(3);
        }
        return new LabelledData(x, new int[n], new Shape(4));
    }

    /** Flags {@code sex} (probability 0.9) in the even rows of every batch when {@code any}, else nothing. */
    private static ColumnDetector sexInEvenRows(boolean any) {
        return (maps, layer) -> {
            int b = (int) maps.getShape().get(0);
            int n = (int) maps.getShape().get(1);
            float[] p = new float[b * n];
            for (int i = 0; any && i < b; i += 2) {
                p[i * n + SEX_COLUMN] = 0.9f;
            }
            return maps.getManager().create(p, new Shape(b, n));
        };
    }

    @Test
    void drawsAPatchedRowItsFlipAndAnUnpatchedRowOrSaysWhyNot(@TempDir Path dir) throws Exception {
        Engine.getInstance().setRandomSeed(11);
        FTTransformer ft = FTTransformer.builder().addNumericFeature("x1").addNumericFeature("x2")
                .addCategoricalFeature("sex", 2).addCategoricalFeature("grp", 3)
                .setDepth(2).setWidth(16).setHeads(2).setClasses(2).build();
        LabelledData test = rows(20);
        try (Model model = Model.newInstance("tiny-ft"); NDManager m = NDManager.newBaseManager()) {
            model.setBlock(ft);
            ft.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 4));
            BenignStatistics q = BenignStatistics.empty(2, 2, 5, 16);
            AttentionRecorder.record(model, test.batch(m, 0, 20), true).accumulateInto(q);
            ProtectedAttribute sex = ProtectedAttribute.of(ft, "sex", 0f, 1f);
            Path file = dir.resolve("attention.png");
            try (PatchedModel patched = PatchedModel.builder().setModel(model).setDetector(sexInEvenRows(true))
                    .setBenignStatistics(q).optPatchRule(PatchRules.gamma()).optTau(0.5).build()) {
                assertTrue(FairnessQuickstart.drawAttention(patched, ft.tokenLayout(), test, sex, file));
            }
            BufferedImage img = ImageIO.read(file.toFile());
            int outlined = 0;
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    outlined += (img.getRGB(x, y) & 0xffffff) == AttentionPicture.FLAGGED_RGB ? 1 : 0;
                }
            }
            // Rows 0 (patched) and 2 (the flip's neighbour in the audited batch, also an even row) have sex
            // outlined on both sides at both layers: 8 outlines of a 56 x 16 box, 2 pixels wide, plus the legend's.
            int box = 2 * (56 + 16) * 2 - 16;
            int legend = 2 * (16 + 16) * 2 - 16;
            assertEquals(8 * box + legend, outlined);
            Path none = dir.resolve("none.png");
            try (PatchedModel patched = PatchedModel.builder().setModel(model).setDetector(sexInEvenRows(false))
                    .setBenignStatistics(q).optPatchRule(PatchRules.gamma()).optTau(0.5).build()) {
                assertFalse(FairnessQuickstart.drawAttention(patched, ft.tokenLayout(), test, sex, none));
            }
            assertFalse(Files.exists(none));
        }
    }
}
