package org.atpatch.djl.debugset;

import ai.djl.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.atpatch.core.TokenLayout;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the fairness debugging set of the paper's Section 3.2.2, the clean-bias pairs
 * {@code {(x̂, x′)}}:
 *
 * <ol>
 *   <li>every sample x of the given data is flipped on each protected attribute, one attribute at a
 *       time, to every other value of the attribute ({@link FairnessFlips}); all flips are predicted
 *       in large batches;
 *   <li>a flip x′ is <em>divergent</em> when f(x′) ≠ f(x) (Eq. 4: each such x′ is kept, one per
 *       changed prediction); its anomalous columns are the flipped attribute's token columns;
 *   <li>a sample none of whose flips changes the prediction is <em>clean</em> (unbiased);
 *   <li>each divergent x′ is paired with the clean sample x̂ that has the same value as x′ on
 *       <em>every</em> protected attribute and the minimum Hamming distance to x′ over all features
 *       (exact float comparison per feature). Ties go to the smaller L1 distance (which makes the choice
 *       meaningful on continuous features, where almost every Hamming distance is maximal), then to the
 *       lower sample index. A divergent x′ for whose protected values no clean sample exists is skipped
 *       and counted ({@code skippedNoClean}) in the provenance;
 *   <li>clean samples not used as any x̂ are added as clean-only entries, at most
 *       {@link #optCleanOnly(int)} of them (a seeded choice, kept in data order).
 * </ol>
 *
 * <p>f is the unpatched model's argmax ({@link #setModel(Model)}) or any {@link FairnessPredictor}
 * ({@link #setPredictor(FairnessPredictor, TokenLayout)}). If more pairs than {@link #optMaxPairs(int)}
 * could be made, a seeded choice of that many is kept, in data order; {@link #optMaxPairsPerAttribute(int)}
 * first bounds each attribute's share. Deterministic for a seed and a
 * deterministic predictor. The provenance records the attributes, options and counts: samples, flips,
 * divergent flips and samples, clean samples, pairs, skipped and dropped flips, in total and per
 * attribute ({@code attribute.<name>.flips} and so on), and the unfairness rate of f on the data.
 *
 * <p>Typical use:
 *
 * <pre>{@code
 * FTTransformer ft = (FTTransformer) model.getBlock();
 * ProtectedAttribute sex = ProtectedAttribute.of(ft, "sex", ProtectedAttribute.codes(2));
 * DebuggingSet set = FairnessDebuggingSetBuilder.of(model, testSubset)
 *         .setAttributes(List.of(sex))
 *         .optMaxPairs(2000)
 *         .build();
 * double uf = FairnessFlips.of(List.of(sex), testSubset.sampleSize())
 *         .unfairness(testSubset, FairnessPredictor.of(patchedModel, 256));   // UF after the hot fix
 * }</pre>
 */
public final class FairnessDebuggingSetBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(FairnessDebuggingSetBuilder.class);

    /** Default samples per forward of {@link #setModel(Model)}'s predictor. */
    public static final int DEFAULT_BATCH_SIZE = 512;
    /** Default bound on clean-only entries. */
    public static final int DEFAULT_CLEAN_ONLY = 200;

    private Model model;
    private FairnessPredictor predictor;
    private TokenLayout predictorLayout;
    private TokenLayout layout;
    private LabelledData data;
    private List<ProtectedAttribute> attributes;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private int maxPairs = Integer.MAX_VALUE;
    private int maxPairsPerAttribute = Integer.MAX_VALUE;
    private boolean jointFlips;
    private int maxClean = DEFAULT_CLEAN_ONLY;
    private int rowsPerCall = FairnessFlips.DEFAULT_ROWS_PER_CALL;
    private long seed;

    private FairnessDebuggingSetBuilder() {}

    /** @return a new builder; set the victim, the data and the attributes */
    public static FairnessDebuggingSetBuilder builder() {
        return new FairnessDebuggingSetBuilder();
    }

    /**
     * @param model the victim f (unpatched argmax), an initialised model
     * @param data the samples to flip
     * @return a builder; set the attributes
     */
    public static FairnessDebuggingSetBuilder of(Model model, LabelledData data) {
        return builder().setModel(model).setData(data);
    }

    /**
     * @param predictor the victim f
     * @param layout the token layout of the maps the debugging set will be recorded from
     * @param data the samples to flip
     * @return a builder; set the attributes
     */
    public static FairnessDebuggingSetBuilder of(FairnessPredictor predictor, TokenLayout layout, LabelledData data) {
        return builder().setPredictor(predictor, layout).setData(data);
    }

    /**
     * The victim f, predicted unpatched with {@link #optBatchSize(int)} samples per forward. If its
     * block is an {@link InterceptableTransformer} its token layout is used (unless
     * {@link #optLayout(TokenLayout)} overrides it); otherwise a layout must be given.
     *
     * @param model an initialised model
     * @return this
     */
    public FairnessDebuggingSetBuilder setModel(Model model) {
        this.model = Objects.requireNonNull(model, "model");
        this.predictor = null;
        return this;
    }

    /**
     * Any classifier f instead of a model (a patched model, an ensemble, a rule).
     *
     * @param predictor f
     * @param layout the token layout of the maps the debugging set will be recorded from
     * @return this
     */
    public FairnessDebuggingSetBuilder setPredictor(FairnessPredictor predictor, TokenLayout layout) {
        this.predictor = Objects.requireNonNull(predictor, "predictor");
        this.predictorLayout = Objects.requireNonNull(layout, "layout");
        this.model = null;
        return this;
    }

    /**
     * @param data the samples to flip (a subset of the test set, in the paper), with any labels
     * @return this
     */
    public FairnessDebuggingSetBuilder setData(LabelledData data) {
        this.data = Objects.requireNonNull(data, "data");
        return this;
    }

    /**
     * @param attributes the protected attributes, flipped in this order
     * @return this
     */
    public FairnessDebuggingSetBuilder setAttributes(List<ProtectedAttribute> attributes) {
        this.attributes = List.copyOf(Objects.requireNonNull(attributes, "attributes"));
        return this;
    }

    /**
     * @param layout the token layout to label and check columns against (overrides the model's or the
     *     predictor's)
     * @return this
     */
    public FairnessDebuggingSetBuilder optLayout(TokenLayout layout) {
        this.layout = Objects.requireNonNull(layout, "layout");
        return this;
    }

    /**
     * @param v samples per forward of the model's predictor (default {@value #DEFAULT_BATCH_SIZE})
     * @return this
     */
    public FairnessDebuggingSetBuilder optBatchSize(int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + v);
        }
        batchSize = v;
        return this;
    }

    /**
     * @param v the most pairs to keep (default: all)
     * @return this
     */
    public FairnessDebuggingSetBuilder optMaxPairs(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("max pairs must be >= 0, got " + v);
        }
        maxPairs = v;
        return this;
    }

    /**
     * Balances the attributes: at most this many pairs from each attribute's divergent flips (a seeded
     * choice per attribute, kept in data order), before {@link #optMaxPairs(int)} bounds the total.
     * Without it, an attribute that changes many predictions (race on Census, say) fills the set.
     *
     * @param v the most pairs per attribute (default: all)
     * @return this
     */
    public FairnessDebuggingSetBuilder optMaxPairsPerAttribute(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("max pairs per attribute must be >= 0, got " + v);
        }
        maxPairsPerAttribute = v;
        return this;
    }

    /**
     * Flips the attributes jointly ({@link FairnessFlips#joint}): a sample is clean only when no
     * combination of protected values changes its prediction, and a divergent joint flip that changes
     * several attributes is labelled on all of their columns (counted under {@code joint.} in the
     * provenance, and balanced as one more attribute by {@link #optMaxPairsPerAttribute(int)}).
     *
     * @param v whether to flip jointly (default false: one attribute at a time)
     * @return this
     */
    public FairnessDebuggingSetBuilder optJointFlips(boolean v) {
        jointFlips = v;
        return this;
    }

    /**
     * @param v the most clean-only entries to add (default {@value #DEFAULT_CLEAN_ONLY}; 0 for none)
     * @return this
     */
    public FairnessDebuggingSetBuilder optCleanOnly(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("clean-only count must be >= 0, got " + v);
        }
        maxClean = v;
        return this;
    }

    /**
     * @param v the most flipped rows per predictor call (default
     *     {@value FairnessFlips#DEFAULT_ROWS_PER_CALL})
     * @return this
     */
    public FairnessDebuggingSetBuilder optRowsPerCall(int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("rows per call must be positive, got " + v);
        }
        rowsPerCall = v;
        return this;
    }

    /**
     * @param v seed of the choices under {@link #optMaxPairs} and {@link #optCleanOnly} (default 0)
     * @return this
     */
    public FairnessDebuggingSetBuilder optSeed(long v) {
        seed = v;
        return this;
    }

    /** @return the fairness debugging set (see {@link #buildWithDetails()}) */
    public DebuggingSet build() {
        return buildWithDetails().set();
    }

    /**
     * One divergent flip x′ and what became of it.
     *
     * @param sample the index of x in the data
     * @param attribute the index of the flipped attribute in the attribute list, or {@link
     *     FairnessFlips#JOINT} for a joint flip of several ({@link #optJointFlips})
     * @param from x's value of the attribute (NaN for a joint flip)
     * @param to x′'s value (NaN for a joint flip)
     * @param originalPrediction f(x)
     * @param flippedPrediction f(x′), different from f(x)
     * @param cleanSample the index of the paired x̂ in the data, or −1 if no clean sample has x′'s
     *     protected values
     * @param hamming the Hamming distance between x′ and x̂ (−1 without x̂)
     */
    public record Divergence(int sample, int attribute, float from, float to, int originalPrediction,
            int flippedPrediction, int cleanSample, int hamming) {}

    /**
     * The debugging set with where each entry came from.
     *
     * @param set the debugging set
     * @param evaluation f(x) and f(x′) of every sample and flip
     * @param clean per sample, whether no flip changed its prediction
     * @param divergences every divergent flip, in data and flip order
     * @param pairOrigins the divergence behind each of {@code set.pairs()}, same order
     * @param cleanOnlySamples the data index behind each of {@code set.cleanOnly()}, same order
     */
    public record Result(DebuggingSet set, FairnessFlips.Evaluation evaluation, boolean[] clean,
            List<Divergence> divergences, List<Divergence> pairOrigins, int[] cleanOnlySamples) {}

    /**
     * Builds the set and reports where each entry came from. May be called again (after changing
     * options); each call predicts afresh.
     *
     * @return the set and its origins
     * @throws IllegalArgumentException on a missing victim, data or attributes, empty data, or an
     *     attribute outside the samples or the layout
     */
    public Result buildWithDetails() {
        long started = System.nanoTime();
        DjlOffline.configure();
        if (data == null) {
            throw new IllegalArgumentException("setData: the samples to flip are required");
        }
        if (data.size() == 0) {
            throw new IllegalArgumentException("no samples to flip: the data set is empty");
        }
        if (attributes == null || attributes.isEmpty()) {
            throw new IllegalArgumentException("setAttributes: at least one protected attribute is required");
        }
        FairnessPredictor f;
        TokenLayout tokens = layout;
        if (model != null) {
            f = FairnessPredictor.of(model, batchSize);
            if (tokens == null && model.getBlock() instanceof InterceptableTransformer t) {
                tokens = t.tokenLayout();
            }
            if (tokens == null) {
                throw new IllegalArgumentException("the model's block does not describe its token layout; give one"
                        + " with optLayout");
            }
        } else if (predictor != null) {
            f = predictor;
            if (tokens == null) {
                tokens = predictorLayout;
            }
        } else {
            throw new IllegalArgumentException("setModel or setPredictor is required");
        }
        int per = data.sampleSize();
        for (ProtectedAttribute a : attributes) {
            a.checkAgainst(per, tokens);
        }
        FairnessFlips flips = (jointFlips ? FairnessFlips.joint(attributes, per) : FairnessFlips.of(attributes, per))
                .withRowsPerCall(rowsPerCall);
        FairnessFlips.Evaluation eval = flips.evaluate(data, f);
        return assemble(data, flips, eval, tokens.size(), started);
    }

    private Result assemble(LabelledData data, FairnessFlips flips, FairnessFlips.Evaluation eval, int n, long started) {
        int samples = data.size();
        int per = data.sampleSize();
        float[] in = data.inputs();
        int attrCount = attributes.size();
        // One slot per attribute, and a last one for joint flips of several attributes.
        long[] flipCount = new long[attrCount + 1];
        long[] divergentCount = new long[attrCount + 1];
        long[] skipped = new long[attrCount + 1];
        long[] paired = new long[attrCount + 1];
        long[] outsideSet = new long[attrCount];

        boolean[] clean = new boolean[samples];
        int cleanCount = 0;
        for (int i = 0; i < samples; i++) {
            clean[i] = !eval.divergent(i);
            cleanCount += clean[i] ? 1 : 0;
        }

        // x̂ candidates grouped by their protected values.
        Map<ProtectedKey, int[]> groups = groupClean(in, per, clean);

        // Every divergent flip x′, in data and flip order; the ones with a clean sample to pair with.
        List<Divergence> divergences = new ArrayList<>();
        List<float[]> divergentInputs = new ArrayList<>();
        List<int[]> candidates = new ArrayList<>();
        int divergentSamples = 0;
        long totalFlips = 0;
        for (int i = 0; i < samples; i++) {
            float[] x = data.sample(i);
            List<FairnessFlips.Flip> fl = flips.flipsOf(x);
            int[] fp = eval.flipped()[i];
            totalFlips += fl.size();
            for (int a = 0; a < attrCount; a++) {
                if (attributes.get(a).indexOfValue(x[attributes.get(a).index()]) < 0) {
                    outsideSet[a]++;
                }
            }
            boolean any = false;
            for (int k = 0; k < fl.size(); k++) {
                FairnessFlips.Flip flip = fl.get(k);
                int slot = slot(flip.attribute());
                flipCount[slot]++;
                if (fp[k] == eval.original()[i]) {
                    continue;
                }
                any = true;
                divergentCount[slot]++;
                int[] group = groups.get(ProtectedKey.of(flip.input(), 0, attributes));
                if (group == null) {
                    skipped[slot]++;
                }
                divergences.add(new Divergence(i, flip.attribute(), flip.from(), flip.to(), eval.original()[i], fp[k],
                        -1, -1));
                divergentInputs.add(flip.input());
                candidates.add(group);
            }
            divergentSamples += any ? 1 : 0;
        }

        // Which pairable divergences become pairs (all, or a seeded choice of maxPairs in data order).
        List<Integer> pairable = new ArrayList<>();
        for (int d = 0; d < divergences.size(); d++) {
            if (candidates.get(d) != null) {
                pairable.add(d);
            }
        }
        Random random = new Random(seed);
        int pairableCount = pairable.size();
        if (maxPairsPerAttribute < Integer.MAX_VALUE) {
            List<Integer> balanced = new ArrayList<>();
            for (int a = 0; a <= attrCount; a++) {
                int attribute = a;
                balanced.addAll(choose(pairable.stream().filter(d -> slot(divergences.get(d).attribute()) == attribute)
                        .toList(), maxPairsPerAttribute, random));
            }
            balanced.sort(null);
            pairable = balanced;
        }
        List<Integer> chosen = choose(pairable, maxPairs, random);
        int dropped = pairableCount - chosen.size();

        DebuggingSet.Builder set = DebuggingSet.builder(DebuggingSet.Kind.FAIRNESS, data.sampleShape(), n);
        List<Divergence> pairOrigins = new ArrayList<>(chosen.size());
        boolean[] usedAsClean = new boolean[samples];
        boolean[][] masks = new boolean[attrCount][];
        for (int a = 0; a < attrCount; a++) {
            masks[a] = attributes.get(a).columnMask(n);
        }
        for (int d : chosen) {
            float[] xPrime = divergentInputs.get(d);
            int[] best = nearest(xPrime, candidates.get(d), in, per);
            Divergence v = divergences.get(d);
            Divergence withClean = new Divergence(v.sample(), v.attribute(), v.from(), v.to(), v.originalPrediction(),
                    v.flippedPrediction(), best[0], best[1]);
            divergences.set(d, withClean);
            pairOrigins.add(withClean);
            usedAsClean[best[0]] = true;
            paired[slot(v.attribute())]++;
            set.addPair(data.sample(best[0]), xPrime, v.attribute() == FairnessFlips.JOINT
                    ? changedColumns(data.sample(v.sample()), xPrime, masks) : masks[v.attribute()]);
        }

        List<Integer> spare = new ArrayList<>();
        for (int i = 0; i < samples; i++) {
            if (clean[i] && !usedAsClean[i]) {
                spare.add(i);
            }
        }
        List<Integer> cleanOnly = choose(spare, maxClean, random);
        int[] cleanOnlySamples = cleanOnly.stream().mapToInt(Integer::intValue).toArray();
        for (int i : cleanOnlySamples) {
            set.addClean(data.sample(i));
        }

        long skippedTotal = Arrays.stream(skipped).sum();
        set.optProvenance("method", "fairness (AtPatch 3.2.2): " + (jointFlips ? "flip the protected attributes jointly to"
                        + " every other combination of values" : "flip one protected attribute at a time to every other"
                        + " value of A") + "; keep x' where f(x') != f(x) (Eq. 4); label the flipped attributes' columns;"
                        + " clean = no flip changes f; x^ = clean sample with x''s protected values at minimum Hamming"
                        + " distance (ties: smaller L1, then lower index)")
                .optProvenance("predictor", model != null ? "model " + model.getName() + " (unpatched argmax)"
                        : "user predictor")
                .optProvenance("attributes", attributes.toString())
                .optProvenance("samples", Integer.toString(samples))
                .optProvenance("flips", Long.toString(totalFlips))
                .optProvenance("divergentFlips", Integer.toString(divergences.size()))
                .optProvenance("divergentSamples", Integer.toString(divergentSamples))
                .optProvenance("cleanSamples", Integer.toString(cleanCount))
                .optProvenance("unfairnessRate", Double.toString(eval.unfairnessRate()))
                .optProvenance("pairs", Integer.toString(chosen.size()))
                .optProvenance("skippedNoClean", Long.toString(skippedTotal))
                .optProvenance("droppedByMaxPairs", Integer.toString(dropped))
                .optProvenance("cleanOnly", Integer.toString(cleanOnlySamples.length))
                .optProvenance("maxPairs", maxPairs == Integer.MAX_VALUE ? "all" : Integer.toString(maxPairs))
                .optProvenance("maxPairsPerAttribute", maxPairsPerAttribute == Integer.MAX_VALUE ? "all"
                        : Integer.toString(maxPairsPerAttribute))
                .optProvenance("maxCleanOnly", Integer.toString(maxClean))
                .optProvenance("seed", Long.toString(seed));
        for (int a = 0; a < attrCount; a++) {
            String p = "attribute." + attributes.get(a).name() + ".";
            set.optProvenance(p + "flips", Long.toString(flipCount[a]))
                    .optProvenance(p + "divergent", Long.toString(divergentCount[a]))
                    .optProvenance(p + "pairs", Long.toString(paired[a]))
                    .optProvenance(p + "skippedNoClean", Long.toString(skipped[a]))
                    .optProvenance(p + "valuesOutsideSet", Long.toString(outsideSet[a]));
        }
        if (jointFlips) {
            set.optProvenance("joint.flips", Long.toString(flipCount[attrCount]))
                    .optProvenance("joint.divergent", Long.toString(divergentCount[attrCount]))
                    .optProvenance("joint.pairs", Long.toString(paired[attrCount]))
                    .optProvenance("joint.skippedNoClean", Long.toString(skipped[attrCount]));
        }
        if (skippedTotal > 0) {
            LOG.warn("{} divergent flips had no clean sample with the same protected values and were skipped",
                    skippedTotal);
        }
        if (divergences.isEmpty()) {
            LOG.info("no protected-attribute flip changed a prediction on {} samples: the fairness debugging set has"
                    + " no pairs", samples);
        }
        LOG.info("fairness debugging set: {} samples, {} flips, {} divergent ({} samples), {} clean, {} pairs, {} "
                + "clean-only", samples, totalFlips, divergences.size(), divergentSamples, cleanCount, chosen.size(),
                cleanOnlySamples.length);
        set.optProvenance("seconds", String.format(java.util.Locale.ROOT, "%.3f", (System.nanoTime() - started) / 1e9));
        return new Result(set.build(), eval, clean, List.copyOf(divergences), List.copyOf(pairOrigins),
                cleanOnlySamples);
    }

    /** The counter slot of a flip's attribute: its index, or the last slot for a joint flip. */
    private int slot(int attribute) {
        return attribute == FairnessFlips.JOINT ? attributes.size() : attribute;
    }

    /** The union of the columns of the attributes whose value differs between x and x′. */
    private boolean[] changedColumns(float[] x, float[] xPrime, boolean[][] masks) {
        boolean[] out = new boolean[masks[0].length];
        for (int a = 0; a < attributes.size(); a++) {
            int i = attributes.get(a).index();
            if (x[i] != xPrime[i]) {
                for (int c = 0; c < out.length; c++) {
                    out[c] |= masks[a][c];
                }
            }
        }
        return out;
    }

    private Map<ProtectedKey, int[]> groupClean(float[] in, int per, boolean[] clean) {
        Map<ProtectedKey, List<Integer>> lists = new HashMap<>();
        for (int i = 0; i < clean.length; i++) {
            if (clean[i]) {
                lists.computeIfAbsent(ProtectedKey.of(in, i * per, attributes), k -> new ArrayList<>()).add(i);
            }
        }
        Map<ProtectedKey, int[]> groups = new HashMap<>();
        lists.forEach((k, v) -> groups.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
        return groups;
    }

    /** @return {index, Hamming distance} of the nearest candidate (Hamming, then L1, then index) */
    private static int[] nearest(float[] x, int[] candidates, float[] in, int per) {
        int best = -1;
        int bestHamming = Integer.MAX_VALUE;
        double bestL1 = Double.POSITIVE_INFINITY;
        for (int c : candidates) { // ascending, so a strict improvement keeps the lowest index on ties
            int off = c * per;
            int hamming = 0;
            double l1 = 0;
            for (int j = 0; j < per; j++) {
                float diff = in[off + j] - x[j];
                if (in[off + j] != x[j]) {
                    hamming++;
                    l1 += Math.abs(diff);
                }
            }
            if (hamming < bestHamming || (hamming == bestHamming && l1 < bestL1)) {
                best = c;
                bestHamming = hamming;
                bestL1 = l1;
            }
        }
        return new int[] {best, bestHamming};
    }

    /** A seeded choice of at most {@code max} of the items, kept in their order. */
    private static List<Integer> choose(List<Integer> items, int max, Random random) {
        if (items.size() <= max) {
            return items;
        }
        int[] idx = new int[items.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        for (int i = 0; i < max; i++) { // partial Fisher–Yates
            int j = i + random.nextInt(idx.length - i);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int[] pick = Arrays.copyOf(idx, max);
        Arrays.sort(pick);
        List<Integer> out = new ArrayList<>(max);
        for (int p : pick) {
            out.add(items.get(p));
        }
        return out;
    }

    /** A sample's values of every protected attribute, compared as float bits. */
    private record ProtectedKey(int[] bits) {
        static ProtectedKey of(float[] data, int offset, List<ProtectedAttribute> attributes) {
            int[] b = new int[attributes.size()];
            for (int a = 0; a < b.length; a++) {
                float v = data[offset + attributes.get(a).index()];
                b[a] = Float.floatToIntBits(v == 0f ? 0f : v); // −0 and +0 are the same value
            }
            return new ProtectedKey(b);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ProtectedKey k && Arrays.equals(k.bits, bits);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bits);
        }
    }
}
