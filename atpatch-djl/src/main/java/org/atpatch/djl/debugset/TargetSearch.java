package org.atpatch.djl.debugset;

import ai.djl.Model;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.atpatch.djl.LabelledData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a backdoor's target class, or decides there is none, without being told the trigger and
 * without trusting the MAD test's verdict: a way to choose the triggers of a backdoor
 * {@link org.atpatch.djl.DebuggingSet}.
 *
 * <p><b>What it does.</b> An unrestricted trigger inversion of every class ({@link TriggerInversion},
 * Neural Cleanse's optimisation) names the candidates: the classes its MAD test flags and the
 * {@code candidates} classes with the smallest masks. A {@link RegionInversion} then inverts each
 * candidate again with its mask confined to one small blank square at a time, over several squares.
 * A class is a target when its confined trigger <em>fires</em> (held-out attack success at least
 * {@code minSuccess}) from at least {@code minFiringShare} of the squares. The evidence of a class is
 * that share, its <em>firing share</em>.
 *
 * <p><b>Why not the MAD test alone.</b> The MAD test asks whether one class's mask is abnormally small
 * among all classes. On many victims some clean classes also invert to small masks (a clean class
 * whose images differ from another's by a few strokes), so the test flags clean classes or, with
 * their masks in the spread, no class at all. A backdoor's trigger works from wherever it is pasted
 * in a transformer that embeds every patch with the same weights; a clean class's small mask is an
 * edit of particular image content that no blank square can make. The firing share separates the two
 * where the mask norm does not on many victims; it misses a trigger that works only at its own place
 * (measured on seeded backdoored and clean victims: the generalisation results in the reproduction
 * guide).
 *
 * <p><b>No backdoor.</b> When no candidate fires from enough squares, the model shows no backdoor this
 * search can see. By default ({@link NoFlagPolicy#FAIL}) {@link #search} then throws a
 * {@link NoTargetFlaggedException} carrying the unrestricted inversion's report; {@link NoFlagPolicy#EMPTY}
 * returns a result with nothing selected; {@link NoFlagPolicy#USE_SMALLEST_NORM} selects the unrestricted
 * inversion's smallest-mask trigger with a warning, for a user who knows the model is backdoored.
 *
 * <p>Immutable and thread-safe; a search runs on the calling thread on the model's device.
 */
public final class TargetSearch {

    private static final Logger LOG = LoggerFactory.getLogger(TargetSearch.class);

    private final Supplier<TriggerInversion.Builder> inversion;
    private final RegionInversion scan;
    private final NoFlagPolicy noFlagPolicy;
    private final double minFiringShare;
    private final double minSuccess;

    private TargetSearch(Builder b) {
        long seed = b.seed;
        Supplier<TriggerInversion.Builder> given = b.inversion;
        inversion = () -> given.get().optSeed(seed);
        minSuccess = b.minSuccess;
        scan = RegionInversion.builder().optInversion(inversion).optRegionSize(b.regionSize).optRegionCount(b.regionCount)
                .optCandidates(b.candidates).optMinSuccess(b.minSuccess).optMinFiringShare(b.minFiringShare).build();
        noFlagPolicy = b.noFlagPolicy;
        minFiringShare = b.minFiringShare;
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * What a search found.
     *
     * @param inversion the unrestricted inversion of every class (its MAD test recorded, never acted on)
     * @param scan the region scan of the candidates
     * @param selected the triggers to build the debugging set from: each target's lowest-norm firing
     *     confined trigger, then each target's unrestricted trigger where that one fires too (or, under
     *     {@link NoFlagPolicy#USE_SMALLEST_NORM} with no target, the smallest unrestricted mask)
     * @param seconds wall time of the whole search
     */
    public record Result(InversionReport inversion, RegionInversion.Result scan, List<InvertedTrigger> selected,
            double seconds) {

        /** Copies the selection. */
        public Result {
            selected = List.copyOf(selected);
        }

        /** @return whether a target was found by the firing share (a fallback selection is not a finding) */
        public boolean backdoorFound() {
            return !scan.selected().isEmpty();
        }

        /** @return the targets found, in candidate order (empty when none) */
        public int[] targets() {
            return scan.selectedClasses();
        }

        /**
         * @param cls a class
         * @return the share of scanned squares its confined trigger fired from (0 for a class that was no candidate)
         */
        public double firingShare(int cls) {
            return scan.firedRegions(cls) / (double) scan.regions().size();
        }

        /** @return the largest firing share of any candidate: the evidence of a backdoor, in [0, 1] */
        public double evidence() {
            return Arrays.stream(scan.candidates()).mapToDouble(this::firingShare).max().orElse(0);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "TargetSearch(targets %s, evidence %.2f, MAD flagged %s, %s selected, %.1f s)",
                    Arrays.toString(targets()), evidence(), Arrays.toString(inversion.flaggedClasses()),
                    selected.stream().map(t -> Integer.toString(t.target())).toList(), seconds);
        }
    }

    /**
     * Searches the model for a backdoor target.
     *
     * @param model the victim; its block takes {@code (batch, C, H, W)} and returns logits
     * @param clean clean inputs with their true labels, shaped {@code (C, H, W)}, values in the
     *     inversion's pattern range ({@code [0, 1]} by default)
     * @return the search's result
     * @throws NoTargetFlaggedException under {@link NoFlagPolicy#FAIL} when no class fires from enough squares
     */
    public Result search(Model model, LabelledData clean) {
        long t0 = System.nanoTime();
        InversionReport unrestricted = inversion.get().optNoFlagPolicy(NoFlagPolicy.EMPTY).build().invert(model, clean);
        RegionInversion.Result regions = scan.invert(model, clean, unrestricted);
        return decide(unrestricted, regions, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * The decision from an unrestricted inversion and a region scan of its candidates: the scan's
     * selection, or what the no-flag policy says when it selected nothing.
     *
     * @param unrestricted the unrestricted inversion
     * @param regions the region scan
     * @param seconds the time both took
     * @return the result
     * @throws NoTargetFlaggedException under {@link NoFlagPolicy#FAIL} when the scan selected nothing
     */
    Result decide(InversionReport unrestricted, RegionInversion.Result regions, double seconds) {
        List<InvertedTrigger> selected = new java.util.ArrayList<>(regions.selected());
        for (InvertedTrigger found : regions.selected()) {
            unrestricted.triggers().stream().filter(t -> t.target() == found.target() && t.attackSuccess() >= minSuccess)
                    .findFirst().ifPresent(selected::add);
        }
        if (selected.isEmpty()) {
            String what = String.format(Locale.ROOT, "no candidate class %s fired from %.0f %% of the %d blank squares"
                    + " scanned (%s): no backdoor found", Arrays.toString(regions.candidates()), 100 * minFiringShare,
                    regions.regions().size(), firing(regions));
            switch (noFlagPolicy) {
                case FAIL -> throw new NoTargetFlaggedException(what + ". The model may be clean; build no debugging"
                        + " set from it (NoFlagPolicy.USE_SMALLEST_NORM forces one from the smallest inverted mask)",
                        unrestricted);
                case USE_SMALLEST_NORM -> {
                    InvertedTrigger smallest = unrestricted.triggers().stream()
                            .min(java.util.Comparator.comparingDouble(InvertedTrigger::maskL1)).orElseThrow();
                    LOG.warn("{}; the model may be clean. Selecting class {} (smallest mask, L1 {}) as asked", what,
                            smallest.target(), String.format(Locale.ROOT, "%.2f", smallest.maskL1()));
                    selected = List.of(smallest);
                }
                case EMPTY -> LOG.info("{}", what);
                default -> throw new IllegalStateException("unknown policy " + noFlagPolicy);
            }
        }
        Result r = new Result(unrestricted, regions, selected, seconds);
        LOG.info("{}", r);
        return r;
    }

    private static String firing(RegionInversion.Result r) {
        StringBuilder b = new StringBuilder();
        for (int c : r.candidates()) {
            b.append(b.length() == 0 ? "" : ", ").append("class ").append(c).append(": ").append(r.firedRegions(c));
        }
        return b.toString();
    }

    /** Builds a {@link TargetSearch}. */
    public static final class Builder {
        private Supplier<TriggerInversion.Builder> inversion = TriggerInversion::builder;
        private long seed;
        private int regionSize = 4;
        private int regionCount = 8;
        private int candidates = 5;
        private double minSuccess = 0.9;
        private double minFiringShare = 0.25;
        private NoFlagPolicy noFlagPolicy = NoFlagPolicy.FAIL;

        private Builder() {}

        /**
         * @param v a fresh, configured inversion builder per call (rounds, learning rate, ...); the search
         *     sets its seed, classes, mask support and no-flag policy (default {@link TriggerInversion#builder()})
         * @return this
         */
        public Builder optInversion(Supplier<TriggerInversion.Builder> v) {
            if (v == null) {
                throw new IllegalArgumentException("the inversion supplier is null");
            }
            inversion = v;
            return this;
        }

        /** @param v the seed of every inversion (default 0) @return this */
        public Builder optSeed(long v) {
            seed = v;
            return this;
        }

        /** @param v the side of the scanned squares in pixels (default 4) @return this */
        public Builder optRegionSize(int v) {
            regionSize = v;
            return this;
        }

        /** @param v how many of the blankest squares to scan (default 8) @return this */
        public Builder optRegionCount(int v) {
            regionCount = v;
            return this;
        }

        /** @param v smallest-mask classes scanned besides those the MAD test flags (default 5) @return this */
        public Builder optCandidates(int v) {
            candidates = v;
            return this;
        }

        /** @param v the held-out attack success at which a confined trigger fires (default 0.9) @return this */
        public Builder optMinSuccess(double v) {
            minSuccess = v;
            return this;
        }

        /** @param v the firing share that makes a class a target, in (0, 1] (default 0.25) @return this */
        public Builder optMinFiringShare(double v) {
            minFiringShare = v;
            return this;
        }

        /**
         * @param v what a search that finds no target does (default {@link NoFlagPolicy#FAIL}: no backdoor found)
         * @return this
         */
        public Builder optNoFlagPolicy(NoFlagPolicy v) {
            if (v == null) {
                throw new IllegalArgumentException("no-flag policy is null");
            }
            noFlagPolicy = v;
            return this;
        }

        /**
         * @return the configured search
         * @throws IllegalArgumentException when a region or threshold setting is out of range
         */
        public TargetSearch build() {
            return new TargetSearch(this);
        }
    }
}
