package org.atpatch.djl.debugset;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.atpatch.djl.LabelledData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trigger inversion with the mask confined to one small square region at a time, over several
 * regions, for a few candidate classes: a debugging-set source for victims whose unrestricted
 * inversion ({@link TriggerInversion}) returns a faint scatter instead of a patch. A ViT embeds
 * every patch with the same weights, so a backdoor's target class is reachable from a trigger inside
 * almost any one blank patch, where a clean class is not.
 *
 * <p><b>What it does.</b> The candidates are given, or taken from an unrestricted inversion's report
 * (its flagged classes and its {@code candidates} smallest-norm classes). The regions are given, or
 * the {@code regionCount} <em>blankest</em> squares of side {@code regionSize} on a grid of that
 * step (lowest summed per-pixel variance over the clean data, row-major order on ties), where a
 * trigger competes least with image content. Every region gets one inversion of all candidates in
 * lock-step. A trigger <em>fires</em> when its held-out attack success reaches {@code minSuccess}
 * (0.9); a class is <em>selected</em> when its trigger fires in at least {@code minFiringShare} (0.25)
 * of the regions, and contributes its lowest-L1 firing trigger. No class selected means no backdoor
 * seen this way; the caller decides what to fall back to.
 */
public final class RegionInversion {

    private static final Logger LOG = LoggerFactory.getLogger(RegionInversion.class);

    private final Supplier<TriggerInversion.Builder> inversion;
    private final List<Region> regions;
    private final int regionSize;
    private final int regionCount;
    private final int candidates;
    private final double minSuccess;
    private final double minFiringShare;

    private RegionInversion(Builder b) {
        inversion = b.inversion;
        regions = b.regions == null ? null : List.copyOf(b.regions);
        regionSize = b.regionSize;
        regionCount = b.regionCount;
        candidates = b.candidates;
        minSuccess = b.minSuccess;
        minFiringShare = b.minFiringShare;
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A rectangular pixel region of an image.
     *
     * @param top first row
     * @param left first column
     * @param height rows
     * @param width columns
     */
    public record Region(int top, int left, int height, int width) {

        /** Validates. */
        public Region {
            if (top < 0 || left < 0 || height < 1 || width < 1) {
                throw new IllegalArgumentException("a region needs top, left >= 0 and a positive size, got "
                        + top + ", " + left + ", " + height + " × " + width);
            }
        }

        /**
         * @param imageHeight the image's rows
         * @param imageWidth the image's columns
         * @return the {@code H × W} 0/1 mask support of this region
         * @throws IllegalArgumentException when the region does not fit the image
         */
        public float[] support(int imageHeight, int imageWidth) {
            if (top + height > imageHeight || left + width > imageWidth) {
                throw new IllegalArgumentException(this + " does not fit a " + imageHeight + " × " + imageWidth + " image");
            }
            float[] s = new float[imageHeight * imageWidth];
            for (int r = top; r < top + height; r++) {
                Arrays.fill(s, r * imageWidth + left, r * imageWidth + left + width, 1f);
            }
            return s;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "rows %d-%d, columns %d-%d", top, top + height - 1, left, left + width - 1);
        }
    }

    /**
     * One inversion of one class inside one region.
     *
     * @param region the region
     * @param trigger the inverted trigger, confined to it
     * @param fired whether its attack success reached {@code minSuccess}
     */
    public record Attempt(Region region, InvertedTrigger trigger, boolean fired) {}

    /**
     * Every attempt and the selection made from them.
     *
     * @param candidates the classes inverted
     * @param regions the regions, in scan order
     * @param attempts one per (region, candidate), region-major
     * @param selected the selected classes' lowest-L1 firing triggers, in candidate order
     * @param minFiringShare the share of regions a selected class fires in
     * @param seconds wall time, including the candidate report's inversion when there was one
     */
    public record Result(int[] candidates, List<Region> regions, List<Attempt> attempts, List<InvertedTrigger> selected,
            double minFiringShare, double seconds) {

        /**
         * @param cls a candidate class
         * @return in how many regions its trigger fired
         */
        public int firedRegions(int cls) {
            return (int) attempts.stream().filter(a -> a.trigger().target() == cls && a.fired()).count();
        }

        /** @return the selected classes, in candidate order */
        public int[] selectedClasses() {
            return selected.stream().mapToInt(InvertedTrigger::target).toArray();
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder("RegionInversion(");
            for (int c : candidates) {
                s.append(String.format(Locale.ROOT, "class %d fired in %d of %d regions; ", c, firedRegions(c),
                        regions.size()));
            }
            s.append("selected ").append(selected).append(String.format(Locale.ROOT, ", %.1f s)", seconds));
            return s.toString();
        }
    }

