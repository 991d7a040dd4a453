package org.atpatch.djl;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.atpatch.core.AnomalySet;
import org.atpatch.core.BenignStatistics;
import org.atpatch.core.Checks;
import org.atpatch.detector.AttentionDetector;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.interception.AttentionInterceptor;
import org.atpatch.djl.interception.AttentionLayers;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.atpatch.djl.interception.Interception;
import org.atpatch.djl.model.SwinTransformer;
import org.atpatch.djl.patch.FlagDilation;
import org.atpatch.djl.patch.PatchRule;
import org.atpatch.djl.patch.PatchRules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A victim model wrapped by AtPatch: every forward runs the column detector on each layer's
 * head-averaged attention map, and only samples with a column above τ are patched (Algorithm 1).
 * Clean samples get the unpatched model's output bit for bit.
 *
 * <p>In the default {@link PatchMode#TWO_PASS} mode a batch is run once unpatched with detection;
 * the flagged samples alone are gathered and re-run from the embedding with the {@link PatchRule}
 * applied on the union of their flagged columns, and their rows replace pass 1's. Masks are per
 * sample, every op is a batched NDArray op on the model's device, and pass 1 reads to the host only
 * the detector's per-column probabilities {@code (B, L, N)} and the logits, from which
 * the host decides which samples are flagged and checks that nothing is NaN or infinite ({@link
 * PassOneReadout}). Pass 1 runs in its own NDManager scope, closed before the re-run, so a call
 * never holds two forwards' intermediates, which keeps the re-run of a large all-flagged batch
 * cheap (measured: docs/performance.md).
 *
 * <p>Windowed attention ({@link SwinTransformer}, one map per window, {@link
 * InterceptableTransformer#mapsPerSample}): the detector scores each window's map, the family folds
 * window columns into per-sample tokens ({@link InterceptableTransformer#foldToSample}), the union
 * and the "anything flagged" test are per sample on those tokens, and the re-run patches in each
 * layer the window columns that hold a flagged token ({@link
 * InterceptableTransformer#unfoldToMaps}). Reports then name those per-sample tokens. Two-pass
 * mode only.
 *
 * <p>Thread-safe: per-call state lives in per-call interceptors, and each call opens and closes its
 * own NDManager scope. Closing the patched model frees the benign statistics' device copy; the
 * wrapped model and detector stay the caller's to close.
 */
public final class PatchedModel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PatchedModel.class);

    private final Model model;
    private final Block block;
    private final Device device;
    private final InterceptableTransformer family;
    private final AttentionLayers layers;
    private final String fingerprint;
    private final int tokens;
    /** The family when its layers produce several maps (windows) per sample, else null. */
    private final InterceptableTransformer windowed;
    private volatile PatchState state;
    private volatile boolean closed;

    private PatchedModel(Builder b) {
        DjlOffline.configure();
        this.model = b.model;
        this.block = model.getBlock();
        if (block == null || !block.isInitialized()) {
            throw new IllegalArgumentException("the model has no initialised block: set and initialise it first");
        }
        this.device = model.getNDManager().getDevice();
        this.family = block instanceof InterceptableTransformer t ? t : null;
        this.layers = AttentionLayers.of(block);
        this.windowed = family != null && family.firstWindowedLayer() >= 0 ? family : null;
        this.fingerprint = ModelFingerprint.of(block);
        this.tokens = family != null ? family.tokenLayout().size() : b.benign.tokens();
        PatchRule rule = b.rule != null ? b.rule
                : PatchRules.productDefaultFor(layers, b.benign.tokenStates().isPresent(), b.mode == PatchMode.STREAMING);
        this.state = newState(b.detector, b.ownsDetector, b.benign, b.resolvedTau(), rule, b.mode, b.flagDilation, b.flaggable,
                b.provenance);
    }

    /** Checks a configuration against the model and puts it on the device. */
    private PatchState newState(ColumnDetector detector, boolean ownsDetector, BenignStatistics stats, double tau,
            PatchRule rule, PatchMode mode, int flagDilation, boolean[] flaggableOverride,
            java.util.Map<String, String> provenance) {
        Checks.requireTau(tau);
        if (flagDilation < 0) {
            throw new IllegalArgumentException("flag dilation must be >= 0 (0 = off), got " + flagDilation);
        }
        FlagDilation dilation = flagDilation == 0 ? null
                : FlagDilation.of(flagDilation, family == null ? null : family.tokenLayout());
        if (windowed != null && mode == PatchMode.STREAMING) {
            throw new IllegalArgumentException("streaming mode is not available for a model with several attention maps "
                    + "(windows) per sample; use the two-pass mode");
        }
        requireRuleWorksIn(rule, mode);
        int depth = layers.depth();
        if (stats.layers() != depth) {
            throw new IllegalArgumentException("Q has " + stats.layers() + " layers but the model has "
                    + depth + " attention layers: the benign statistics belong to another model");
        }
        for (int l = 0; l < depth; l++) {
            if (layers.heads(l) != stats.heads()) {
                throw new IllegalArgumentException("Q has " + stats.heads() + " heads but layer " + l
                        + " of the model has " + layers.heads(l));
            }
        }
        if (detector.layers() >= 0 && detector.layers() != depth) {
            throw new IllegalArgumentException("the detector was built for " + detector.layers()
                    + " layers but the model has " + depth);
        }
        int n = tokens;
        if (stats.tokens() != n) {
            throw new IllegalArgumentException("Q is for N = " + stats.tokens() + " tokens but the model's maps have N = " + n);
        }
        if (detector.tokens() >= 0 && detector.tokens() != n) {
            throw new IllegalArgumentException("the detector was built for N = " + detector.tokens()
                    + " tokens but the model's maps have N = " + n);
        }
        if (rule.usesTokenStates()) {
            if (!layers.hasTokenStatePoints()) {
                throw new IllegalArgumentException("patch rule '" + rule.name() + "' needs a TokenStatePoint in front of "
                        + "every attention layer (PreNormEncoderLayer has one); the model has "
                        + layers.tokenStatePoints().size() + " for " + depth + " layers");
            }
            if (stats.tokenStates().isEmpty()) {
                throw new IllegalArgumentException("patch rule '" + rule.name()
                        + "' needs benign token states, but the statistics keep only Q");
            }
            if (family != null && stats.tokenStates().get().itemShape()[1] != family.width()) {
                throw new IllegalArgumentException("benign token states have width "
                        + stats.tokenStates().get().itemShape()[1] + " but the model's width is " + family.width());
            }
        }
        boolean[] flaggable;
        if (flaggableOverride != null) {
            if (flaggableOverride.length != n) {
                throw new IllegalArgumentException("flaggable columns given for N = " + flaggableOverride.length
                        + " but the model's maps have N = " + n);
            }
            flaggable = flaggableOverride.clone();
        } else {
            flaggable = family != null ? family.tokenLayout().flaggable() : allTrue(n);
        }
        return new PatchState(detector, ownsDetector, stats, tau, rule, mode, dilation, flaggable,
                model.getNDManager().newSubManager(device), fingerprint, provenance);
    }

    /**
     * Refuses a rule that acts on token states only in streaming mode, which patches from the layer
     * where a column is first flagged on: it would change nothing for many flagged samples.
     */
    static void requireRuleWorksIn(PatchRule rule, PatchMode mode) {
        if (mode == PatchMode.STREAMING && !rule.patchesAttention()) {
            throw new IllegalArgumentException("patch rule '" + rule.name() + "' acts on token states only, but streaming"
                    + " mode patches from the layer where a column is first flagged on, so it would change nothing for"
                    + " many flagged samples: use the two-pass mode, or a rule that patches attention (gamma,"
                    + " drop-renormalise, replace-no-rescale, token-state+gamma)");
        }
    }

    /**
     * Loads a saved bundle for the model it was trained for ({@link BundleBinding#SAME_WEIGHTS}).
     *
     * @param path the bundle file
     * @param model the victim it was trained for: same architecture, same weights
     * @return the patched model; it owns the loaded detector
     * @throws BundleFormatException when the bundle is missing, damaged or of another format
     * @throws IOException when the file cannot be read
     * @throws BundleMismatchException when the bundle was made for another architecture or other weights
     */
    public static PatchedModel load(Path path, Model model) throws IOException {
        return load(path, model, BundleBinding.SAME_WEIGHTS);
    }

    /**
     * Loads a saved bundle for a model.
     *
     * @param path the bundle file
     * @param model the victim
     * @param binding how strictly the bundle must match it
     * @return the patched model; it owns the loaded detector
     * @throws BundleFormatException when the bundle is missing, damaged or of another format
     * @throws IOException when the file cannot be read
     * @throws BundleMismatchException when the bundle does not match the model under {@code binding}
     */
    public static PatchedModel load(Path path, Model model, BundleBinding binding) throws IOException {
        Objects.requireNonNull(model, "model");
        PatchBundle bundle = PatchBundle.load(path, model.getNDManager().getDevice());
        try {
            return fromBundle(bundle, model, binding, path.toString());
        } catch (RuntimeException e) {
            bundle.detector().close();
            throw e;
        }
    }

    /**
     * A patched model from an in-memory bundle made for this model ({@link BundleBinding#SAME_WEIGHTS});
     * the patched model takes ownership of its detector.
     *
     * @param bundle the bundle
     * @param model the victim
     * @return the patched model
     * @throws BundleMismatchException when the bundle was made for another architecture or other weights
     */
    public static PatchedModel fromBundle(PatchBundle bundle, Model model) {
        return fromBundle(bundle, model, BundleBinding.SAME_WEIGHTS);
    }

    /**
     * A patched model from an in-memory bundle; the patched model takes ownership of its detector.
     *
     * @param bundle the bundle
     * @param model the victim
     * @param binding how strictly the bundle must match it
     * @return the patched model
     * @throws BundleMismatchException when the bundle does not match the model under {@code binding}
     */
    public static PatchedModel fromBundle(PatchBundle bundle, Model model, BundleBinding binding) {
        return fromBundle(bundle, model, binding, "the bundle");
    }

    private static PatchedModel fromBundle(PatchBundle bundle, Model model, BundleBinding binding, String what) {
        Objects.requireNonNull(bundle, "bundle");
        Objects.requireNonNull(model, "model");
        checkBinding(bundle, model, binding, what);
        Builder b = builder().setModel(model).setDetector(bundle.detector()).setBenignStatistics(bundle.benign())
                .optTau(bundle.tau()).optPatchRule(PatchRules.byName(bundle.patchRule())).optMode(bundle.mode())
                .optFlagDilation(bundle.flagDilation()).optProvenance(bundle.provenance());
        b.ownsDetector = true;
        return b.build();
    }

    private static void checkBinding(PatchBundle bundle, Model model, BundleBinding binding, String what) {
        Objects.requireNonNull(binding, "binding");
        if (model.getBlock() == null || !model.getBlock().isInitialized()) {
            throw new IllegalArgumentException("the model has no initialised block: load or initialise its weights first");
        }
        String actual = ModelFingerprint.of(model.getBlock());
        if (!actual.equals(bundle.modelFingerprint())) {
            throw new BundleMismatchException(what + " was made for model " + bundle.modelFingerprint()
                    + " but this model is " + actual + ": train a bundle for this architecture");
        }
        if (binding == BundleBinding.ARCHITECTURE_ONLY) {
            return;
        }
        if (bundle.weightsDigest() == null) {
            LOG.warn("{} records no weights digest (bundle format 1): only its architecture was checked; save it again"
                    + " to bind it to this model's weights", what);
            return;
        }
        String weights = ModelFingerprint.weightsOf(model.getBlock());
        if (!weights.equals(bundle.weightsDigest())) {
            throw new BundleMismatchException(what + " was trained for other weights of this architecture (weights SHA-256 "
                    + bundle.weightsDigest().substring(0, 12) + "..., this model's " + weights.substring(0, 12)
                    + "...): its detector and Q describe the attention of those weights, not of these. Train a bundle"
                    + " for this model, or pass BundleBinding.ARCHITECTURE_ONLY to reuse it knowingly");
        }
    }

    /**
     * Saves the current configuration as one bundle file, atomically.
     *
     * @param path the bundle file
     * @throws IOException on failure; an existing file is left intact
     * @throws IllegalStateException when the detector is not a trained {@link AttentionDetector}
     */
    public void save(Path path) throws IOException {
        PatchState s = acquire();
        try {
            if (!(s.detector instanceof AttentionDetector d)) {
                throw new IllegalStateException("only a trained AttentionDetector can be saved in a bundle, this model uses "
                        + s.detector.getClass().getName());
            }
            new PatchBundle(d, s.benign.source(), s.tau, s.rule.name(), s.mode, s.dilationRadius(), s.modelFingerprint,
                    ModelFingerprint.weightsOf(block), s.provenance).save(path);
        } finally {
            s.release();
        }
    }

    /**
     * Replaces detector, statistics and configuration with a bundle's, atomically: every call sees
     * the old bundle or the new one, never a mix. Calls in flight finish on the old one, which is
     * freed after them.
     *
     * @param bundle a bundle made for this model (same weights); the patched model takes ownership of
     *     its detector
     * @throws BundleMismatchException when the bundle was made for another architecture or other
     *     weights; the bundle in use stays
     */
    public void swap(PatchBundle bundle) {
        swap(bundle, BundleBinding.SAME_WEIGHTS);
    }

    /**
     * {@link #swap(PatchBundle)} with a chosen binding.
     *
     * @param bundle the bundle; the patched model takes ownership of its detector
     * @param binding how strictly the bundle must match this model
     * @throws BundleMismatchException when the bundle does not match under {@code binding}; the
     *     bundle in use stays
     */
    public void swap(PatchBundle bundle, BundleBinding binding) {
        Objects.requireNonNull(bundle, "bundle");
        checkBinding(bundle, model, binding, "the bundle");
        PatchState next = newState(bundle.detector(), true, bundle.benign(), bundle.tau(),
                PatchRules.byName(bundle.patchRule()), bundle.mode(), bundle.flagDilation(), null, bundle.provenance());
        PatchState old;
        synchronized (this) {
            if (closed) {
                next.release();
                throw new IllegalStateException("the patched model is closed");
            }
            old = state;
            state = next;
        }
        old.release();
    }

    private PatchState acquire() {
        while (true) {
            if (closed) {
                throw new IllegalStateException("the patched model is closed");
            }
            PatchState s = state;
            if (s.tryAcquire()) {
                return s;
            }
        }
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return τ */
    public double tau() {
        return state.tau;
    }

    /** @return the patch rule */
    public PatchRule patchRule() {
        return state.rule;
    }

    /** @return the patch mode */
    public PatchMode mode() {
        return state.mode;
    }

    /** @return the detector in use */
    public ColumnDetector detector() {
        return state.detector;
    }

    /** @return the victim's architecture fingerprint */
    public String modelFingerprint() {
        return fingerprint;
    }

    /** @return the model's interceptable layers */
    public AttentionLayers layers() {
        return layers;
    }

    /**
     * Predicts a batch, patching the flagged samples.
     *
     * @param input the model's input with a batch axis
     * @return logits {@code (batch, classes)} in the input's manager
     */
    public NDArray predict(NDArray input) {
        return run(input, false).logits();
    }

    /**
     * Predicts several inputs as one batch.
     *
     * @param inputs inputs of one sample's shape each (no batch axis), all in one manager
     * @return one logits vector per input, in the first input's manager
     */
    public List<NDArray> batchPredict(List<NDArray> inputs) {
        if (inputs.isEmpty()) {
            return List.of();
        }
        NDManager caller = inputs.get(0).getManager();
        try (NDManager sub = caller.newSubManager()) {
            NDList list = new NDList(inputs);
            NDArray batch = NDArrays.stack(list);
            batch.attach(sub);
            NDArray logits = run(batch, false).logits();
            logits.attach(sub);
            List<NDArray> out = new ArrayList<>(inputs.size());
            for (NDArray row : logits.split(inputs.size())) {
                NDArray r = row.squeeze(0);
                r.attach(caller);
                out.add(r);
            }
            return out;
        }
    }

    /**
     * Predicts a batch and reports, per sample, the flagged layers and columns with their
     * probabilities and whether the sample was patched.
     *
     * @param input the model's input with a batch axis
     * @return logits and reports
     */
    public PatchResult predictWithReport(NDArray input) {
        return run(input, true, null);
    }

    /**
     * Predicts a batch with the patch decision taken on {@link PatchDecision#decisionInput} of it
     * (two-pass mode only): pass 1 detects on the decision input, the flagged samples are re-run on
     * their own input with {@link PatchDecision#patchColumns} of their flagged columns patched, and
     * every other sample gets the unpatched model's output for its own input, bit for bit. Unless the
     * decision input is the input itself, this costs one unpatched forward more than {@link
     * #predict(NDArray)}.
     *
     * @param input the model's input with a batch axis
     * @param decision how to decide
     * @return logits {@code (batch, classes)} in the input's manager
     * @throws IllegalArgumentException in streaming mode
     */
    public NDArray predict(NDArray input, PatchDecision decision) {
        return run(input, false, java.util.Objects.requireNonNull(decision, "decision")).logits();
    }

    /**
     * {@link #predict(NDArray, PatchDecision)} with reports: the flags they name are the detector's
     * on the decision input, and a sample's patched columns are {@link PatchDecision#patchColumns} of them.
     *
     * @param input the model's input with a batch axis
     * @param decision how to decide
     * @return logits and reports
     */
    public PatchResult predictWithReport(NDArray input, PatchDecision decision) {
        return run(input, true, java.util.Objects.requireNonNull(decision, "decision"));
    }

    /**
     * Predicts a batch as {@link #predictWithReport} does and records, per sample and layer, the
     * head-averaged attention map of the unpatched forward and of the forward whose output the sample
     * got (see {@link AttentionAudit}), so that a user can see which columns were over-attended and
     * what the patch did to them. This is an audit path, not the online one: it runs up to four
     * forwards (the call itself, an unpatched one and the patched one again, recorded) and copies
     * every layer's head-averaged maps to the host.
     *
     * @param input the model's input with a batch axis; keep it small (a few samples)
     * @return the logits, reports and maps
     * @throws IllegalArgumentException when the model's layers produce several maps (windows) per
     *     sample, which the audit does not fold, or when the input is not valid for the model
     */
    public AttentionAudit audit(NDArray input) {
        if (windowed != null) {
            throw new IllegalArgumentException("the model's attention layers produce several maps (windows) per sample;"
                    + " the attention audit needs one map per sample and layer");
        }
        return onDevice(input, (s, x, caller) -> {
            PatchResult result = s.mode == PatchMode.TWO_PASS ? twoPass(s, x, true) : streaming(s, x, true);
            int b = (int) x.getShape().get(0);
            MapTap unpatched = new MapTap(null);
            int[] classesBefore = argmax(forward(x, unpatched));
            float[][][] before = unpatched.perSample(b, tokens);
            float[][][] after;
            if (s.mode == PatchMode.STREAMING) {
                MapTap streamed = new MapTap(new Streaming(s, b, false, perSampleFlaggable(x)));
                forward(x, streamed);
                after = streamed.perSample(b, tokens);
            } else {
                after = before.clone();
                int[] rerun = java.util.stream.IntStream.range(0, b).filter(i -> result.reports().get(i).patched()).toArray();
                if (rerun.length > 0) {
                    boolean[] columns = new boolean[rerun.length * tokens];
                    for (int i = 0; i < rerun.length; i++) {
                        for (int c : result.reports().get(rerun[i]).flags().union()) {
                            columns[i * tokens + c] = true;
                        }
                    }
                    NDManager call = x.getManager();
                    NDArray flagged = call.create(columns, new Shape(rerun.length, tokens));
                    MapTap patchedMaps = new MapTap(new Patching(s, flagged, null, false));
                    forward(x.get(new NDIndex("{}", call.create(Arrays.stream(rerun).asLongStream().toArray()))), patchedMaps);
                    float[][][] rows = patchedMaps.perSample(rerun.length, tokens);
                    for (int i = 0; i < rerun.length; i++) {
                        after[rerun[i]] = rows[i];
                    }
                }
            }
            int[] classesAfter = argmax(result.logits());
            result.logits().attach(caller);
            return new AttentionAudit(result, tokens, before, after, classesBefore, classesAfter);
        });
    }

    private PatchResult run(NDArray input, boolean report) {
        return run(input, report, null);
    }

    private PatchResult run(NDArray input, boolean report, PatchDecision decision) {
        return onDevice(input, (s, x, caller) -> {
            if (decision != null && s.mode != PatchMode.TWO_PASS) {
                throw new IllegalArgumentException("a PatchDecision needs the two-pass mode, the bundle uses " + s.mode);
            }
            PatchResult result = decision != null ? decidedTwoPass(s, x, report, decision)
                    : s.mode == PatchMode.TWO_PASS ? twoPass(s, x, report) : streaming(s, x, report);
            result.logits().attach(caller);
            return result;
        });
    }

    /**
     * Validates the input, holds the current configuration and runs {@code body} on the input moved
     * to the model's device as float32, in a scope closed afterwards (the body moves to the caller's
     * manager what it keeps).
     */
    private <T> T onDevice(NDArray input, OnDevice<T> body) {
        java.util.Objects.requireNonNull(input, "input must not be null: pass a batch shaped (batch, sample...)");
        validateInput(input);
        NDManager caller = input.getManager();
        PatchState s = acquire();
        try (NDManager sub = caller.newSubManager(device)) {
            NDArray x;
            if (input.getDevice().equals(device)) {
                input.tempAttach(sub);
                x = input;
            } else {
                x = input.toDevice(device, true);
                x.attach(sub);
            }
            if (x.getDataType() != DataType.FLOAT32) {
                // The families compute in float32; other numeric inputs are converted (exactly for
                // integers up to 2^24 and for float64 values that float32 holds), the caller's array untouched.
                x = x.toType(DataType.FLOAT32, true);
                x.attach(sub);
            }
            return body.apply(s, x, caller);
        } finally {
            s.release();
        }
    }

    private PatchResult twoPass(PatchState s, NDArray x, boolean report) {
        NDManager call = x.getManager();
        Pass1 p1;
        // Pass 1's maps, head means and hidden states are garbage once the flags are read: they live in
        // their own scope, freed before a re-run allocates its own, so a call never holds two forwards.
        try (NDManager scope = call.newSubManager()) {
            x.tempAttach(scope);
            p1 = detect(s, x, report);
            p1.keep(call);
        }
        PassOneReadout r = p1.readout;
        if (r.count == 0 && !report) {
            return new PatchResult(p1.logits, List.of());
        }
        NDArray logits = p1.logits;
        int b = r.patched.length;
        if (r.count == b) {
            logits = forward(x, new Patching(s, p1.union, windowed, ownsMaps()));
        } else if (r.count > 0) {
            NDArray sampleFlagged = call.create(r.patched); // on the device, as decided from pass 1's readout
            NDArray index = sampleFlagged.nonzero().squeeze(1);
            NDArray rerun = forward(x.get(new NDIndex("{}", index)),
                    new Patching(s, p1.union.get(new NDIndex("{}", index)), windowed, ownsMaps()));
            logits = logits.duplicate();
            logits.set(new NDIndex("{}", sampleFlagged), rerun);
        }
        return new PatchResult(logits, report ? reports(p1.probs.getShape(), r.probs, p1.flags, r.patched) : List.of());
    }

    /**
     * Two passes with the decision taken on {@link PatchDecision#decisionInput}: pass 1 detects there, the
     * unflagged samples' logits come from one unpatched forward of their own input (no interceptor
     * changes anything), the flagged ones' from the patched re-run of their own input.
     */
    private PatchResult decidedTwoPass(PatchState s, NDArray x, boolean report, PatchDecision decision) {
        NDManager call = x.getManager();
        Pass1 p1;
        try (NDManager scope = call.newSubManager()) {
            NDArray view = decision.decisionInput(x);
            if (!view.getShape().equals(x.getShape()) || view.getDataType() != x.getDataType()) {
                throw new IllegalStateException("the decision input is " + view.getShape() + " " + view.getDataType()
                        + " for an input " + x.getShape() + " " + x.getDataType() + ": it must keep shape and type");
            }
            if (view == x) {
                view.tempAttach(scope);
            } else {
                view.attach(scope);
            }
            p1 = detect(s, view, report);
            p1.keep(call);
        }
        PassOneReadout r = p1.readout;
        int b = r.patched.length;
        NDArray logits = r.count == b ? null : forward(x, new AttentionInterceptor() {});
        if (r.count > 0) {
            NDArray columns = decision.patchColumns(p1.union);
            if (r.count == b) {
                logits = forward(x, new Patching(s, columns, windowed, ownsMaps()));
            } else {
                NDArray sampleFlagged = call.create(r.patched);
                NDArray index = sampleFlagged.nonzero().squeeze(1);
                NDArray rerun = forward(x.get(new NDIndex("{}", index)),
                        new Patching(s, columns.get(new NDIndex("{}", index)), windowed, ownsMaps()));
                logits = logits.duplicate();
                logits.set(new NDIndex("{}", sampleFlagged), rerun);
            }
        }
        return new PatchResult(logits, report ? reports(p1.probs.getShape(), r.probs, p1.flags, r.patched) : List.of());
    }

    /** Pass 1: the unpatched forward with detection on every layer, and the flags decided on the host. */
    private Pass1 detect(PatchState s, NDArray x, boolean report) {
        Detection detection = new Detection(x.getShape().get(0));
        NDArray logits;
        // The forward's own arrays (every layer's per-head maps among them) are freed before the detector
        // runs, so that its arrays reuse their memory: only the logits and the head means outlive the
        // forward's scope. On a CPU at batch 256 fresh memory costs more than the arithmetic done in it.
        NDManager outer = x.getManager();
        try (NDManager forwardScope = outer.newSubManager()) {
            x.tempAttach(forwardScope);
            logits = forward(x, detection);
            logits.attach(outer);
            detection.headMeans.forEach(h -> h.attach(outer));
        }
        NDArray probs;
        NDArray flags = null;
        PassOneReadout readout;
        if (windowed == null) {
            probs = s.detector.detectAll(detection.headMeans); // (B, L, N)
            requireDetectorShape(probs, new Shape(x.getShape().get(0), layers.depth(), tokens), "detectAll");
            NDArray eligible = perSampleFlaggable(x);
            if (eligible != null) {
                probs = probs.mul(eligible.expandDims(1));
            }
            readout = PassOneReadout.read(probs, s.flaggable, s.cut, logits, null);
        } else {
            // One map per window: detect each window, then fold columns to the sample's tokens, (B, L, T).
            NDList p = new NDList(layers.depth());
            NDList f = new NDList(layers.depth());
            for (int l = 0; l < layers.depth(); l++) {
                NDArray h = detection.headMeans.get(l);
                NDArray pl = s.detector.detect(h, l);
                requireDetectorShape(pl, h.getShape().slice(0, 2), "detect at layer " + l);
                p.add(windowed.foldToSample(l, pl));
                f.add(windowed.foldToSample(l, flag(s, pl).toType(DataType.FLOAT32, false))); // > 0 where flagged
            }
            probs = NDArrays.stack(p, 1);
            NDArray flagMass = NDArrays.stack(f, 1);
            flags = flagMass.gt(0);
            readout = PassOneReadout.read(flagMass, null, 0f, logits, probs);
        }
        if (!readout.finite) {
            diagnoseNonFinite(x, detection.headMeans, probs, logits);
            throw new IllegalArgumentException("pass 1 read a NaN or Inf from the detector's output or the logits");
        }
        if (readout.outOfRange >= 0) {
            throw outOfRange(s, probs.getShape(), readout.outOfRange, readout.probs[readout.outOfRange]);
        }
        NDArray union = null;
        if (report) {
            flags = flags != null ? flags : flag(s, probs);
        }
        if (readout.count > 0 || report) {
            // A column flagged at any layer; without a report the flags per layer are never built.
            union = windowed == null ? probs.mul(s.eligibleMass).max(new int[] {1}).gt(s.tau)
                    : flags.toType(DataType.FLOAT32, false).max(new int[] {1}).gt(0); // (B, N)
            union = s.dilate(union);
        }
        return new Pass1(logits, probs, flags, union, readout);
    }

    /** What pass 1 hands on: its logits, the flags (built only when needed) and which samples to re-run. */
    private record Pass1(NDArray logits, NDArray probs, NDArray flags, NDArray union, PassOneReadout readout) {

        /** Moves what the rest of the call reads out of pass 1's scope. */
        void keep(NDManager call) {
            logits.attach(call);
            if (union != null) {
                probs.attach(call);
                union.attach(call);
            }
            if (flags != null) {
                flags.attach(call);
            }
        }
    }

    private PatchResult streaming(PatchState s, NDArray x, boolean report) {
        Streaming st = new Streaming(s, x.getShape().get(0), ownsMaps(), perSampleFlaggable(x));
        NDArray logits = forward(x, st);
        NDArray probs = NDArrays.stack(new NDList(st.probs), 1);
        checkFinite(st.headMeans, probs);
        NDArray outside = probs.lt(0).logicalOr(probs.gt(1)).flatten();
        if (outside.any().getBoolean()) {
            int i = (int) outside.toType(DataType.FLOAT32, false).argMax().getLong();
            throw outOfRange(s, probs.getShape(), i, probs.flatten().getFloat(i));
        }
        boolean[] patched = st.union.toType(DataType.FLOAT32, false).max(new int[] {1}).gt(0).toBooleanArray();
        return new PatchResult(logits, report ? reports(probs.getShape(), probs.toFloatArray(), flag(s, probs), patched)
                : List.of());
    }

    /**
     * Whether this model's patched forwards own their attention maps, so that the rule may patch them
     * in place: no model-wide interceptor is installed that could keep a map (the per-call
     * interception scope is this model's own). Gradients are checked per map.
     */
    private boolean ownsMaps() {
        return layers.attention().stream().allMatch(a -> a.interceptor() == null);
    }

    /** The rule on one layer's maps, in place where {@code owned} and no gradient flows through them. */
    private static NDArray patchMaps(PatchState s, PatchRule rule, int layer, NDArray probs, NDArray flagged,
            boolean owned) {
        return owned && !probs.hasGradient()
                ? rule.patchAttentionInPlace(layer, probs, flagged, s.benign)
                : rule.patchAttention(layer, probs, flagged, s.benign);
    }

    private NDArray forward(NDArray x, AttentionInterceptor interceptor) {
        try (Interception.Scope ignored = Interception.open(interceptor)) {
            return block.forward(new ParameterStore(x.getManager(), false), new NDList(x), false)
                    .singletonOrThrow();
        }
    }

    /**
     * The family's per-sample flaggable columns ({@link InterceptableTransformer#flaggableColumns}) as
     * {@code (B, N)} floats in {0, 1}, or null when the family has none.
     */
    private NDArray perSampleFlaggable(NDArray x) {
        NDArray e = family == null ? null : family.flaggableColumns(x);
        if (e == null) {
            return null;
        }
        if (!e.getShape().equals(new Shape(x.getShape().get(0), tokens))) {
            throw new IllegalStateException("the family's flaggable columns are shaped " + e.getShape() + ", expected ("
                    + x.getShape().get(0) + ", " + tokens + ")");
        }
        return e.toType(DataType.FLOAT32, false);
    }

    /** Columns above τ that may be flagged: {@code (B, L, N)} or {@code (B, N)} boolean. */
    private static NDArray flag(PatchState s, NDArray probs) {
        return probs.gt(s.tau).logicalAnd(s.eligible);
    }

    /** Fails when a detector returned other than one probability per column of each map. */
    private static void requireDetectorShape(NDArray probs, Shape expected, String call) {
        if (!probs.getShape().equals(expected)) {
            throw new IllegalStateException("the detector's " + call + " returned shape " + probs.getShape() + ", expected "
                    + expected + " (one probability per column of each map): a ColumnDetector must keep the batch,"
                    + " layer and column axes of its input");
        }
    }

    /** A detector probability outside [0, 1], at flat index {@code i} of {@code (B, L, N)}. */
    private static IllegalStateException outOfRange(PatchState s, Shape shape, int i, float value) {
        long l = shape.get(1);
        long n = shape.get(2);
        return new IllegalStateException("the detector (" + s.detector.getClass().getName() + ") returned " + value
                + " for sample " + i / (l * n) + ", layer " + (i / n) % l + ", column " + i % n
                + ": a ColumnDetector must return probabilities in [0, 1]");
    }

    /**
     * Fails when any map (or the detector's output) is NaN or infinite, naming the first layer and
     * sample; one scalar host read.
     */
    private void checkFinite(List<NDArray> headMeans, NDArray probs) {
        NDList sums = new NDList(headMeans.size());
        long samples = probs.getShape().get(0);
        for (NDArray h : headMeans) {
            sums.add(h.sum(new int[] {1, 2}).reshape(samples, -1).sum(new int[] {1})); // windows folded per sample
        }
        NDArray perLayer = NDArrays.stack(sums, 1).add(probs.sum(new int[] {2})); // (B, L)
        NDArray bad = perLayer.isNaN().logicalOr(perLayer.isInfinite());
        if (bad.any().getBoolean()) {
            boolean[] b = bad.toBooleanArray();
            int l = headMeans.size();
            for (int i = 0; i < b.length; i++) {
                if (b[i]) {
                    throw new IllegalArgumentException("the attention map of layer " + (i % l) + " for sample "
                            + (i / l) + " (or the detector's output for it) contains NaN or Inf: check the input");
                }
            }
        }
    }

    /**
     * Called when pass 1's readout was not finite: names the first sample whose input holds a NaN or
     * Inf (and where), else the first map, else the first sample whose logits hold one.
     */
    private void diagnoseNonFinite(NDArray x, List<NDArray> headMeans, NDArray probs, NDArray logits) {
        long b = x.getShape().get(0);
        int sample = firstNonFiniteRow(x.reshape(b, -1));
        if (sample >= 0) {
            float[] row = x.get(sample).toFloatArray();
            int at = 0;
            while (Float.isFinite(row[at])) {
                at++;
            }
            throw new IllegalArgumentException("input sample " + sample + " contains NaN or Inf: " + row[at] + " at element "
                    + at + " of its " + x.getShape().slice(1) + " (flattened); inputs must be finite");
        }
        checkFinite(headMeans, probs);
        sample = firstNonFiniteRow(logits.reshape(b, -1));
        if (sample >= 0) {
            throw new IllegalArgumentException("the model's logits contain NaN or Inf for sample " + sample + " although its"
                    + " input, attention maps and the detector's output are finite: check the model's weights");
        }
    }

    /** @return the first row of {@code (B, K)} holding a NaN or Inf, or -1 */
    private static int firstNonFiniteRow(NDArray rows) {
        boolean[] bad = rows.isNaN().logicalOr(rows.isInfinite()).toType(DataType.INT32, false).sum(new int[] {1}).gt(0)
                .toBooleanArray();
        for (int i = 0; i < bad.length; i++) {
            if (bad[i]) {
                return i;
            }
        }
        return -1;
    }

    /** @param p the probabilities of {@code shape}, {@code (B, L, N)}, on the host */
    private List<PatchReport> reports(Shape shape, float[] p, NDArray flags, boolean[] patched) {
        int b = (int) shape.get(0);
        int l = (int) shape.get(1);
        int n = (int) shape.get(2);
        boolean[] f = flags.toBooleanArray();
        List<PatchReport> out = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            List<AnomalySet.LayerFlags> layerFlags = new ArrayList<>();
            for (int layer = 0; layer < l; layer++) {
                int base = (i * l + layer) * n;
                int[] cols = java.util.stream.IntStream.range(0, n).filter(j -> f[base + j]).toArray();
                if (cols.length > 0) {
                    float[] pr = new float[cols.length];
                    for (int c = 0; c < cols.length; c++) {
                        pr[c] = p[base + cols[c]];
                    }
                    layerFlags.add(new AnomalySet.LayerFlags(layer, cols, pr));
                }
            }
            out.add(new PatchReport(new AnomalySet(layerFlags), patched[i]));
        }
        return out;
    }

    private void validateInput(NDArray input) {
        DataType type = input.getDataType();
        if (!type.isFloating() && !type.isInteger()) {
            throw new IllegalArgumentException("input must be numeric (float32, or another float or integer type that is"
                    + " converted to float32), got " + type);
        }
        Shape s = input.getShape();
        if (s.dimension() == 0 || s.get(0) == 0) {
            throw new IllegalArgumentException("input must have a non-empty batch axis, got " + s);
        }
        if (family != null && !s.slice(1).equals(family.sampleInputShape())) {
            throw new IllegalArgumentException("the model expects inputs shaped (batch, "
                    + family.sampleInputShape().toString().replaceAll("[()]", "") + "), got " + s);
        }
    }

    /**
     * Frees the device copy of the benign statistics (and the detector, when it came from a bundle)
     * once calls in flight have finished. The wrapped model stays the caller's to close.
     */
    @Override
    public void close() {
        PatchState s;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            s = state;
        }
        s.release();
    }

    /**
     * A model whose maps are not one per sample (a user's windowed attention) without saying so
     * through {@link InterceptableTransformer#mapsPerSample} is refused rather than misaligned.
     */
    private void requireMapsPerSample(int layer, NDArray probs, long batch) {
        long expected = batch * (family != null ? family.mapsPerSample(layer) : 1);
        if (probs.getShape().get(0) != expected) {
            throw new IllegalArgumentException("layer " + layer + "'s attention maps have batch " + probs.getShape().get(0)
                    + " for " + batch + " samples, expected " + expected + ": a model with several maps per sample "
                    + "must be an InterceptableTransformer that declares mapsPerSample and folds its flags");
        }
    }

    private static boolean[] allTrue(int n) {
        boolean[] a = new boolean[n];
        Arrays.fill(a, true);
        return a;
    }

    private static int[] argmax(NDArray logits) {
        return Arrays.stream(logits.argMax(1).toLongArray()).mapToInt(Math::toIntExact).toArray();
    }

    /** What a call runs with the configuration held and the input on the device. */
    @FunctionalInterface
    private interface OnDevice<T> {
        T apply(PatchState s, NDArray x, NDManager caller);
    }

    /**
     * The audit's recorder: runs an inner interceptor (or none) and keeps the head average of the map
     * each layer continues with.
     */
    private static final class MapTap implements AttentionInterceptor {
        final AttentionInterceptor inner;
        final List<NDArray> headMeans = new ArrayList<>();

        MapTap(AttentionInterceptor inner) {
            this.inner = inner;
        }

        @Override
        public NDArray onTokenStates(int layer, NDArray states) {
            return inner == null ? states : inner.onTokenStates(layer, states);
        }

        @Override
        public NDArray onAttention(int layer, NDArray probs) {
            NDArray out = inner == null ? probs : inner.onAttention(layer, probs);
            headMeans.add(out.mean(new int[] {1}));
            return out;
        }

        /** @return {@code [sample][layer]} the {@code N × N} maps on the host */
        float[][][] perSample(int samples, int n) {
            float[][][] out = new float[samples][headMeans.size()][];
            for (int l = 0; l < headMeans.size(); l++) {
                float[] v = headMeans.get(l).toFloatArray();
                for (int i = 0; i < samples; i++) {
                    out[i][l] = Arrays.copyOfRange(v, i * n * n, (i + 1) * n * n);
                }
            }
            return out;
        }
    }

    /** Pass 1: records each layer's head-averaged map, changes nothing. */
    private final class Detection implements AttentionInterceptor {
        final List<NDArray> headMeans = new ArrayList<>(layers.depth());
        final long batch;

        Detection(long batch) {
            this.batch = batch;
        }

        @Override
        public NDArray onAttention(int layer, NDArray probs) {
            requireMapsPerSample(layer, probs, batch);
            headMeans.add(probs.mean(new int[] {1}));
            return probs;
        }
    }

    /** Pass 2: applies the patch rule on fixed per-sample columns (per-window columns for windowed models). */
    private static final class Patching implements AttentionInterceptor {
        final PatchState s;
        final NDArray flagged;
        final InterceptableTransformer windowed;
        /** The rule, prepared once for this forward's columns where they are the same at every layer. */
        final PatchRule rule;

        final boolean ownsMaps;

        Patching(PatchState s, NDArray flagged, InterceptableTransformer windowed, boolean ownsMaps) {
            this.s = s;
            this.flagged = flagged;
            this.windowed = windowed;
            this.ownsMaps = ownsMaps;
            this.rule = windowed == null && ownsMaps ? s.rule.forColumns(flagged, s.benign) : s.rule;
        }

        private NDArray columns(int layer) {
            return windowed == null ? flagged
                    : windowed.unfoldToMaps(layer, flagged.toType(DataType.FLOAT32, false)).gt(0);
        }

        @Override
        public NDArray onTokenStates(int layer, NDArray states) {
            return rule.patchTokenStates(layer, states, columns(layer), s.benign);
        }

        @Override
        public NDArray onAttention(int layer, NDArray probs) {
            return patchMaps(s, rule, layer, probs, columns(layer), ownsMaps);
        }
    }

    /** Streaming: detects at each layer and patches from there on with the running union. */
    private final class Streaming implements AttentionInterceptor {
        final PatchState s;
        final List<NDArray> headMeans = new ArrayList<>(layers.depth());
        final List<NDArray> probs = new ArrayList<>(layers.depth());
        NDArray union;

        final long batch;

        final boolean ownsMaps;

        /** The per-sample flaggable columns {@code (B, N)} in {0, 1}, or null. */
        final NDArray eligible;

        Streaming(PatchState s, long batch, boolean ownsMaps, NDArray eligible) {
            this.s = s;
            this.batch = batch;
            this.ownsMaps = ownsMaps;
            this.eligible = eligible;
        }

        @Override
        public NDArray onTokenStates(int layer, NDArray states) {
            return union == null ? states : s.rule.patchTokenStates(layer, states, union, s.benign);
        }

        @Override
        public NDArray onAttention(int layer, NDArray map) {
            requireMapsPerSample(layer, map, batch);
            NDArray h = map.mean(new int[] {1});
            headMeans.add(h);
            NDArray p = s.detector.detect(h, layer);
            requireDetectorShape(p, h.getShape().slice(0, 2), "detect at layer " + layer);
            if (eligible != null) {
                p = p.mul(eligible);
            }
            probs.add(p);
            NDArray f = s.dilate(flag(s, p));
            union = union == null ? f : union.logicalOr(f);
            return patchMaps(s, s.rule, layer, map, union, ownsMaps);
        }
    }

    /** Builds a {@link PatchedModel}. */
    public static final class Builder {
        private Model model;
        private ColumnDetector detector;
        private BenignStatistics benign;
        private Double tau;
        private PatchRule rule;
        private PatchMode mode = PatchMode.TWO_PASS;
        private int flagDilation;
        private boolean[] flaggable;
        private boolean ownsDetector;
        private java.util.Map<String, String> provenance = java.util.Map.of();

        private Builder() {}

        /** @param provenance how the configuration was made, saved with bundles @return this */
        public Builder optProvenance(java.util.Map<String, String> provenance) {
            this.provenance = java.util.Map.copyOf(provenance);
            return this;
        }

        /** @param model the victim, its block built from interceptable attention and initialised @return this */
        public Builder setModel(Model model) {
            this.model = model;
            return this;
        }

        /** @param detector the column detector @return this */
        public Builder setDetector(ColumnDetector detector) {
            this.detector = detector;
            return this;
        }

        /** @param benign Q (and token states for token-state rules) of this model @return this */
        public Builder setBenignStatistics(BenignStatistics benign) {
            this.benign = benign;
            return this;
        }

        /**
         * @param tau the detection threshold τ in (0, 1); default: the τ a trained {@link
         *     org.atpatch.detector.AttentionDetector} carries (chosen when it was trained), a {@link
         *     org.atpatch.detector.DetectorEnsemble}'s common τ, else the paper's 0.1
         * @return this
         */
        public Builder optTau(double tau) {
            this.tau = tau;
            return this;
        }

        /** The set τ, else the trained detector's (or ensemble's) own, else 0.1. */
        private double resolvedTau() {
            if (tau != null) {
                return tau;
            }
            if (detector instanceof org.atpatch.detector.AttentionDetector trained) {
                return trained.tau();
            }
            return detector instanceof org.atpatch.detector.DetectorEnsemble ensemble ? ensemble.tau() : 0.1;
        }

        /**
         * @param rule the patch rule; default {@link PatchRules#productDefaultFor}: the product default
         *     where the model has token-state points and the statistics hold benign token states, Γ
         *     otherwise
         * @return this
         */
        public Builder optPatchRule(PatchRule rule) {
            this.rule = java.util.Objects.requireNonNull(rule, "rule");
            return this;
        }

        /** @param mode two-pass (default) or streaming @return this */
        public Builder optMode(PatchMode mode) {
            this.mode = mode;
            return this;
        }

        /**
         * @param radius patch, with each flagged column, its neighbours within this many rows and columns of
         *     a ViT's patch grid ({@link FlagDilation}); default 0, the flagged columns alone. A trigger
         *     that straddles patches is flagged where it draws the most attention, while its pieces in
         *     the neighbouring patches still carry it; widening the flags patches them too, at the price
         *     of more neutralised tokens on every flagged input (measured in the reproduction guide,
         *     "Generalisation"). Only for models whose tokens form a patch grid ({@code ImagePatchLayout})
         * @return this
         */
        public Builder optFlagDilation(int radius) {
            this.flagDilation = radius;
            return this;
        }

        /**
         * @param flaggable per column whether the detector may flag it; default: every non-special
         *     column of the model's token layout (all columns for a custom architecture)
         * @return this
         */
        public Builder optFlaggableColumns(boolean[] flaggable) {
            this.flaggable = flaggable.clone();
            return this;
        }

        /** @return the patched model */
        public PatchedModel build() {
            if (model == null) {
                throw new IllegalArgumentException("setModel(...) is required");
            }
            if (detector == null) {
                throw new IllegalArgumentException("setDetector(...) is required");
            }
            if (benign == null) {
                throw new IllegalArgumentException("setBenignStatistics(...) is required");
            }
            if (mode == null) {
                throw new IllegalArgumentException("mode must not be null");
            }
            return new PatchedModel(this);
        }
    }
}
