package org.atpatch.djl.debugset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.atpatch.djl.Predictions;
import org.atpatch.detector.AttentionDetector;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchMode;
import org.atpatch.djl.PatchReport;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.patch.PatchRule;
import org.atpatch.djl.patch.PatchRuleSelection;
import org.atpatch.djl.patch.PatchRules;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Patch-rule selection on the planted victim with its known trigger: a rule that patches nothing
 * scores zero and loses to the token-state patch even when preferred; {@link AtPatch} selects on a
 * backdoor debugging set and records the scores; bad arguments are refused.
 */
class RuleSelectionOnPlantedVictimTest {

    /** Changes nothing: a flagged sample's re-run gives its unpatched prediction. */
    private static final PatchRule NOOP = () -> "noop";

    /** Flags the trigger's column in every map of every sample. */
    private static final ColumnDetector TRIGGER_COLUMN = new ColumnDetector() {
        @Override
        public NDArray detect(NDArray maps, int layer) {
            long b = maps.getShape().get(0);
            int n = (int) maps.getShape().get(1);
            float[] p = new float[(int) b * n];
            for (int s = 0; s < b; s++) {
                p[s * n + PlantedBackdoor.TRIGGER_COLUMN] = 0.9f;
            }
            return maps.getManager().create(p, new Shape(b, n));
        }
    };

    /**
     * Flags the trigger's column at layer 0 where its mean attention exceeds a threshold; records the
     * values it sees so a test can put the threshold between them.
     */
    private static final class ThresholdDetector implements ColumnDetector {
        private final List<Float> seen = new ArrayList<>();
        private double threshold = Double.POSITIVE_INFINITY;

        @Override
        public NDArray detect(NDArray maps, int layer) {
            long b = maps.getShape().get(0);
            long n = maps.getShape().get(1);
            NDArray attention = maps.get(new NDIndex(":, :, " + PlantedBackdoor.TRIGGER_COLUMN)).mean(new int[] {1});
            NDArray p = maps.getManager().full(new Shape(b, n), 0.01f);
            if (layer == 0) {
                for (float v : attention.toFloatArray()) {
                    seen.add(v);
                }
                p.set(new NDIndex(":, " + PlantedBackdoor.TRIGGER_COLUMN),
                        attention.gt(threshold).toType(DataType.FLOAT32, false).mul(0.89f).add(0.01f));
            }
            return p;
        }

        /** Puts the threshold halfway between the two middle values seen. */
        void splitAtMedian() {
            float[] v = new float[seen.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = seen.get(i);
            }
            Arrays.sort(v);
            threshold = (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
        }
    }

    private static PlantedBackdoor victim;
    private static DebuggingSet knownTrigger;

    @BeforeAll
    static void setUp() {
        victim = PlantedBackdoor.get();
        knownTrigger = BackdoorDebuggingSetBuilder.of(victim.model, victim.test)
                .addTrigger(victim.trueTrigger)
                .optPatchGridTranslations(false)
                .optPairsPerTrigger(100)
                .optCleanOnly(40)
                .build();
    }

    private static AtPatch.Builder atPatch() {
        // Rule-selection mechanics with a 3-epoch detector at the paper's learning rate, which the quality gates refuse.
        return AtPatch.builder().setModel(victim.model).optQualityGates(org.atpatch.djl.QualityGates.disabled())
                .optDetectorConfig(DetectorConfig.paper().toBuilder().optEpochs(3).optSeed(3).optProgressBar(false).build());
    }

    @Test
    void aRuleThatPatchesNothingLosesEvenWhenPreferred() {
        PatchBundle bundle = atPatch().optPatchRule(PatchRules.gamma()).build().trainBundle(knownTrigger);
        try (AttentionDetector d = bundle.detector()) {
            PatchRule tokenState = PatchRules.tokenStateAtFirstLayer();
            PatchRuleSelection.Result r = PatchRuleSelection.select(victim.model, TRIGGER_COLUMN, bundle.benign(), 0.5,
                    PatchMode.TWO_PASS, knownTrigger, List.of(NOOP, tokenState), NOOP, PatchRuleSelection.DEFAULT_MARGIN);
            assertEquals("token-state", r.chosen().name(), r.scores().toString());
            PatchRuleSelection.Score noop = r.scores().get(0);
            assertEquals(0.0, noop.removed(), "the no-op re-run must reproduce every prediction: " + noop);
            assertEquals(0.0, noop.cleanChanged(), noop.toString());
            PatchRuleSelection.Score ts = r.scores().get(1);
            assertTrue(ts.removed() >= 0.9, "replacing the trigger token's state undoes the trigger: " + ts);
            assertTrue(ts.restored() >= 0.9, ts.toString());
            assertTrue(ts.removed() <= 1 && ts.cleanChanged() >= 0 && ts.cleanChanged() <= 0.1, ts.toString());

            PatchRuleSelection.Result kept = PatchRuleSelection.select(victim.model, TRIGGER_COLUMN, bundle.benign(), 0.5,
                    PatchMode.TWO_PASS, knownTrigger, List.of(NOOP, tokenState), tokenState, 0.0);
            assertEquals("token-state", kept.chosen().name());

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PatchRuleSelection.select(victim.model, TRIGGER_COLUMN, bundle.benign(), 0.5, PatchMode.TWO_PASS,
                            knownTrigger, List.of(tokenState), NOOP, 0.0));
            assertTrue(e.getMessage().contains("not among the candidates"), e.getMessage());
            DebuggingSet fairness = DebuggingSet.builder(DebuggingSet.Kind.FAIRNESS, PlantedBackdoor.SHAPE, 17)
                    .addPair(knownTrigger.pairs().get(0).clean(), knownTrigger.pairs().get(0).anomalous(),
                            knownTrigger.pairs().get(0).columns())
                    .build();
            e = assertThrows(IllegalArgumentException.class,
                    () -> PatchRuleSelection.select(victim.model, TRIGGER_COLUMN, bundle.benign(), 0.5, PatchMode.TWO_PASS,
                            fairness, List.of(NOOP, tokenState), NOOP, 0.0));
            assertTrue(e.getMessage().contains("backdoor debugging set"), e.getMessage());
        }
    }

