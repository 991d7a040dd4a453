package org.atpatch.spark;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.core.AnomalySet;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchReport;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.QualityGates;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.djl.testing.Fixtures;

/**
 * The tests' victim and files: the adapter's tiny seeded ViT ({@link Fixtures#vitModel}), its weights
 * file, and a bundle trained for two epochs on pairs of random images with and without a bright 2×2
 * square at pixels (6..7, 6..7) (token column 16), as the adapter's bundle tests do, with τ set so
 * that about half of random images are patched.
 */
final class ScoringFixture {

    static final int SAMPLE = Fixtures.IMAGE * Fixtures.IMAGE;

    private ScoringFixture() {}

    /** A serialisable factory for the fixture's architecture (the weights file replaces its weights). */
    static Model victim() {
        return Fixtures.vitModel();
    }

    /** The same ViT twice as wide: a model that no bundle of the fixture fits. */
    static Model wider() {
        Model other = Model.newInstance("wider");
        VisionTransformer vit = VisionTransformer.builder().setImageSize(Fixtures.IMAGE).setPatchSize(Fixtures.PATCH)
                .setDepth(Fixtures.DEPTH).setWidth(2 * Fixtures.WIDTH).setHeads(Fixtures.HEADS).setClasses(Fixtures.CLASSES)
                .build();
        other.setBlock(vit);
        vit.initialize(other.getNDManager(), DataType.FLOAT32, new Shape(1, 1, Fixtures.IMAGE, Fixtures.IMAGE));
        return other;
    }

    /**
     * Trains and writes the bundle.
     *
     * @param model the victim
     * @param file where the bundle goes
     * @return the bundle's τ
     * @throws IOException when it cannot be written
     */
    static double writeBundle(Model model, Path file) throws IOException {
        DebuggingSet.Builder b = DebuggingSet.builder(DebuggingSet.Kind.BACKDOOR, new Shape(1, Fixtures.IMAGE, Fixtures.IMAGE),
                Fixtures.N);
        boolean[] columns = new boolean[Fixtures.N];
        columns[16] = true;
        Random r = new Random(5);
        for (int i = 0; i < 48; i++) {
            float[] x = image(r, false);
            b.addPair(x, withSquare(x), columns);
        }
        PatchBundle bundle = AtPatch.builder()
                .setModel(model)
                .optPatchRule(PatchRules.tokenStateAndGamma())
                // A 2-epoch detector on a random model: scoring mechanics, which the quality gates rightly refuse.
                .optQualityGates(QualityGates.disabled())
                .optDetectorConfig(DetectorConfig.paper().toBuilder().optEpochs(2).optProgressBar(false)
                        .optValidationFraction(0.25).optSeed(1).build())
                .build()
                .trainBundle(b.build());
        // Two epochs leave a detector that flags every image at its own τ: τ is set to the median of
        // the images' highest column probability instead, so that about half of them are patched.
        double tau;
        try (NDManager m = model.getNDManager().newSubManager();
                PatchedModel trained = PatchedModel.builder().setModel(model).setDetector(bundle.detector())
                        .setBenignStatistics(bundle.benign()).optTau(bundle.tau()).optPatchRule(PatchRules.byName(bundle.patchRule()))
                        .build()) {
            double[] highest = trained.predictWithReport(Fixtures.images(m, 32, 9)).reports().stream()
                    .mapToDouble(ScoringFixture::highestProbability).sorted().toArray();
            tau = (highest[highest.length / 2 - 1] + highest[highest.length / 2]) / 2;
        }
        try (var detector = bundle.detector()) {
            bundle.withTau(tau).save(file);
        }
        return tau;
    }

    private static double highestProbability(PatchReport r) {
        double best = 0;
        for (AnomalySet.LayerFlags f : r.flags().layers()) {
            for (float p : f.probabilities()) {
                best = Math.max(best, p);
            }
        }
        return best;
    }

    /**
     * @param r the random source
     * @param square whether the image carries the square
     * @return an image in [0, 0.5), flattened
     */
    static float[] image(Random r, boolean square) {
        float[] x = new float[SAMPLE];
        for (int j = 0; j < x.length; j++) {
            x[j] = r.nextFloat() * 0.5f;
        }
        return square ? withSquare(x) : x;
    }

    private static float[] withSquare(float[] x) {
        float[] t = x.clone();
        for (int row = 6; row < 8; row++) {
            for (int col = 6; col < 8; col++) {
                t[row * Fixtures.IMAGE + col] = 1f;
            }
        }
        return t;
    }
}
