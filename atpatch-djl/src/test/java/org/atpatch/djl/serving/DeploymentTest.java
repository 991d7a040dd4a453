package org.atpatch.djl.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.translate.TranslateException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.atpatch.core.BenignStatistics;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.QualityGates;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.djl.testing.Fixtures;
import org.atpatch.djl.weights.ImportFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An imported ViT served through DJL's Predictor, in memory and from a deployment directory. */
class DeploymentTest {

    private static final int SAMPLE = 3 * 16 * 16;

    @TempDir
    Path dir;

    private static List<float[]> samples(NDArray batch) {
        float[] all = batch.toFloatArray();
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < batch.getShape().get(0); i++) {
            out.add(Arrays.copyOfRange(all, i * SAMPLE, (i + 1) * SAMPLE));
        }
        return out;
    }

    private static float[] unpatched(Model model, NDArray x) {
        try (NDManager sub = x.getManager().newSubManager()) {
            NDArray copy = x.duplicate();
            copy.attach(sub);
            return model.getBlock().forward(new ParameterStore(sub, false), new NDList(copy), false)
                    .singletonOrThrow().toFloatArray();
        }
    }

    @Test
    void aPredictorBatchPatchesOnlyFlaggedSamples() throws Exception {
        Model victim = ImportFixtures.timm("timm-vit.safetensors");
        NDManager m = victim.getNDManager().newSubManager();
        NDArray x = ImportFixtures.expected(m, "timm-vit").get("inputs");
        BenignStatistics benign = BenignStatistics.empty(ImportFixtures.DEPTH, ImportFixtures.HEADS, ImportFixtures.N,
                ImportFixtures.WIDTH);
        AttentionRecorder.record(victim, x, true).accumulateInto(benign);
        int[][] columns = {{}, {}, {5}, {}, {}, {1, 2}};
        float[] plain = unpatched(victim, x);
        PatchedModel patched = PatchedModel.builder().setModel(victim).setDetector(Fixtures.scripted(columns))
                .setBenignStatistics(benign).optPatchRule(PatchRules.gamma()).build();
        try (Deployment d = Deployment.of(victim, patched); Predictor<float[], float[]> p = d.newPredictor()) {
            List<float[]> out = p.batchPredict(samples(x));
            int c = ImportFixtures.CLASSES;
            for (int i = 0; i < columns.length; i++) {
                float[] want = Arrays.copyOfRange(plain, i * c, (i + 1) * c);
                if (columns[i].length == 0) {
                    assertArrayEquals(want, out.get(i), 0f, "unflagged sample " + i + " must be bitwise unpatched");
                } else {
                    assertFalse(Arrays.equals(want, out.get(i)), "flagged sample " + i + " must change");
                }
            }
            TranslateException e = assertThrows(TranslateException.class, () -> p.predict(new float[7]));
            assertTrue(e.getMessage().contains("must hold 768 floats"), e.getMessage());
        } finally {
            m.close();
        }
    }

    @Test
    void anImagePredictorGivesWhatItsScaledPixelsGive() throws Exception {
        Model victim = ImportFixtures.timm("timm-vit.safetensors");
        NDManager m = victim.getNDManager().newSubManager();
        BenignStatistics benign = BenignStatistics.empty(ImportFixtures.DEPTH, ImportFixtures.HEADS, ImportFixtures.N,
                ImportFixtures.WIDTH);
        NDArray x = ImportFixtures.expected(m, "timm-vit").get("inputs");
        AttentionRecorder.record(victim, x, true).accumulateInto(benign);
        PatchedModel patched = PatchedModel.builder().setModel(victim).setDetector(Fixtures.scripted(new int[][] {{3}, {}}))
                .setBenignStatistics(benign).optPatchRule(PatchRules.gamma()).build();
        java.util.Random r = new java.util.Random(4);
        List<Image> images = new ArrayList<>();
        List<float[]> pixels = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(16, 16, java.awt.image.BufferedImage.TYPE_INT_RGB);
            float[] chw = new float[SAMPLE];
            for (int y = 0; y < 16; y++) {
                for (int xx = 0; xx < 16; xx++) {
                    int red = r.nextInt(256);
                    int green = r.nextInt(256);
                    int blue = r.nextInt(256);
                    img.setRGB(xx, y, (red << 16) | (green << 8) | blue);
                    chw[y * 16 + xx] = red / 255f;
                    chw[256 + y * 16 + xx] = green / 255f;
                    chw[512 + y * 16 + xx] = blue / 255f;
                }
            }
            images.add(ImageFactory.getInstance().fromImage(img));
            pixels.add(chw);
        }
        try (Deployment d = Deployment.of(victim, patched); Predictor<Image, float[]> byImage = d.newImagePredictor();
                Predictor<float[], float[]> byFloats = d.newPredictor()) {
            List<float[]> a = byImage.batchPredict(images);
            List<float[]> b = byFloats.batchPredict(pixels);
            for (int k = 0; k < 2; k++) {
                assertArrayEquals(b.get(k), a.get(k), 0f, "image " + k);
            }
            Image small = ImageFactory.getInstance().fromImage(
                    new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB));
            TranslateException e = assertThrows(TranslateException.class, () -> byImage.predict(small));
            assertTrue(e.getMessage().contains("8 x 8") && e.getMessage().contains("16 x 16"), e.getMessage());
        } finally {
            m.close();
        }
    }

    @Test
    void aDeploymentDirectoryRoundTripsInOneCall() throws Exception {
        Path deployed = dir.resolve("deployed");
        NDArray x;
        float[] before;
        try (Model victim = ImportFixtures.timm("timm-vit.safetensors"); NDManager m = victim.getNDManager().newSubManager()) {
            x = ImportFixtures.expected(m, "timm-vit").get("inputs");
            // Deployment mechanics with a 2-epoch detector, which the quality gates rightly refuse.
            try (PatchedModel patched = AtPatch.builder().setModel(victim).optPatchRule(PatchRules.gamma())
                    .optQualityGates(QualityGates.disabled())
                    .optDetectorConfig(DetectorConfig.paper().toBuilder().optEpochs(2).optProgressBar(false)
                            .optValidationFraction(0.25).optSeed(3).build())
                    .build().train(squareDebuggingSet())) {
                before = patched.predict(x).toFloatArray();
                Deployment.save(deployed, victim, patched);
                assertThrows(FileAlreadyExistsException.class, () -> Deployment.save(deployed, victim, patched));
            }
            x = x.duplicate();
            x.detach();
        }
        try (Deployment d = Deployment.load(deployed); Predictor<float[], float[]> p = d.newPredictor()) {
            x.attach(d.victim().getNDManager());
            assertArrayEquals(before, d.patched().predict(x).toFloatArray(), 0f, "the loaded deployment predicts as saved");
            List<float[]> out = p.batchPredict(samples(x));
            float[] flat = new float[before.length];
            for (int i = 0; i < out.size(); i++) {
                System.arraycopy(out.get(i), 0, flat, i * ImportFixtures.CLASSES, ImportFixtures.CLASSES);
            }
            assertArrayEquals(before, flat, 0f, "the predictor runs the same patched batch");
        }
        Files.delete(deployed.resolve(Deployment.BUNDLE));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Deployment.load(deployed));
        assertTrue(e.getMessage().contains(Deployment.BUNDLE), e.getMessage());
        assertEquals(List.of(), Files.list(dir).filter(f -> f.getFileName().toString().contains(".tmp")).toList());
    }

    /** Clean random images and the same with a bright 4x4 square on the first patch (column 1). */
    private static DebuggingSet squareDebuggingSet() {
        Random r = new Random(5);
        DebuggingSet.Builder b = DebuggingSet.builder(DebuggingSet.Kind.BACKDOOR, new Shape(3, 16, 16), ImportFixtures.N);
        boolean[] columns = new boolean[ImportFixtures.N];
        columns[1] = true;
        for (int i = 0; i < 48; i++) {
            float[] clean = new float[SAMPLE];
            for (int j = 0; j < clean.length; j++) {
                clean[j] = (float) r.nextGaussian();
            }
            float[] t = clean.clone();
            for (int ch = 0; ch < 3; ch++) {
                for (int row = 0; row < 4; row++) {
                    for (int col = 0; col < 4; col++) {
                        t[ch * 256 + row * 16 + col] = 3f;
                    }
                }
            }
            b.addPair(clean, t, columns);
        }
        return b.optProvenance("method", "test square").build();
    }
}
