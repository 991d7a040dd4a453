package org.atpatch.examples.reproduce;

import ai.djl.Model;
import java.util.ArrayList;
import java.util.List;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.atpatch.djl.patch.PatchRule;
import org.atpatch.djl.patch.PatchRules;

/**
 * The patched models a reproduction measures from one trained bundle: AtPatch with each patch rule,
 * and the RQ3 variants "w/o Det" (the {@link RandomColumnDetector} with the product's default rule)
 * and "w/o Rec" ({@link PatchRules#replaceWithoutRescaling()} with the trained detector).
 */
public final class PatchVariants {

    /** The method name of the ablation without the detector. */
    public static final String WITHOUT_DETECTOR = "w/o Det";
    /** The method name of the ablation without rescaling. */
    public static final String WITHOUT_RESCALING = "w/o Rec";

    private PatchVariants() {}

    /**
     * @param bundle a bundle trained without an explicit rule
     * @return the rule {@link org.atpatch.djl.AtPatch} chose for it: selected on a backdoor debugging
     *     set ({@link org.atpatch.djl.patch.PatchRuleSelection}), otherwise {@link PatchRules#productDefaultFor}
     */
    public static PatchRule defaultRule(PatchBundle bundle) {
        return PatchRules.byName(bundle.patchRule());
    }

    /**
     * @param bundle the trained bundle
     * @param rule a rule
     * @return the rule's name, marked {@code (default)} when it is the bundle's default rule
     */
    public static String label(PatchBundle bundle, PatchRule rule) {
        return rule.name() + (rule.name().equals(bundle.patchRule()) ? " (default)" : "");
    }

    /**
     * @param bundle the trained bundle (its rule is the model's default)
     * @param extra rules to measure besides the paper's Γ and the default
     * @return Γ, then the default and the extra rules, each name once
     */
    public static List<PatchRule> rules(PatchBundle bundle, List<PatchRule> extra) {
        List<PatchRule> rules = new ArrayList<>(List.of(PatchRules.gamma()));
        List<PatchRule> rest = new ArrayList<>(List.of(defaultRule(bundle)));
        rest.addAll(extra);
        for (PatchRule r : rest) {
            if (rules.stream().noneMatch(q -> q.name().equals(r.name()))) {
                rules.add(r);
            }
        }
        return rules;
    }

    /**
     * @param bundle the trained bundle
     * @param model the victim
     * @param rule the patch rule
     * @return AtPatch with the bundle's detector, Q, τ, mode and flag dilation and this rule
     */
    public static PatchedModel patched(PatchBundle bundle, Model model, PatchRule rule) {
        return base(bundle, model, rule).setDetector(bundle.detector()).build();
    }

    /**
     * @param bundle the trained bundle
     * @param model the victim (its block an {@link InterceptableTransformer})
     * @return "w/o Det": 1–3 random columns per map, every input patched, the bundle's default rule
     */
    public static PatchedModel withoutDetector(PatchBundle bundle, Model model) {
        var layout = ((InterceptableTransformer) model.getBlock()).tokenLayout();
        return base(bundle, model, defaultRule(bundle)).setDetector(new RandomColumnDetector(layout)).optTau(0.5)
                .build();
    }

    /**
     * @param bundle the trained bundle
     * @param model the victim
     * @return "w/o Rec": the trained detector, flagged columns replaced without rescaling
     */
    public static PatchedModel withoutRescaling(PatchBundle bundle, Model model) {
        return patched(bundle, model, PatchRules.replaceWithoutRescaling());
    }

    private static PatchedModel.Builder base(PatchBundle bundle, Model model, PatchRule rule) {
        return PatchedModel.builder().setModel(model).setBenignStatistics(bundle.benign()).optTau(bundle.tau())
                .optPatchRule(rule).optMode(bundle.mode()).optFlagDilation(bundle.flagDilation());
    }
}
