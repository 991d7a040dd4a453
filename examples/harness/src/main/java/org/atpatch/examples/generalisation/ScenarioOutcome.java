package org.atpatch.examples.generalisation;

import java.util.List;
import java.util.Map;

/**
 * What the generalisation suite measured on one scenario: the victim, the target search, and the
 * defence under each τ selection (and, for a clean model, the bundle a user forces). Written as one
 * JSON file per scenario, so a run can stop and resume.
 *
 * @param scenario the scenario
 * @param half its half ({@code TUNE} or {@code REPORT})
 * @param settings the suite settings that shaped it (a file made with other settings is measured again)
 * @param accBefore clean accuracy of the unpatched victim
 * @param asrBefore attack success rate of the unpatched victim (for a clean model: of the drawn trigger)
 * @param asrFloor clean non-target images already classified as the target
 * @param overAttention the largest ratio, over layers and heads, of the attention the CLS row gives the
 *     real trigger's columns on triggered evaluation images to what it gives them on their clean
 *     copies (about 1 where the trigger draws no extra attention)
 * @param madFlagged the classes the unrestricted inversion's MAD test flagged
 * @param maskL1 each class's unrestricted mask L1 norm
 * @param firingShares each scanned candidate's firing share
 * @param targets the classes the target search found
 * @param searchSeconds the target search's wall time
 * @param defences one per τ selection, in the order asked
 * @param forced for a clean model, the bundle a user forces (smallest-norm class, gates off); else null
 */
public record ScenarioOutcome(SuiteScenario scenario, String half, String settings, double accBefore, double asrBefore,
        double asrFloor, double overAttention, int[] madFlagged, double[] maskL1, Map<Integer, Double> firingShares, int[] targets,
        double searchSeconds, List<Defence> defences, Defence forced) {

    /**
     * One defence's result.
     *
     * @param variant the τ selection's name
     * @param outcome {@code bundle}, {@code no-backdoor} (the search found no target: the model is left
     *     as it is) or {@code refused} (a quality gate refused the bundle: the model is left as it is)
     * @param detail the refusing gate and its message, or the chosen rule and the rule-selection scores
     * @param validationF1 the detector's validation F1 at τ (NaN without a bundle)
     * @param tau the bundle's τ (NaN without a bundle)
     * @param acc clean accuracy after
     * @param asr attack success rate after
     * @param cleanRerun share of clean evaluation inputs re-run
     * @param triggeredRerun share of triggered inputs re-run
     * @param seconds debugging set and training time
     */
    public record Defence(String variant, String outcome, String detail, double validationF1, double tau, double acc,
            double asr, double cleanRerun, double triggeredRerun, double seconds) {}
}
