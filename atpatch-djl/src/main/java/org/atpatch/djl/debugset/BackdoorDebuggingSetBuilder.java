package org.atpatch.djl.debugset;

import ai.djl.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.atpatch.core.ImageTokenLayout;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the backdoor {@link DebuggingSet} of Section 3.2.1 from clean data and one or more triggers
 * (inverted by {@link TriggerInversion}, or known and given through {@link Trigger#of}): for each
 * trigger, pairs {@code (x, x′ = (1 − M) ⊙ x + M ⊙ Δ)} of clean inputs, with the anomalous columns of
 * {@code x′} labelled from the mask through the model's token layout by an {@link OverlapRule}; plus
 * some clean-only inputs (from samples no pair uses).
 *
 * <p>Defaults: clean inputs of the trigger's own target class are excluded (the trigger changes
 * nothing about their prediction); a pair is kept only when the victim classifies {@code x′} as the
 * target (a pair whose trigger did not fire shows no backdoor attention); each trigger is also
 * placed at its whole-patch translations ({@link #optPatchGridTranslations}); up to 500 pairs per
 * trigger and 200 clean-only inputs. Samples are drawn in a seeded random order.
 */
public final class BackdoorDebuggingSetBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(BackdoorDebuggingSetBuilder.class);

    /** The default of {@link #optPieceRatio}. */
    public static final double DEFAULT_PIECE_RATIO = 0.5;
    /** How many clean inputs each labelled column's piece of a trigger is stamped on. */
    static final int PIECE_PROBE = 128;
    /** A best piece firing on fewer than this share of the probe means the pieces only fire together. */
    static final double PIECE_MINIMUM = 0.1;

    private final Model model;
    private final LabelledData clean;
    private final List<Trigger> triggers = new ArrayList<>();
    private final List<String> origins = new ArrayList<>();
    private ImageTokenLayout layout;
    private OverlapRule rule = OverlapRule.defaultRule();
    private int pairsPerTrigger = 500;
    private int cleanOnly = 200;
    private boolean keepOnlySuccessful = true;
    private boolean excludeTargetClass = true;
    private boolean gridTranslations = true;
    private int batchSize = 256;
    private long seed = 0;
    private double inversionSeconds = 0;
    private double pieceRatio = DEFAULT_PIECE_RATIO;

    private BackdoorDebuggingSetBuilder(Model model, LabelledData clean) {
        if (model == null || model.getBlock() == null) {
            throw new IllegalArgumentException("a model with a block is required");
        }
        if (clean == null || clean.size() == 0) {
            throw new IllegalArgumentException("a debugging set needs clean data; the data set is empty");
        }
        if (clean.sampleShape().dimension() != 3) {
            throw new IllegalArgumentException("backdoor pairs are built on images shaped (C, H, W); samples are shaped "
                    + clean.sampleShape());
        }
        this.model = model;
        this.clean = clean;
        if (model.getBlock() instanceof InterceptableTransformer t && t.tokenLayout() instanceof ImageTokenLayout l) {
            layout = l;
        }
    }

    /**
     * @param model the victim (used to keep only the pairs whose trigger fires, and for its token layout)
     * @param clean clean inputs with true labels, shaped {@code (C, H, W)}
     * @return a builder
     */
    public static BackdoorDebuggingSetBuilder of(Model model, LabelledData clean) {
        return new BackdoorDebuggingSetBuilder(model, clean);
    }

    /**
     * Adds a known trigger (or any trigger).
     *
     * @param trigger the trigger; its input shape must match the data's
     * @return this
     */
    public BackdoorDebuggingSetBuilder addTrigger(Trigger trigger) {
        return add(trigger, "known");
    }

    /**
     * Adds inverted triggers, typically {@link InversionReport#selected()}.
     *
     * @param inverted inverted triggers
     * @return this
     */
    public BackdoorDebuggingSetBuilder addTriggers(List<InvertedTrigger> inverted) {
        for (InvertedTrigger t : inverted) {
            add(t.trigger(), String.format(java.util.Locale.ROOT, "inverted(L1=%.2f,attackSuccess=%.3f)", t.maskL1(), t.attackSuccess()));
        }
        return this;
    }

    /**
     * Adds the triggers a trigger inversion selected ({@link InversionReport#selected()}) and counts
     * the inversion's time into the debugging set's construction time.
     *
     * @param report the inversion's report
     * @return this
     */
    public BackdoorDebuggingSetBuilder addTriggers(InversionReport report) {
        if (report == null) {
            throw new IllegalArgumentException("inversion report is null");
        }
        inversionSeconds += report.seconds();
        return addTriggers(report.selected());
    }

    /**
     * Adds the triggers a region scan selected ({@link RegionInversion.Result#selected()}) and counts
     * the scan's time into the debugging set's construction time.
     *
     * @param scan the region scan's result
     * @return this
     */
    public BackdoorDebuggingSetBuilder addTriggers(RegionInversion.Result scan) {
        if (scan == null) {
            throw new IllegalArgumentException("region scan result is null");
        }
        inversionSeconds += scan.seconds();
        return addTriggers(scan.selected());
    }

    /**
     * Adds the triggers a target search selected ({@link TargetSearch.Result#selected()}) and counts
     * the search's time into the debugging set's construction time.
     *
     * @param search the target search's result
     * @return this
     */
    public BackdoorDebuggingSetBuilder addTriggers(TargetSearch.Result search) {
        if (search == null) {
            throw new IllegalArgumentException("target search result is null");
        }
        inversionSeconds += search.seconds();
        return addTriggers(search.selected());
    }

    /**
     * Adds the region scan's selected triggers, or, when it selected no class, the triggers the
     * unrestricted inversion it started from selected; the scan's time (which holds the
     * inversion's) counts either way.
     *
     * @param scan the region scan's result
     * @param unrestricted the inversion the scan was run after
     * @return this
     */
    public BackdoorDebuggingSetBuilder addTriggers(RegionInversion.Result scan, InversionReport unrestricted) {
        if (unrestricted == null) {
            throw new IllegalArgumentException("inversion report is null");
        }
        addTriggers(scan);
        return scan.selected().isEmpty() ? addTriggers(unrestricted.selected()) : this;
    }

    private BackdoorDebuggingSetBuilder add(Trigger trigger, String origin) {
        if (trigger == null) {
            throw new IllegalArgumentException("trigger is null");
        }
        if (!trigger.sampleShape().equals(clean.sampleShape())) {
            throw new IllegalArgumentException("trigger is shaped for inputs " + trigger.sampleShape()
                    + ", the clean data for " + clean.sampleShape());
        }
        triggers.add(trigger);
        origins.add(origin);
        return this;
    }

    /**
     * @param v the token layout, needed when the model's block is not an {@link InterceptableTransformer}
     *     with an image layout
     * @return this
     */
    public BackdoorDebuggingSetBuilder optLayout(ImageTokenLayout v) {
        layout = v;
        return this;
    }

    /** @param v how mask and token regions decide a column (default {@link OverlapRule#defaultRule()}) @return this */
    public BackdoorDebuggingSetBuilder optOverlapRule(OverlapRule v) {
        if (v == null) {
            throw new IllegalArgumentException("overlap rule is null");
        }
        rule = v;
        return this;
    }

    /** @param v the most pairs per trigger (default 500) @return this */
    public BackdoorDebuggingSetBuilder optPairsPerTrigger(int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("pairs per trigger must be positive, got " + v);
        }
        pairsPerTrigger = v;
        return this;
    }

    /** @param v the most clean-only inputs (default 200; 0 for none) @return this */
    public BackdoorDebuggingSetBuilder optCleanOnly(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("clean-only count must be >= 0, got " + v);
        }
        cleanOnly = v;
        return this;
    }

    /** @param v keep a pair only if the victim classifies x′ as the target (default true) @return this */
    public BackdoorDebuggingSetBuilder optKeepOnlySuccessful(boolean v) {
        keepOnlySuccessful = v;
        return this;
    }

    /** @param v leave out clean inputs whose label is the trigger's target (default true) @return this */
    public BackdoorDebuggingSetBuilder optExcludeTargetClass(boolean v) {
        excludeTargetClass = v;
        return this;
    }

    /**
     * Also places each trigger at every translation by whole patches that keeps its mask inside the
     * image (default true). A ViT embeds every patch with the same weights, so a trigger aligned to
     * the patch grid usually fires wherever it sits on that grid, and trigger inversion returns just one
     * of those places (the cheapest, which need not be where the attack planted it). Pairs at one
     * place teach the detector that place instead of the over-attention; with the translations, pairs
     * spread over every position where the inverted trigger still fires (with
     * {@link #optKeepOnlySuccessful} on, places where it does not fire add no pair). The pair budget
     * per trigger is shared among the translations. The translations are the multiples of the
     * layout's {@link ImageTokenLayout#translationStep()}: the patch side of a ViT grid, the product
     * of the strides of a T2T-ViT's overlapping soft splits; a layout without a common step keeps
     * each trigger at its one place.
     *
     * @param v whether to translate
     * @return this
     */
    public BackdoorDebuggingSetBuilder optPatchGridTranslations(boolean v) {
        gridTranslations = v;
        return this;
    }

    /**
     * Narrows each placement's labels to the columns whose piece of the trigger fires on its own
     * ({@link TriggerPieces}): each labelled column's piece (the mask inside its region only) is
     * stamped on {@value #PIECE_PROBE} clean non-target inputs, and a column stays labelled when its
     * piece's attack success reaches {@code ratio} times the best piece's. When no piece fires on
     * more than {@value #PIECE_MINIMUM} of the inputs alone, or one column is labelled, the labels
     * stay. Default {@value #DEFAULT_PIECE_RATIO}; 0 turns it off and labels every column the overlap
     * rule marks, as the paper does. Where an inverted mask spreads over several patches, dropping the
     * pieces that do not fire lowers the attack success rate after patching without costing accuracy
     * (measured: docs/results/patch-rules.md).
     *
     * @param ratio in (0, 1], or 0 for off
     * @return this
     */
    public BackdoorDebuggingSetBuilder optPieceRatio(double ratio) {
        if (!(ratio == 0 || (ratio > 0 && ratio <= 1))) {
            throw new IllegalArgumentException("piece ratio must be 0 (off) or in (0, 1], got " + ratio);
        }
        pieceRatio = ratio;
        return this;
    }

    /** @param v batch size of the victim's predictions (default 256) @return this */
    public BackdoorDebuggingSetBuilder optBatchSize(int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + v);
        }
        batchSize = v;
        return this;
    }

    /** @param v seed of the sample order (default 0) @return this */
    public BackdoorDebuggingSetBuilder optSeed(long v) {
        seed = v;
        return this;
    }

    /**
     * @return the debugging set; it has no pairs when no trigger was added (the {@link NoFlagPolicy#EMPTY}
     *     outcome) or none fired, which is logged
     */
    public DebuggingSet build() {
        DjlOffline.configure();
        long started = System.nanoTime();
        if (layout == null) {
            throw new IllegalStateException("the model's block has no image token layout; give one with optLayout");
        }
        long[] s = clean.sampleShape().getShape();
        if (layout.height() != s[1] || layout.width() != s[2]) {
            throw new IllegalArgumentException("token layout covers " + layout.height() + "x" + layout.width()
                    + " pixels, the inputs are " + s[1] + "x" + s[2]);
        }
        DebuggingSet.Builder out = DebuggingSet.builder(DebuggingSet.Kind.BACKDOOR, clean.sampleShape(), layout.size());
        out.optProvenance("method", "backdoor pairs x' = (1-M)*x + M*pattern (AtPatch 3.2.1)");
        out.optProvenance("overlapRule", rule.toString());
        out.optProvenance("pieceRatio", Double.toString(pieceRatio));
        out.optProvenance("keepOnlySuccessful", Boolean.toString(keepOnlySuccessful));
        out.optProvenance("excludeTargetClass", Boolean.toString(excludeTargetClass));
        out.optProvenance("seed", Long.toString(seed));
        out.optProvenance("cleanSamples", Integer.toString(clean.size()));
        if (triggers.isEmpty()) {
            LOG.warn("no trigger given: the backdoor debugging set has no pairs");
        }
        int[] order = IntStream.range(0, clean.size()).toArray();
        Random random = new Random(seed);
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        boolean[] used = new boolean[clean.size()];
        int totalPairs = 0;
        out.optProvenance("patchGridTranslations", Boolean.toString(gridTranslations));
        for (int k = 0; k < triggers.size(); k++) {
            Trigger t = triggers.get(k);
            List<Trigger> placed = gridTranslations ? translations(t, random) : List.of(t);
            int kept = 0;
            int places = 0;
            java.util.Set<Integer> labelled = new java.util.TreeSet<>();
            List<Placement> filled = new ArrayList<>();
            for (int p = 0; p < placed.size(); p++) {
                // Each placement starts at a different point of the shuffled order, so placements use different inputs.
                int[] rotated = rotate(order, (int) ((long) p * order.length / placed.size()));
                boolean[] columns = firingPieces(placed.get(p),
                        TriggerLabelling.columnsOrStrongest(placed.get(p).mask(), layout, rule), rotated);
                // What a placement leaves unused goes to the ones after it.
                int budget = (pairsPerTrigger - kept + placed.size() - p - 1) / (placed.size() - p);
                int n = addPairs(out, placed.get(p), columns, rotated, used, budget, p > 0, false);
                kept += n;
                if (n > 0) {
                    places++;
                    IntStream.range(0, columns.length).filter(j -> columns[j]).forEach(labelled::add);
                }
                if (n > 0 && n == budget) { // it could take more; one that ran out of inputs could not
                    filled.add(new Placement(placed.get(p), columns, rotated));
                }
            }
            // What the placements that never fired left goes to those that filled their share, on inputs not
            // yet used: a trigger that works at its own place only (a faint, location-bound one) still gets
            // its pairs.
            for (int q = 0; q < filled.size() && kept < pairsPerTrigger; q++) {
                int budget = (pairsPerTrigger - kept + filled.size() - q - 1) / (filled.size() - q);
                Placement f = filled.get(q);
                kept += addPairs(out, f.trigger(), f.columns(), f.order(), used, budget, false, true);
            }
            totalPairs += kept;
            out.optProvenance("trigger" + k, "target=" + t.target() + ", origin=" + origins.get(k)
                    + String.format(java.util.Locale.ROOT, ", maskL1=%.2f", t.maskL1()) + ", placements=" + places + "/" + placed.size()
                    + ", columns=" + labelled + ", pairs=" + kept);
            LOG.info("trigger {} (target {}): {} pairs at {} of {} placements, anomalous columns {}", k, t.target(), kept,
                    places, placed.size(), labelled);
        }
        int extra = 0;
        for (int i = order.length - 1; i >= 0 && extra < cleanOnly; i--) {
            if (!used[order[i]]) {
                out.addClean(clean.sample(order[i]));
                extra++;
            }
        }
        out.optProvenance("pairs", Integer.toString(totalPairs));
        double pairSeconds = (System.nanoTime() - started) / 1e9;
        out.optProvenance("seconds.inversion", String.format(java.util.Locale.ROOT, "%.3f", inversionSeconds));
        out.optProvenance("seconds.pairs", String.format(java.util.Locale.ROOT, "%.3f", pairSeconds));
        out.optProvenance("seconds", String.format(java.util.Locale.ROOT, "%.3f", inversionSeconds + pairSeconds));
        out.optProvenance("cleanOnly", Integer.toString(extra));
        if (totalPairs == 0 && !triggers.isEmpty()) {
            LOG.warn("no trigger fired on the clean data: the backdoor debugging set has no pairs");
        }
        return out.build();
    }

    /** A placement of a trigger that filled its share: its labelled columns and its input order. */
    private record Placement(Trigger trigger, boolean[] columns, int[] order) {}

    /** The mask's labels, narrowed to the columns whose piece of the trigger fires when that is on. */
    private boolean[] firingPieces(Trigger t, boolean[] columns, int[] order) {
        if (pieceRatio == 0 || IntStream.range(0, columns.length).filter(j -> columns[j]).count() < 2) {
            return columns;
        }
        int[] probe = Arrays.stream(order)
                .filter(i -> clean.labels()[i] != t.target())
                .limit(PIECE_PROBE)
                .toArray();
        if (probe.length == 0) {
            return columns;
        }
        double[] success = TriggerPieces.success(model, t, columns, layout, clean.subset(probe), batchSize);
        boolean[] kept = TriggerPieces.keep(columns, success, pieceRatio, PIECE_MINIMUM);
        StringBuilder b = new StringBuilder();
        for (int j = 0; j < columns.length; j++) {
            if (columns[j]) {
                b.append(String.format(java.util.Locale.ROOT, " %d:%.3f%s", j, success[j], kept[j] ? "" : "(dropped)"));
            }
        }
        LOG.info("trigger for class {}: attack success of each labelled column's piece alone:{}", t.target(), b);
        return kept;
    }

    /** The trigger at its own place first, then at every other whole-patch translation, in seeded order. */
    private List<Trigger> translations(Trigger t, Random random) {
        int[] b = t.maskBounds();
        int step = layout.translationStep();
        if (b[0] < 0 || step <= 0) {
            return List.of(t); // the layout defines no whole-token translation
        }
        List<Trigger> out = new ArrayList<>();
        for (int dy = -(b[0] / step) * step; b[2] + dy < t.height(); dy += step) {
            for (int dx = -(b[1] / step) * step; b[3] + dx < t.width(); dx += step) {
                if (dy != 0 || dx != 0) {
                    out.add(t.shifted(dy, dx));
                }
            }
        }
        java.util.Collections.shuffle(out, random);
        out.add(0, t);
        return out;
    }

    private static int[] rotate(int[] order, int by) {
        int[] out = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            out[i] = order[(i + by) % order.length];
        }
        return out;
    }

    /**
     * Adds up to {@code budget} pairs; a translated placement ({@code giveUp}) that fires on none of
     * the first 64 inputs it tries is abandoned; {@code skipUsed} leaves out inputs already paired.
     */
    private int addPairs(DebuggingSet.Builder out, Trigger t, boolean[] columns, int[] order, boolean[] used,
            int budget, boolean giveUp, boolean skipUsed) {
        int[] candidates = Arrays.stream(order)
                .filter(i -> !excludeTargetClass || clean.labels()[i] != t.target())
                .filter(i -> !skipUsed || !used[i])
                .toArray();
        int kept = 0;
        int tried = 0;
        for (int from = 0; from < candidates.length && kept < budget && !(giveUp && kept == 0 && tried >= 64); ) {
            int need = budget - kept;
            // Twice what is still needed (most triggers fire on most inputs), so small budgets stay cheap.
            int take = Math.min(candidates.length - from, keepOnlySuccessful ? Math.min(batchSize, 2 * need + 16) : need);
            int[] chunk = Arrays.copyOfRange(candidates, from, from + take);
            from += take;
            LabelledData x = clean.subset(chunk);
            LabelledData triggered = t.apply(x);
            int[] pred = keepOnlySuccessful ? TriggerOptimiser.predict(model, triggered, batchSize) : null;
            for (int i = 0; i < chunk.length && kept < budget; i++) {
                tried++;
                if (pred == null || pred[i] == t.target()) {
                    out.addPair(x.sample(i), triggered.sample(i), columns);
                    used[chunk[i]] = true;
                    kept++;
                }
            }
        }
        if (keepOnlySuccessful && tried > 0) {
            LOG.debug("trigger for class {} fired on {} of {} clean inputs tried", t.target(), kept, tried);
        }
        return kept;
    }
}
