package org.atpatch.djl.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.atpatch.core.FeatureTokenLayout;
import org.atpatch.core.TokenLayout;
import org.atpatch.djl.AttentionAudit;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttentionPictureTest {

    private static final int FLAGGED = 5;
    private static Model model;
    private static NDManager manager;
    private static AttentionAudit audit;
    private static float[][] images;

    @BeforeAll
    static void setUp() {
        model = Fixtures.vitModel();
        manager = model.getNDManager().newSubManager();
        NDArray x = Fixtures.images(manager, 2, 3);
        images = new float[][] {x.get(0).toFloatArray(), x.get(1).toFloatArray()};
        // Sample 0 has column 5 flagged at every layer, sample 1 nothing.
        try (PatchedModel pm = PatchedModel.builder().setModel(model).setDetector(Fixtures.scripted(new int[][] {{FLAGGED}, {}}))
                .setBenignStatistics(Fixtures.benign(model, manager)).optPatchRule(PatchRules.gamma()).build()) {
            audit = pm.audit(x);
        }
    }

    @AfterAll
    static void tearDown() {
        manager.close();
        model.close();
    }

    private static TokenLayout imageLayout() {
        return ((VisionTransformer) model.getBlock()).tokenLayout();
    }

    private static boolean outlined(BufferedImage img, Rectangle box) {
        return (img.getRGB(box.x, box.y) & 0xffffff) == AttentionPicture.FLAGGED_RGB
                && (img.getRGB(box.x + box.width - 1, box.y + box.height - 1) & 0xffffff) == AttentionPicture.FLAGGED_RGB
                && (img.getRGB(box.x + box.width / 2, box.y + 1) & 0xffffff) == AttentionPicture.FLAGGED_RGB;
    }

    private static void assertOnlyTheFlaggedColumnOutlined(AttentionPicture p, BufferedImage img, TokenLayout layout) {
        for (int l = 0; l < Fixtures.DEPTH; l++) {
            for (boolean patched : new boolean[] {false, true}) {
                for (int j = 0; j < Fixtures.N; j++) {
                    if (layout.isSpecial(j)) {
                        continue;
                    }
                    String where = "layer " + l + (patched ? " patched" : " unpatched") + " column " + j;
                    assertEquals(j == FLAGGED, outlined(img, p.column(0, patched, l, j)), "triggered row, " + where);
                    assertEquals(false, outlined(img, p.column(1, patched, l, j)), "clean row, " + where);
                }
            }
        }
    }

    @Test
    void imagePictureOutlinesTheFlaggedPatchOnBothSides(@TempDir Path dir) throws Exception {
        TokenLayout layout = imageLayout();
        AttentionPicture p = AttentionPicture.builder().setAudit(audit).setLayout(layout)
                .addSample(0, "triggered", images[0]).addSample(1, "clean", images[1]).build();
        Path file = dir.resolve("attention.png");
        p.write(file);
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(file), 4);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head);
        BufferedImage img = ImageIO.read(file.toFile());
        assertEquals(p.width(), img.getWidth());
        assertEquals(p.height(), img.getHeight());
        Rectangle cell = p.cell(0, false, 0);
        assertEquals(8 * 14, cell.width, "an 8-pixel image is enlarged 14x to at least 112 pixels");
        assertOnlyTheFlaggedColumnOutlined(p, img, layout);
        // Heat follows the attention: inside each patch the colour is the heat of that column blended
        // with the image, so two patches drawing the most and least attention differ in colour.
        float[] col = audit.columnAttention(false, 1, 0);
        int most = 1;
        int least = 1;
        for (int j = 1; j < col.length; j++) {
            most = col[j] > col[most] ? j : most;
            least = col[j] < col[least] ? j : least;
        }
        Rectangle a = p.column(1, false, 0, most);
        Rectangle b = p.column(1, false, 0, least);
        assertNotEquals(img.getRGB(a.x + a.width / 2, a.y + a.height / 2), img.getRGB(b.x + b.width / 2, b.y + b.height / 2));
    }

    @Test
    void featurePictureOutlinesTheFlaggedFeature() {
        List<String> names = new ArrayList<>();
        for (int j = 1; j < Fixtures.N; j++) {
            names.add("feature-" + j);
        }
        TokenLayout layout = new FeatureTokenLayout(names, true);
        AttentionPicture p = AttentionPicture.builder().setAudit(audit).setLayout(layout)
                .addSample(0, "flipped").addSample(1, "original").build();
        BufferedImage img = p.render();
        assertEquals(p.width(), img.getWidth());
        assertEquals(p.height(), img.getHeight());
        assertEquals(Fixtures.N * 16, p.cell(0, false, 0).height);
        assertOnlyTheFlaggedColumnOutlined(p, img, layout);
    }

    @Test
    void badInputIsRefusedWithTheReason() {
        TokenLayout layout = imageLayout();
        IllegalArgumentException noImage = assertThrows(IllegalArgumentException.class,
                () -> AttentionPicture.builder().setAudit(audit).setLayout(layout).addSample(0, "triggered").build());
        assertEquals(true, noImage.getMessage().contains("needs its image"), noImage.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> AttentionPicture.builder().setAudit(audit).setLayout(layout).addSample(2, "x", images[0]).build());
        assertThrows(IllegalArgumentException.class, () -> AttentionPicture.builder().setAudit(audit)
                .setLayout(new FeatureTokenLayout(List.of("a", "b"), true)).addSample(0, "x").build());
    }
}