    /**
     * Scans the regions for the candidate classes of an unrestricted inversion: its flagged classes
     * and its {@code candidates} smallest-norm classes.
     *
     * @param model the victim
     * @param clean clean inputs with true labels, shaped {@code (C, H, W)}
     * @param unrestricted the unrestricted inversion of the same victim (its time is counted in)
     * @return the attempts and the selection
     */
    public Result invert(Model model, LabelledData clean, InversionReport unrestricted) {
        if (unrestricted == null) {
            throw new IllegalArgumentException("the unrestricted inversion report is null");
        }
        Result r = invert(model, clean, candidatesOf(unrestricted, candidates));
        return new Result(r.candidates(), r.regions(), r.attempts(), r.selected(), r.minFiringShare(),
                r.seconds() + unrestricted.seconds());
    }

    /**
     * @param report an unrestricted inversion
     * @param smallest how many smallest-norm classes to take
     * @return its flagged classes, then its {@code smallest} smallest-norm classes not already taken
     */
    static int[] candidatesOf(InversionReport report, int smallest) {
        Set<Integer> chosen = new LinkedHashSet<>();
        Arrays.stream(report.flaggedClasses()).forEach(chosen::add);
        report.triggers().stream().sorted(Comparator.comparingDouble(InvertedTrigger::maskL1)).limit(smallest)
                .forEach(t -> chosen.add(t.target()));
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("the report flags no class and no smallest-norm class was asked for");
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Scans the regions for the given candidate classes.
     *
     * @param model the victim
     * @param clean clean inputs with true labels, shaped {@code (C, H, W)}
     * @param classes the candidate target classes (at least one, distinct)
     * @return the attempts and the selection
     */
    public Result invert(Model model, LabelledData clean, int... classes) {
        if (classes == null || classes.length == 0) {
            throw new IllegalArgumentException("region inversion needs at least one candidate class");
        }
        if (Arrays.stream(classes).distinct().count() != classes.length) {
            throw new IllegalArgumentException("candidate classes repeat: " + Arrays.toString(classes));
        }
        if (clean == null || clean.size() == 0) {
            throw new IllegalArgumentException("region inversion needs clean data; the data set is empty");
        }
        Shape shape = clean.sampleShape();
        if (shape.dimension() != 3) {
            throw new IllegalArgumentException("region inversion works on images shaped (C, H, W); samples are shaped "
                    + shape);
        }
        int h = (int) shape.get(1);
        int w = (int) shape.get(2);
        List<Region> scan = regions != null ? regions : blankest(grid(h, w, regionSize), clean, regionCount);
        long t0 = System.nanoTime();
        List<Attempt> attempts = new ArrayList<>();
        for (Region region : scan) {
            InversionReport report = inversion.get().optClasses(classes).optMaskSupport(region.support(h, w))
                    .optNoFlagPolicy(NoFlagPolicy.EMPTY).build().invert(model, clean);
            for (InvertedTrigger t : report.triggers()) {
                attempts.add(new Attempt(region, t, t.attackSuccess() >= minSuccess));
            }
            LOG.info("region {}: {}", region, report.triggers());
        }
        List<InvertedTrigger> selected = new ArrayList<>();
        for (int c : classes) {
            List<Attempt> fired = attempts.stream().filter(a -> a.trigger().target() == c && a.fired()).toList();
            if (fired.size() >= minFiringShare * scan.size()) {
                selected.add(fired.stream().min(Comparator.comparingDouble(a -> a.trigger().maskL1())).orElseThrow()
                        .trigger());
            }
        }
        Result r = new Result(classes.clone(), scan, attempts, selected, minFiringShare, (System.nanoTime() - t0) / 1e9);
        LOG.info("{}", r);
        return r;
    }

    /**
     * The squares of side {@code size} on a grid of step {@code size} that fit the image, row-major.
     *
     * @param height image rows
     * @param width image columns
     * @param size the squares' side
     * @return the regions
     */
    public static List<Region> grid(int height, int width, int size) {
        if (size < 1 || size > height || size > width) {
            throw new IllegalArgumentException("region size " + size + " does not fit a " + height + " × " + width
                    + " image");
        }
        List<Region> out = new ArrayList<>();
        for (int r = 0; r + size <= height; r += size) {
            for (int c = 0; c + size <= width; c += size) {
                out.add(new Region(r, c, size, size));
            }
        }
        return out;
    }

    /**
     * The {@code count} regions whose pixels vary least over the data (summed per-pixel variance over
     * channels and the region; ties keep the given order).
     *
     * @param regions candidate regions
     * @param data images shaped {@code (C, H, W)}
     * @param count how many to keep (all when there are fewer)
     * @return the blankest regions, blankest first
     */
    public static List<Region> blankest(List<Region> regions, LabelledData data, int count) {
        Shape shape = data.sampleShape();
        int channels = (int) shape.get(0);
        int h = (int) shape.get(1);
        int w = (int) shape.get(2);
        int per = data.sampleSize();
        double[] sum = new double[per];
        double[] sq = new double[per];
        float[] x = data.inputs();
        for (int i = 0; i < data.size(); i++) {
            for (int j = 0; j < per; j++) {
                double v = x[i * per + j];
                sum[j] += v;
                sq[j] += v * v;
            }
        }
        double n = data.size();
        double[] variance = new double[h * w];
        for (int ch = 0; ch < channels; ch++) {
            for (int p = 0; p < h * w; p++) {
                double mean = sum[ch * h * w + p] / n;
                variance[p] += Math.max(0, sq[ch * h * w + p] / n - mean * mean);
            }
        }
        double[] score = new double[regions.size()];
        for (int i = 0; i < regions.size(); i++) {
            Region r = regions.get(i);
            if (r.top() + r.height() > h || r.left() + r.width() > w) {
                throw new IllegalArgumentException(r + " does not fit a " + h + " × " + w + " image");
            }
            for (int row = r.top(); row < r.top() + r.height(); row++) {
                for (int col = r.left(); col < r.left() + r.width(); col++) {
                    score[i] += variance[row * w + col];
                }
            }
        }
        return IntStream.range(0, regions.size()).boxed().sorted(Comparator.comparingDouble(i -> score[i]))
                .limit(count).map(regions::get).toList();
    }

    /** Builds a {@link RegionInversion}. */
    public static final class Builder {
        private Supplier<TriggerInversion.Builder> inversion = TriggerInversion::builder;
        private List<Region> regions;
        private int regionSize = 4;
        private int regionCount = 8;
        private int candidates = 5;
        private double minSuccess = 0.9;
        private double minFiringShare = 0.25;

        private Builder() {}

        /**
         * @param v a fresh, configured inversion builder per region (seed, rounds, ...); its classes,
         *     mask support and no-flag policy are set by the scan (default {@link TriggerInversion#builder()})
         * @return this
         */
        public Builder optInversion(Supplier<TriggerInversion.Builder> v) {
            if (v == null) {
                throw new IllegalArgumentException("the inversion supplier is null");
            }
            inversion = v;
            return this;
        }

        /** @param v the regions to scan, instead of the blankest grid squares @return this */
        public Builder optRegions(List<Region> v) {
            if (v == null || v.isEmpty()) {
                throw new IllegalArgumentException("the regions to scan are empty");
            }
            regions = List.copyOf(v);
            return this;
        }

        /** @param v the grid squares' side in pixels (default 4) @return this */
        public Builder optRegionSize(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("region size must be >= 1, got " + v);
            }
            regionSize = v;
            return this;
        }

        /** @param v how many of the blankest grid squares to scan (default 8) @return this */
        public Builder optRegionCount(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("region count must be >= 1, got " + v);
            }
            regionCount = v;
            return this;
        }

