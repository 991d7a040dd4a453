package org.atpatch.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.atpatch.core.AttentionTrace;
import org.atpatch.core.BenignStatistics;
import org.atpatch.djl.interception.AttentionInterceptor;
import org.atpatch.djl.interception.AttentionRecorder;
import org.atpatch.djl.interception.Interception;
import org.atpatch.djl.patch.BenignOnDevice;
import org.atpatch.djl.patch.PatchRule;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AttentionAuditTest {

    private static final int N = Fixtures.N;
    private static Model model;
    private static NDManager manager;
    private static BenignStatistics benign;

    @BeforeAll
    static void setUp() {
        model = Fixtures.vitModel();
        manager = model.getNDManager().newSubManager();
        benign = Fixtures.benign(model, manager);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
        model.close();
    }

    private static PatchedModel patched(int[][] columns, PatchRule rule, PatchMode mode) {
        return PatchedModel.builder().setModel(model).setDetector(Fixtures.scripted(columns)).setBenignStatistics(benign)
                .optPatchRule(rule).optMode(mode).build();
    }

    /** Head-averaged maps of one sample, recorded by the offline recorder. */
    private static float[] recorded(NDArray x, int sample, int layer) {
        AttentionTrace t = AttentionRecorder.record(model, x, false);
        float[] all = t.layer(layer).headAverage().dup().data().asFloat();
        return Arrays.copyOfRange(all, sample * N * N, (sample + 1) * N * N);
    }

    /** Head-averaged maps of a forward of one sample with the rule applied on the columns at every layer. */
    private static List<float[]> patchedMaps(NDArray sample, int[] columns, PatchRule rule) {
        try (NDManager sub = manager.newSubManager();
                BenignOnDevice onDevice = new BenignOnDevice(benign, manager, manager.getDevice())) {
            NDArray copy = sample.duplicate();
            copy.attach(sub);
            boolean[] flat = new boolean[N];
            for (int c : columns) {
                flat[c] = true;
            }
            NDArray mask = sub.create(flat, new Shape(1, N));
            List<float[]> maps = new ArrayList<>();
            AttentionInterceptor patch = new AttentionInterceptor() {
                @Override
                public NDArray onTokenStates(int layer, NDArray states) {
                    return rule.patchTokenStates(layer, states, mask, onDevice);
                }

                @Override
                public NDArray onAttention(int layer, NDArray probs) {
                    NDArray out = rule.patchAttention(layer, probs, mask, onDevice);
                    maps.add(out.mean(new int[] {1}).toFloatArray());
                    return out;
                }
            };
            try (Interception.Scope ignored = Interception.open(patch)) {
                model.getBlock().forward(new ParameterStore(sub, false), new NDList(copy), false);
            }
            return maps;
        }
    }

    @Test
    void twoPassAuditHoldsTheUnpatchedMapsAndTheReRunsMaps() {
        NDArray x = Fixtures.images(manager, 3, 5);
        int[][] columns = {{5, 6}, {}, {9}};
        PatchRule rule = PatchRules.productDefaultFor(
                org.atpatch.djl.interception.AttentionLayers.of(model.getBlock()), true);
        try (PatchedModel pm = patched(columns, rule, PatchMode.TWO_PASS)) {
            float[] expectedLogits = pm.predictWithReport(x).logits().toFloatArray();
            AttentionAudit audit = pm.audit(x);
            assertEquals(3, audit.samples());
            assertEquals(Fixtures.DEPTH, audit.layers());
            assertEquals(N, audit.tokens());
            assertArrayEquals(expectedLogits, audit.result().logits().toFloatArray(), 0f);
            assertTrue(audit.reports().get(0).patched());
            assertFalse(audit.reports().get(1).patched());
            List<float[]> sample0 = patchedMaps(x.get(0).expandDims(0), columns[0], rule);
            List<float[]> sample2 = patchedMaps(x.get(2).expandDims(0), columns[2], rule);
            for (int l = 0; l < Fixtures.DEPTH; l++) {
                assertArrayEquals(recorded(x, 0, l), audit.before(0, l), 1e-6f, "layer " + l);
                assertArrayEquals(recorded(x, 1, l), audit.before(1, l), 1e-6f, "layer " + l);
                assertArrayEquals(audit.before(1, l), audit.after(1, l), 0f, "an unpatched sample's maps are its own");
                assertArrayEquals(sample0.get(l), audit.after(0, l), 1e-5f, "layer " + l);
                assertArrayEquals(sample2.get(l), audit.after(2, l), 1e-5f, "layer " + l);
                float sum = 0;
                for (float v : audit.columnAttention(true, 0, l)) {
                    sum += v;
                }
                assertEquals(1f, sum, 1e-4f);
            }
            assertFalse(Arrays.equals(audit.before(0, 0), audit.after(0, 0)), "the patch changed sample 0's maps");
            float[] logits = expectedLogits;
            for (int i = 0; i < 3; i++) {
                int argmax = 0;
                for (int c = 1; c < Fixtures.CLASSES; c++) {
                    if (logits[i * Fixtures.CLASSES + c] > logits[i * Fixtures.CLASSES + argmax]) {
                        argmax = c;
                    }
                }
                assertEquals(argmax, audit.classAfter(i));
            }
            assertEquals(audit.classBefore(1), audit.classAfter(1));
            assertThrows(IllegalArgumentException.class, () -> audit.before(3, 0));
            assertThrows(IllegalArgumentException.class, () -> audit.after(0, Fixtures.DEPTH));
        }
    }

    @Test
    void streamingAuditChangesOnlyTheFlaggedSample() {
        NDArray x = Fixtures.images(manager, 2, 6);
        try (PatchedModel pm = patched(new int[][] {{3}, {}}, PatchRules.gamma(), PatchMode.STREAMING)) {
            AttentionAudit audit = pm.audit(x);
            assertArrayEquals(pm.predict(x).toFloatArray(), audit.result().logits().toFloatArray(), 0f);
            for (int l = 0; l < Fixtures.DEPTH; l++) {
                assertArrayEquals(audit.before(1, l), audit.after(1, l), 0f);
            }
            assertFalse(Arrays.equals(audit.before(0, 0), audit.after(0, 0)));
        }
    }
}
