package org.atpatch.djl.patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import java.util.List;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** The selection rule on given scores, and its argument checks (no model needed). */
class PatchRuleSelectionTest {

    private static PatchRuleSelection.Score score(String rule, double removed, double cleanChanged) {
        return new PatchRuleSelection.Score(rule, removed, 0.5, cleanChanged);
    }

    @Test
    void thePreferredRuleStaysUnlessBeatenByMoreThanTheMargin() {
        List<PatchRuleSelection.Score> scores = List.of(score("a", 0.80, 0.0), score("b", 0.805, 0.0), score("c", 0.70, 0.0));
        assertEquals(0, PatchRuleSelection.choose(scores, 0, 0.01), "b beats a by 0.005 only");
        assertEquals(1, PatchRuleSelection.choose(scores, 0, 0.001), "b beats a by more than 0.001");
        assertEquals(1, PatchRuleSelection.choose(scores, 2, 0.01), "c is beaten by 0.105");
        assertEquals(2, PatchRuleSelection.choose(scores, 2, 0.2), "within a 0.2 margin c stays");
    }

    @Test
    void cleanChangesCountAgainstARule() {
        // b removes more but moves 10 % of the clean inputs; a wins.
        List<PatchRuleSelection.Score> scores = List.of(score("a", 0.80, 0.0), score("b", 0.85, 0.10));
        assertEquals(0, PatchRuleSelection.choose(scores, 1, 0.0));
        assertEquals(0.75, scores.get(1).value(), 1e-12);
        assertTrue(scores.get(1).toString().contains("removed 0.8500"), scores.get(1).toString());
    }

    @Test
    void equalBestScoresGoToTheFirstCandidate() {
        List<PatchRuleSelection.Score> scores = List.of(score("a", 0.5, 0.0), score("b", 0.9, 0.0), score("c", 0.9, 0.0));
        assertEquals(1, PatchRuleSelection.choose(scores, 0, 0.0));
    }

    @Test
    void badMarginsAndEmptyCandidatesAreRefused() {
        try (Model model = Fixtures.vitModel()) {
            for (double bad : new double[] {-0.01, 1.5, Double.NaN}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> AtPatch.builder().setModel(model).optRuleSelectionMargin(bad).build());
                assertTrue(e.getMessage().contains("margin"), e.getMessage());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AtPatch.builder().setModel(model).optPatchRuleCandidates(List.of()).build());
            assertTrue(e.getMessage().contains("candidates"), e.getMessage());
        }
    }
}
