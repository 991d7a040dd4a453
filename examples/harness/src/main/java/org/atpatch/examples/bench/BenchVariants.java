package org.atpatch.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atpatch.djl.PatchMode;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.interception.AttentionInterceptor;
import org.atpatch.djl.interception.Interception;
import org.atpatch.djl.patch.BenignOnDevice;
import org.atpatch.djl.patch.PatchRule;
import org.atpatch.djl.patch.PatchRules;

/**
 * The timed variants, shared by the JMH benchmark, the interleaved runner and the profiler:
 *
 * <ul>
 *   <li>{@code unpatched}: {@code block.forward} in a per-call sub-manager, as the patched model runs it;
 *   <li>{@code patched-none}: the patched model (Γ), the detector flags nothing: pass 1 only;
 *   <li>{@code patched-all-gamma}: column {@value VitBenchFixture#FLAG_COLUMN} flagged in every sample,
 *       so pass 1 plus a re-run of the whole batch with Γ;
 *   <li>{@code patched-all-tokenstate}: the same with the token-state rule at the first layer;
 *   <li>{@code patched-all-identity} (diagnostic): the same with a rule that changes nothing, to
 *       separate the cost of the re-run from the cost of the rule;
 *   <li>{@code patched-all-gamma-copy} (diagnostic): Γ written to a new map at every layer ({@code
 *       DeviceHotPatch.apply}), the out-of-place form, to compare with the re-run's in-place Γ;
 *   <li>{@code patched-all-gamma-scoped} (diagnostic): that out-of-place Γ inside a per-layer manager
 *       scope ({@link ScopedRule}), so its temporaries are freed layer by layer;
 *   <li>{@code unpatched-head-means} (diagnostic): the unpatched forward with an interceptor that takes
 *       each layer's head mean, as pass 1 does, and nothing else: what pass 1 costs beyond the
 *       means (the detector, the host reads, the scopes) is {@code patched-none} minus this;
 *   <li>{@code patched-all-gamma-streaming} (diagnostic): Γ in {@link PatchMode#STREAMING} mode,
 *       which patches from the layer that flags on, in the one pass: the price of Γ without the
 *       re-run (the flags here are the same at every layer, so the logits equal two-pass Γ's).
 * </ul>
 */
final class BenchVariants implements AutoCloseable {

    /** The variants of the overhead table, baseline first. */
    static final List<String> MAIN = List.of("unpatched", "patched-none", "patched-all-gamma", "patched-all-tokenstate");

    /** Diagnostic variants, for the breakdown. */
    static final List<String> DIAGNOSTIC =
            List.of("patched-all-identity", "patched-all-gamma-copy", "patched-all-gamma-scoped",
                    "patched-all-gamma-streaming", "unpatched-head-means");

    private final VitBenchFixture fixture;
    private final Map<String, PatchedModel> patched = new LinkedHashMap<>();

    BenchVariants(VitBenchFixture fixture) {
        this.fixture = fixture;
        patched.put("patched-none", fixture.patched(VitBenchFixture.flagsNothing(), PatchRules.gamma()));
        patched.put("patched-all-gamma", fixture.patched(fixture.flagsEverySample(), PatchRules.gamma()));
        patched.put("patched-all-tokenstate",
                fixture.patched(fixture.flagsEverySample(), PatchRules.tokenStateAtFirstLayer()));
        patched.put("patched-all-identity", fixture.patched(fixture.flagsEverySample(), identity()));
        patched.put("patched-all-gamma-copy", fixture.patched(fixture.flagsEverySample(), outOfPlace(PatchRules.gamma())));
        patched.put("patched-all-gamma-scoped",
                fixture.patched(fixture.flagsEverySample(), new ScopedRule(PatchRules.gamma())));
        patched.put("patched-all-gamma-streaming",
                fixture.patched(fixture.flagsEverySample(), PatchRules.gamma(), PatchMode.STREAMING));
    }

    /**
     * @param variant a variant name
     * @param inputs the manager {@code x} lives in
     * @param x the batch, created once
     * @return one call of the variant; everything it creates is freed before it returns
     */
    Runnable call(String variant, NDManager inputs, NDArray x) {
        if (variant.equals("unpatched") || variant.equals("unpatched-head-means")) {
            Block block = fixture.model.getBlock();
            AttentionInterceptor means = new AttentionInterceptor() {
                @Override
                public NDArray onAttention(int layer, NDArray probs) {
                    probs.mean(new int[] {1});
                    return probs;
                }
            };
            boolean intercept = variant.equals("unpatched-head-means");
            return () -> {
                try (NDManager sub = inputs.newSubManager();
                        Interception.Scope scope = intercept ? Interception.open(means) : null) {
                    x.tempAttach(sub);
                    block.forward(new ParameterStore(sub, false), new NDList(x), false).singletonOrThrow();
                }
            };
        }
        PatchedModel pm = model(variant);
        return () -> pm.predict(x).close();
    }

    /**
     * Fails if a variant does not do what its name says: nothing patched and the unpatched logits bit
     * for bit when nothing is flagged; every sample patched otherwise, with changed logits except under
     * the identity rule; the out-of-place Γ variants within 1e-5 of Γ.
     *
     * @param variant the variant
     * @param x a batch
     */
    void check(String variant, NDArray x) {
        if (variant.startsWith("unpatched")) {
            return;
        }
        float[] plain = fixture.unpatchedLogits(x);
        PatchResult r = model(variant).predictWithReport(x);
        long count = r.reports().stream().filter(p -> p.patched()).count();
        float[] logits = r.logits().toFloatArray();
        r.logits().close();
        long batch = x.getShape().get(0);
        boolean none = variant.equals("patched-none");
        // The identity rule re-runs every sample but must change nothing.
        boolean same = none || variant.equals("patched-all-identity");
        if (count != (none ? 0 : batch)) {
            throw new IllegalStateException(variant + ": " + count + " of " + batch + " samples patched");
        }
        if (same != Arrays.equals(plain, logits)) {
            throw new IllegalStateException(variant + ": logits " + (same ? "differ from" : "equal") + " the unpatched model's");
        }
        if (variant.equals("patched-all-gamma-scoped") || variant.equals("patched-all-gamma-copy")
                || variant.equals("patched-all-gamma-streaming")) {
            PatchResult g = model("patched-all-gamma").predictWithReport(x);
            float[] ref = g.logits().toFloatArray();
            g.logits().close();
            for (int i = 0; i < ref.length; i++) {
                if (Math.abs(ref[i] - logits[i]) > 1e-5 * Math.max(1, Math.abs(ref[i]))) {
                    throw new IllegalStateException(variant + " differs from Γ at logit " + i + ": " + logits[i] + " vs " + ref[i]);
                }
            }
        }
    }

    private PatchedModel model(String variant) {
        PatchedModel pm = patched.get(variant);
        if (pm == null) {
            throw new IllegalArgumentException("unknown variant '" + variant + "'; known: unpatched, " + patched.keySet());
        }
        return pm;
    }

    /** @return the rule with {@link PatchRule#patchAttentionInPlace} left at its out-of-place default */
    private static PatchRule outOfPlace(PatchRule rule) {
        return new PatchRule() {
            @Override
            public String name() {
                return rule.name() + "-copy";
            }

            @Override
            public NDArray patchAttention(int layer, NDArray probs, NDArray flagged, BenignOnDevice benign) {
                return rule.patchAttention(layer, probs, flagged, benign);
            }
        };
    }

    private static PatchRule identity() {
        return () -> "identity";
    }

    @Override
    public void close() {
        patched.values().forEach(PatchedModel::close);
    }
}