    @Test
    void scoringOnlyTheFlaggedInputsMatchesRunningEveryInputThroughTheRule() {
        PatchBundle bundle = atPatch().optPatchRule(PatchRules.gamma()).build().trainBundle(knownTrigger);
        try (AttentionDetector d = bundle.detector()) {
            ThresholdDetector detector = new ThresholdDetector();
            List<float[]> inputs = new ArrayList<>();
            knownTrigger.pairs().forEach(p -> inputs.add(p.anomalous()));
            knownTrigger.pairs().forEach(p -> inputs.add(p.clean()));
            inputs.addAll(knownTrigger.cleanOnly());
            LabelledData all = LabelledData.unlabelled(inputs, knownTrigger.sampleShape());
            PatchRule rule = PatchRules.tokenStateAtFirstLayer();
            try (PatchedModel recording = PatchedModel.builder().setModel(victim.model).setDetector(detector)
                    .setBenignStatistics(bundle.benign()).optTau(0.5).optPatchRule(rule).build()) {
                Predictions.classes(recording, all, 256);
            }
            detector.splitAtMedian();
            int pairs = knownTrigger.pairs().size();
            int[] before = Predictions.classes(victim.model, all, 256);
            int[] after;
            int flagged = 0;
            try (PatchedModel patched = PatchedModel.builder().setModel(victim.model).setDetector(detector)
                    .setBenignStatistics(bundle.benign()).optTau(0.5).optPatchRule(rule).build();
                    NDManager m = NDManager.newBaseManager()) {
                after = Predictions.classes(patched, all, 256);
                for (PatchReport r : patched.predictWithReport(all.batch(m, 0, all.size())).reports()) {
                    flagged += r.patched() ? 1 : 0;
                }
            }
            assertTrue(flagged > 0 && flagged < all.size(), flagged + " of " + all.size() + " flagged");
            int removed = 0;
            int restored = 0;
            int changed = 0;
            for (int i = 0; i < pairs; i++) {
                removed += after[i] != before[i] ? 1 : 0;
                restored += after[i] == before[pairs + i] ? 1 : 0;
            }
            for (int i = pairs; i < all.size(); i++) {
                changed += after[i] != before[i] ? 1 : 0;
            }
            assertTrue(removed > 0, "the rule must move some anomalous input for the comparison to mean something");

            PatchRuleSelection.Score s = PatchRuleSelection.select(victim.model, detector, bundle.benign(), 0.5,
                    PatchMode.TWO_PASS, knownTrigger, List.of(rule, NOOP), rule, 0.0).scores().get(0);
            assertEquals(removed / (double) pairs, s.removed(), s.toString());
            assertEquals(restored / (double) pairs, s.restored(), s.toString());
            assertEquals(changed / (double) (all.size() - pairs), s.cleanChanged(), s.toString());
        }
    }

    @Test
    void atPatchSelectsOnABackdoorDebuggingSetUnlessARuleIsSet() {
        PatchBundle selected = atPatch().build().trainBundle(knownTrigger);
        try (AttentionDetector d = selected.detector()) {
            assertEquals("selected", selected.provenance().get("patchRule.origin"));
            String scores = selected.provenance().get("patchRule.selection");
            for (PatchRule r : PatchRules.all()) {
                assertTrue(scores.contains(r.name() + ": removed"), scores);
            }
            assertTrue(scores.contains(selected.patchRule() + ": removed"), scores);
        }
        PatchBundle set = atPatch().optPatchRule(PatchRules.gamma()).build().trainBundle(knownTrigger);
        try (AttentionDetector d = set.detector()) {
            assertEquals("gamma", set.patchRule());
            assertEquals("set", set.provenance().get("patchRule.origin"));
            assertFalse(set.provenance().containsKey("patchRule.selection"));
        }
        PatchBundle only = atPatch().optPatchRuleCandidates(List.of(PatchRules.replaceWithoutRescaling())).build()
                .trainBundle(knownTrigger);
        try (AttentionDetector d = only.detector()) {
            assertEquals("replace-no-rescale", only.patchRule());
            assertEquals("only candidate", only.provenance().get("patchRule.origin"));
        }
    }
}
