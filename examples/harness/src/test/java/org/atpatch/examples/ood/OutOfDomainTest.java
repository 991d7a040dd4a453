package org.atpatch.examples.ood;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.QualityGates;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** Moving a detector between two models of one architecture: what comes from which bundle. */
class OutOfDomainTest {

    static {
        org.atpatch.detector.DjlOffline.configure();
    }

    /** Clean images and the same images with a bright square on one patch, labelled on that column. */
    private static DebuggingSet squares(int column, long seed) {
        DebuggingSet.Builder b = DebuggingSet.builder(DebuggingSet.Kind.BACKDOOR, new Shape(1, Fixtures.IMAGE, Fixtures.IMAGE),
                Fixtures.N);
        boolean[] columns = new boolean[Fixtures.N];
        columns[column] = true;
        int grid = (int) Math.sqrt(Fixtures.N - 1);
        int patch = Fixtures.IMAGE / grid;
        int top = (column - 1) / grid * patch;
        int left = (column - 1) % grid * patch;
        Random r = new Random(seed);
        for (int i = 0; i < 48; i++) {
            float[] x = new float[Fixtures.IMAGE * Fixtures.IMAGE];
            for (int j = 0; j < x.length; j++) {
                x[j] = r.nextFloat() * 0.5f;
            }
            float[] t = x.clone();
            for (int row = top; row < top + patch; row++) {
                for (int col = left; col < left + patch; col++) {
                    t[row * Fixtures.IMAGE + col] = 1f;
                }
            }
            b.addPair(x, t, columns);
        }
        return b.build();
    }

    private static PatchBundle bundle(Model model, DebuggingSet set, long seed) {
        return AtPatch.builder().setModel(model).optPatchRule(PatchRules.byName("token-state"))
                // Bundle mechanics on random models with a 2-epoch detector, which the quality gates rightly refuse.
                .optQualityGates(QualityGates.disabled())
                .optDetectorConfig(DetectorConfig.defaults().toBuilder().optEpochs(2).optProgressBar(false)
                        .optValidationFraction(0.25).optSeed(seed).build())
                .build().trainBundle(set);
    }

    @Test
    void theDetectorTauAndRuleComeFromTheSourceAndQFromTheTarget() {
        try (Model a = Fixtures.vitModel(1); Model b = Fixtures.vitModel(2); NDManager m = NDManager.newBaseManager()) {
            PatchBundle source = bundle(a, squares(5, 3), 7);
            PatchBundle target = bundle(b, squares(12, 4), 8);
            assertNotEquals(source.weightsDigest(), target.weightsDigest(), "two models with different weights");
            PatchBundle moved = OutOfDomain.transplant(source, target);
            assertSame(source.detector(), moved.detector());
            assertEquals(source.tau(), moved.tau());
            assertEquals(source.patchRule(), moved.patchRule());
            assertSame(target.benign(), moved.benign());
            assertEquals(target.modelFingerprint(), moved.modelFingerprint());
            assertEquals(target.weightsDigest(), moved.weightsDigest());
            assertEquals(source.weightsDigest(), moved.provenance().get("detector.fromWeights"));
            target.detector().close();
            // The moved bundle patches the target model: its detector sees the target's maps.
            NDArray x = Fixtures.images(m, 6, 21);
            try (PatchedModel patched = PatchedModel.fromBundle(moved, b)) {
                PatchResult r = patched.predictWithReport(x);
                assertEquals(6, r.logits().getShape().get(0));
                assertEquals(6, r.reports().size());
            }
        }
    }

    @Test
    void aDetectorDoesNotMoveToAnotherArchitecture() {
        Engine.getInstance().setRandomSeed(3);
        try (Model a = Fixtures.vitModel(1); Model wide = Model.newInstance("wider")) {
            VisionTransformer vit = VisionTransformer.builder().setImageSize(Fixtures.IMAGE).setPatchSize(2).setDepth(2)
                    .setWidth(24).setHeads(2).optMlpRatio(2).setClasses(10).build();
            wide.setBlock(vit);
            vit.initialize(wide.getNDManager(), DataType.FLOAT32, new Shape(1, 1, Fixtures.IMAGE, Fixtures.IMAGE));
            try (PatchBundle source = bundle(a, squares(5, 3), 7); PatchBundle other = bundle(wide, squares(5, 3), 7)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> OutOfDomain.transplant(source, other));
                assertTrue(e.getMessage().contains("one architecture"), e.getMessage());
            }
        }
    }
}
