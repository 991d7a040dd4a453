package org.atpatch.djl.patch;

import ai.djl.ndarray.NDArray;
import org.atpatch.core.HotPatch;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.interception.TokenStatePoint;

/**
 * The shipped patch rules (docs/architecture.md, "Design decisions": token-state rule):
 *
 * <ul>
 *   <li>{@link #gamma()}: the paper's Γ at every layer, the flagged columns set to Q and the rest
 *       rescaled; what the reproduction tables run.
 *   <li>{@link #dropAndRenormalise()}: Γ with Q := 0.
 *   <li>{@link #replaceWithoutRescaling()}: flagged columns set to Q, others untouched (the "w/o
 *       Rec." ablation of RQ3).
 *   <li>{@link #tokenStateAtFirstLayer()} / {@link #tokenStateAtEveryLayer()}: the flagged tokens'
 *       hidden states replaced by their benign means where they enter the first (or every) layer.
 *       This removes triggers that sit on an attention sink (a blank corner that clean inputs
 *       already attend to), which Γ alone cannot: Γ writes Q into such a column and so keeps the
 *       weight on a token that now carries the trigger.
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
     * The product's preferred rule: the token-state patch at the first block ({@link
     * #tokenStateAtFirstLayer()}). {@link AtPatch} keeps it unless {@link PatchRuleSelection} finds
     * on a backdoor debugging set that another rule undoes clearly more of it; {@link PatchedModel}
     * built without a rule uses it as is (docs/architecture.md, "Design decisions": token-state
     * rule and rule selection; measured side by side with the real detector: {@code
     * docs/results/patch-rules.md}, {@code docs/results/fairness/}):
     *
     * <ul>
     *   <li>fairness: Γ only reweights attention, so the flagged attribute's <em>value</em> still
     *       reaches CLS through its value vector and through every token that attended to it.
     *       Replacing the attribute token's input state by its clean mean removes the attribute from
     *       the forward pass, so a flagged x and its flagged flips become the same input; accuracy
     *       drops only where the attribute carries signal for the label;
     *   <li>backdoors: about as effective as Γ, and it also removes triggers that sit on an attention
     *       sink, where Γ fails. Replacing without rescaling does better on some victims and much
     *       worse on others, hence the selection.
     * </ul>
     *
     * It needs a {@link TokenStatePoint} in front of every attention layer and benign token states;
     * {@link #productDefaultFor} falls back to Γ where those are missing (windowed Swin attention,
     * custom architectures). The paper's Γ stays selectable ({@link #gamma()}) and the reproduction
     * tables report both.
     *
     * @return the product default
     */
    public static PatchRule productDefault() {
        return tokenStateAtFirstLayer();
    }

    /**
     * The default rule for a given model: {@link #productDefault()} when the model has a token-state
     * point in front of every attention layer and the benign statistics hold token states, otherwise
     * the paper's Γ. {@link AtPatch} and {@link PatchedModel} use it when no rule is set.
     *
     * @param layers the model's attention layers
     * @param hasBenignTokenStates whether the benign statistics keep token states
     * @return the rule
     */
    public static PatchRule productDefaultFor(AttentionLayers layers, boolean hasBenignTokenStates) {
        return layers.hasTokenStatePoints() && hasBenignTokenStates ? productDefault() : gamma();
    }

    /**
     * The default rule for a model in a patch mode: {@link #productDefaultFor(AttentionLayers, boolean)}
     * where {@code streaming} is false; in streaming mode, where the product default (which acts
     * on the tokens entering layer 0 only) would do nothing, the paper's Γ.
     *
     * @param layers the model's attention layers
     * @param hasBenignTokenStates whether the benign statistics keep token states
     * @param streaming whether the rule serves {@link org.atpatch.djl.PatchMode#STREAMING}
     * @return the rule
     */
    public static PatchRule productDefaultFor(AttentionLayers layers, boolean hasBenignTokenStates, boolean streaming) {
        PatchRule preferred = productDefaultFor(layers, hasBenignTokenStates);
        return streaming && !preferred.patchesAttention() ? gamma() : preferred;
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

            @Override
            public NDArray patchAttentionInPlace(int layer, NDArray probs, NDArray flagged, BenignOnDevice benign) {
                return g.applyInPlace(probs, benign.q(layer), flagged, layer);
            }

            @Override
            public PatchRule forColumns(NDArray flagged, BenignOnDevice benign) {
                return withPreparedGamma(this, g, false, flagged, benign);
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

            @Override
            public NDArray patchAttentionInPlace(int layer, NDArray probs, NDArray flagged, BenignOnDevice benign) {
                return g.applyInPlace(probs, null, flagged, layer);
            }

            @Override
            public PatchRule forColumns(NDArray flagged, BenignOnDevice benign) {
                return withPreparedGamma(this, g, true, flagged, benign);
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
            public boolean patchesAttention() {
                return gamma != null;
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

            @Override
            public NDArray patchAttentionInPlace(int layer, NDArray probs, NDArray flagged, BenignOnDevice benign) {
                return gamma == null ? probs : gamma.applyInPlace(probs, benign.q(layer), flagged, layer);
            }

            @Override
            public PatchRule forColumns(NDArray flagged, BenignOnDevice benign) {
                return gamma == null ? this : withPreparedGamma(this, gamma, false, flagged, benign);
            }
        };
    }

    /**
     * {@code base} for one forward with fixed columns, its in-place Γ prepared once for them
     * ({@link DeviceHotPatch#prepare}); {@code base} itself when some sample flags no column.
     */
    private static PatchRule withPreparedGamma(PatchRule base, DeviceHotPatch g, boolean dropQ, NDArray flagged,
            BenignOnDevice benign) {
        DeviceHotPatch.Prepared prepared = g.prepare(flagged, dropQ ? null : benign.qStacked());
        if (prepared == null) {
            return base;
        }
        return new PatchRule() {
            @Override
            public String name() {
                return base.name();
            }

            @Override
            public boolean usesTokenStates() {
                return base.usesTokenStates();
            }

            @Override
            public boolean patchesAttention() {
                return base.patchesAttention();
            }

            @Override
            public NDArray patchTokenStates(int layer, NDArray states, NDArray f, BenignOnDevice benign) {
                return base.patchTokenStates(layer, states, f, benign);
            }

            @Override
            public NDArray patchAttention(int layer, NDArray probs, NDArray f, BenignOnDevice benign) {
                return base.patchAttention(layer, probs, f, benign);
            }

            @Override
            public NDArray patchAttentionInPlace(int layer, NDArray probs, NDArray f, BenignOnDevice benign) {
                return f == prepared.flagged() ? prepared.applyInPlace(probs, dropQ ? null : benign.q(layer), layer)
                        : base.patchAttentionInPlace(layer, probs, f, benign);
            }
        };
    }
}
