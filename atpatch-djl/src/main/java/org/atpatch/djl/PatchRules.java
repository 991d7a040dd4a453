package org.atpatch.djl;

import ai.djl.ndarray.NDArray;
import org.atpatch.core.HotPatch;

/**
 * The shipped patch rules (DESIGN §3, "Measured warning"):
 *
 * <ul>
 *   <li>{@link #gamma()}: the paper's Γ at every layer, the flagged columns set to Q and the rest
 *       rescaled; what the reproduction tables run.
 *   <li>{@link #dropAndRenormalise()}: Γ with Q := 0.
 *   <li>{@link #replaceWithoutRescaling()}: flagged columns set to Q, others untouched (the "w/o
 *       Rec." ablation of RQ3).
 *   <li>{@link #tokenStateAtFirstLayer()} / {@link #tokenStateAtEveryLayer()}: the flagged tokens'
 *       hidden states replaced by their benign means where they enter the first (or every) layer.
 *       On an independent reference ViT this removed corner triggers that sit on an attention
 *       sink, which Γ alone could not.
 *   <li>{@link #tokenStateAndGamma()}: the token-state patch at the first layer, then Γ everywhere.
 * </ul>
 */
public final class PatchRules {

    private PatchRules() {}

    /**
     * The shipped rule of a name, as stored in bundles.
     *
     * @param name a rule's {@link PatchRule#name()}
     * @return the rule
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static PatchRule byName(String name) {
        for (PatchRule r : all()) {
            if (r.name().equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown patch rule '" + name + "'; known: "
                + all().stream().map(PatchRule::name).toList());
    }

    /** @return every shipped rule */
    public static java.util.List<PatchRule> all() {
        return java.util.List.of(gamma(), dropAndRenormalise(), replaceWithoutRescaling(), tokenStateAtFirstLayer(),
                tokenStateAtEveryLayer(), tokenStateAndGamma());
    }

    /**
     * The rule {@link AtPatch} and {@link PatchedModel} use unless told otherwise: the paper's Γ.
     * Measured side by side with the real detector ({@code docs/results/patch-rules.md}: the
     * quickstart's corner-trigger victim twice and an interior-trigger victim), the rules left ASR
     * within 4–10 points of each other (44.5–48.4 %, 47.9–57.6 % and 15.0–19.7 %): the token-state
     * rules were 5–7 points below Γ on one corner victim and tied with it on the others, and no rule
     * came near the target, because detection and the patch both fall short there. Γ stays the
     * default until a rule wins clearly: it is what the paper's tables use.
     * DESIGN §3's oracle-detector measurement, where only the token-state rules removed a trigger on
     * an attention sink, is why those rules ship; re-measure when detection improves.
     *
     * @return the product default
     */
    public static PatchRule productDefault() {
        return gamma();
    }

    /** @return the paper's Γ with default ε and degenerate floor */
    public static PatchRule gamma() {
        return gamma(new HotPatch());
    }

    /**
     * @param reference the Γ whose ε and floor to use
     * @return the paper's Γ at every layer
     */
    public static PatchRule gamma(HotPatch reference) {
        DeviceHotPatch g = new DeviceHotPatch(reference);
        return new PatchRule() {
            @Override
            public String name() {
                return "gamma";
            }

            @Override
            public NDArray patchAttention(int layer, NDArray probs, NDArray flagged, BenignOnDevice benign) {
                return g.apply(probs, benign.q(layer), flagged, layer);
            }
        };
    }

    /** @return Γ with Q := 0: flagged columns dropped, the rest renormalised */
    public static PatchRule dropAndRenormalise() {
        DeviceHotPatch g = new DeviceHotPatch();
        return new PatchRule() {
            @Override
            public String name() {
                return "drop-renormalise";
            }

            @Override
            public NDArray patchAttention(int layer, NDArray probs, NDArray flagged, BenignOnDevice benign) {
                return g.apply(probs, null, flagged, layer);
            }
        };
    }

    /** @return flagged columns replaced by Q, the other columns left as they were */
    public static PatchRule replaceWithoutRescaling() {
        return new PatchRule() {
            @Override
            public String name() {
                return "replace-no-rescale";
            }

            @Override
            public NDArray patchAttention(int layer, NDArray probs, NDArray flagged, BenignOnDevice benign) {
                long b = probs.getShape().get(0);
                long n = probs.getShape().get(3);
                NDArray cond = flagged.reshape(b, 1, 1, n);
                return Masks.select(cond, cond.toType(probs.getDataType(), false).mul(benign.q(layer)), probs);
            }
        };
    }

    /** @return the token-state patch where the tokens enter the first layer */
    public static PatchRule tokenStateAtFirstLayer() {
        return tokenState(false, null);
    }

    /** @return the token-state patch where the tokens enter every layer */
    public static PatchRule tokenStateAtEveryLayer() {
        return tokenState(true, null);
    }

    /** @return the token-state patch at the first layer followed by Γ at every layer */
    public static PatchRule tokenStateAndGamma() {
        return tokenState(false, new DeviceHotPatch());
    }

    private static PatchRule tokenState(boolean everyLayer, DeviceHotPatch gamma) {
        String name = (everyLayer ? "token-state-every-layer" : "token-state") + (gamma != null ? "+gamma" : "");
        return new PatchRule() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public boolean usesTokenStates() {
                return true;
            }

            @Override
            public NDArray patchTokenStates(int layer, NDArray states, NDArray flagged, BenignOnDevice benign) {
                if (!everyLayer && layer != 0) {
                    return states;
                }
                NDArray mean = benign.tokenState(layer);
                if (!states.getShape().slice(1).equals(mean.getShape())) {
                    throw new IllegalArgumentException("benign token states of layer " + layer + " are shaped "
                            + mean.getShape() + " but the model's states there are " + states.getShape()
                            + ": the benign statistics belong to another model");
                }
                NDArray cond = flagged.expandDims(2);
                return Masks.select(cond, cond.toType(states.getDataType(), false).mul(mean), states);
            }

            @Override
            public NDArray patchAttention(int layer, NDArray probs, NDArray flagged, BenignOnDevice benign) {
                return gamma == null ? probs : gamma.apply(probs, benign.q(layer), flagged, layer);
            }
        };
    }
}
