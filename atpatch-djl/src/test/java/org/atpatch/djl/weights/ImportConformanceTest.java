package org.atpatch.djl.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.atpatch.core.BenignStatistics;
import org.atpatch.core.LayerAttention;
import org.atpatch.djl.PatchReport;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** Imported models against the PyTorch reference that wrote the fixtures, within 1e-4. */
class ImportConformanceTest {

    private static final float TOLERANCE = 1e-4f;

    private static float[] unpatched(Model model, NDArray x) {
        try (NDManager sub = x.getManager().newSubManager()) {
            NDArray copy = x.duplicate();
            copy.attach(sub);
            return model.getBlock().forward(new ParameterStore(sub, false), new NDList(copy), false)
                    .singletonOrThrow().toFloatArray();
        }
    }

    private static void conforms(Model model, String layout) throws Exception {
        try (NDManager m = model.getNDManager().newSubManager()) {
            Map<String, NDArray> ref = ImportFixtures.expected(m, layout);
            NDArray x = ref.get("inputs");
            float[] logits = unpatched(model, x);
            assertArrayEquals(ref.get("logits").toFloatArray(), logits, TOLERANCE, layout + " logits");
            float worst = 0;
            List<LayerAttention> maps = AttentionRecorder.recordLayers(model, x);
            assertEquals(ImportFixtures.DEPTH, maps.size());
            float[] want = ref.get("attention").toFloatArray();
            int n2 = ImportFixtures.N * ImportFixtures.N;
            for (int l = 0; l < ImportFixtures.DEPTH; l++) {
                float[] got = maps.get(l).headAverage().dup('c').data().asFloat();
                for (int b = 0; b < ImportFixtures.BATCH; b++) {
                    float[] wantMap = Arrays.copyOfRange(want, (b * ImportFixtures.DEPTH + l) * n2, (b * ImportFixtures.DEPTH + l + 1) * n2);
                    float[] gotMap = Arrays.copyOfRange(got, b * n2, (b + 1) * n2);
                    assertArrayEquals(wantMap, gotMap, TOLERANCE, layout + " attention, layer " + l + ", sample " + b);
                    for (int i = 0; i < n2; i++) {
                        worst = Math.max(worst, Math.abs(wantMap[i] - gotMap[i]));
                    }
                }
            }
            float[] wantLogits = ref.get("logits").toFloatArray();
            float worstLogit = 0;
            for (int i = 0; i < logits.length; i++) {
                worstLogit = Math.max(worstLogit, Math.abs(wantLogits[i] - logits[i]));
            }
            System.out.printf(java.util.Locale.ROOT, "%s: max |logit difference| %.2e, max |attention difference| %.2e%n",
                    layout, worstLogit, worst);
        }
    }

    @Test
    void timmSafetensorsMatchesTheReference() throws Exception {
        try (Model model = ImportFixtures.timm("timm-vit.safetensors")) {
            VisionTransformer vit = (VisionTransformer) model.getBlock();
            assertEquals(1e-6f, vit.layerNormEpsilon());
            assertEquals(4, vit.patchSize());
            conforms(model, "timm-vit");
        }
    }

    @Test
    void timmNpzMatchesTheReference() throws Exception {
        try (Model model = ImportFixtures.timm("timm-vit.npz")) {
            conforms(model, "timm-vit");
        }
    }

    @Test
    void huggingFaceSafetensorsMatchesTheReference() throws Exception {
        try (Model model = ImportFixtures.huggingFace()) {
            assertEquals(1e-12f, ((VisionTransformer) model.getBlock()).layerNormEpsilon());
            conforms(model, "hf-vit");
        }
    }

    /** Flagged samples are patched; unflagged ones get the unpatched imported model's logits bit for bit. */
    @Test
    void patchedBatchLeavesUnflaggedSamplesBitwiseUnpatched() throws Exception {
        try (Model model = ImportFixtures.timm("timm-vit.safetensors"); NDManager m = model.getNDManager().newSubManager()) {
            NDArray x = ImportFixtures.expected(m, "timm-vit").get("inputs");
            BenignStatistics benign = BenignStatistics.empty(ImportFixtures.DEPTH, ImportFixtures.HEADS, ImportFixtures.N,
                    ImportFixtures.WIDTH);
            AttentionRecorder.record(model, x, true).accumulateInto(benign);
            int[][] columns = {{}, {3, 4}, {}, {}, {9}, {}};
            float[] plain = unpatched(model, x);
            try (PatchedModel pm = PatchedModel.builder().setModel(model).setDetector(Fixtures.scripted(columns))
                    .setBenignStatistics(benign).optPatchRule(PatchRules.gamma()).build()) {
                PatchResult r = pm.predictWithReport(x);
                float[] out = r.logits().toFloatArray();
                int c = ImportFixtures.CLASSES;
                for (int i = 0; i < columns.length; i++) {
                    float[] want = Arrays.copyOfRange(plain, i * c, (i + 1) * c);
                    float[] got = Arrays.copyOfRange(out, i * c, (i + 1) * c);
                    PatchReport report = r.reports().get(i);
                    if (columns[i].length == 0) {
                        assertFalse(report.patched(), "sample " + i);
                        assertArrayEquals(want, got, 0f, "unflagged sample " + i + " must be bitwise unpatched");
                    } else {
                        assertTrue(report.patched(), "sample " + i);
                        assertArrayEquals(columns[i], report.flags().union());
                        assertFalse(Arrays.equals(want, got), "flagged sample " + i + " must change");
                    }
                }
            }
        }
    }
}