        /**
         * @param v smallest-norm classes of an unrestricted report to scan besides its flagged ones
         *     (default 5: an unrestricted inversion need not rank the target's mask smallest)
         * @return this
         */
        public Builder optCandidates(int v) {
            if (v < 0) {
                throw new IllegalArgumentException("candidates must be >= 0, got " + v);
            }
            candidates = v;
            return this;
        }

        /** @param v the held-out attack success at which a trigger fires, in (0, 1] (default 0.9) @return this */
        public Builder optMinSuccess(double v) {
            if (!(v > 0 && v <= 1)) {
                throw new IllegalArgumentException("minimum attack success must lie in (0, 1], got " + v);
            }
            minSuccess = v;
            return this;
        }

        /**
         * @param v the share of regions a class must fire in to be selected, in (0, 1] (default 0.25:
         *     a backdoor's target fires in a good share of the blank squares, a clean class in almost
         *     none)
         * @return this
         */
        public Builder optMinFiringShare(double v) {
            if (!(v > 0 && v <= 1)) {
                throw new IllegalArgumentException("minimum firing share must lie in (0, 1], got " + v);
            }
            minFiringShare = v;
            return this;
        }

        /** @return the configured scan */
        public RegionInversion build() {
            return new RegionInversion(this);
        }
    }
}
