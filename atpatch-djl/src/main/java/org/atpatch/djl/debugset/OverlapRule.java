package org.atpatch.djl.debugset;

/**
 * When a token column counts as anomalous in a triggered input: a test on the trigger mask {@code M}
 * over the token's pixel region (Section 3.2.1: the columns "associated with M's non-zero regions").
 * An inverted mask passes through a sigmoid, so it is never exactly zero; each rule says what
 * "non-zero" means.
 *
 * <ul>
 *   <li>{@link #pixelsAbove(double, int)}: at least {@code k} pixels of the region have {@code M ≥ t}.
 *   <li>{@link #meanAtLeast(double)}: the mean of {@code M} over the region is at least {@code f}
 *       (equivalently, the region holds at least {@code f · area} pixels' worth of trigger).
 *   <li>{@link #massShareAtLeast(double)}: the region holds at least a share {@code s} of the mask's
 *       total L1 mass.
 * </ul>
 *
 * <p><b>Default: {@code massShareAtLeast(0.1)}</b> — a token is anomalous when its patch holds at
 * least 10 % of the mask's L1 mass. It is scale-free, so it reads concentrated and faint inverted
 * masks alike, and it labels at most ten columns. The sigmoid mask is never exactly zero, but the
 * L1 penalty sinks the pixels the attack does not use to about 0.001 each, far below a tenth of the
 * mass per patch. A concentrated inverted mask puts almost all its mass in the trigger's patch,
 * which alone is labelled; a faint, scattered one (as from a weakly trained victim), which {@code
 * pixelsAbove(0.5, 1)} may not label at all, still gets its few strongest patches labelled. When no
 * column reaches the share, {@link TriggerLabelling} falls back to the single strongest column and
 * logs it. Labels from an inverted mask are only as good as the inversion; with a known trigger use
 * {@link Trigger#of} and the labels are exact.
 */
public sealed interface OverlapRule permits OverlapRule.PixelsAbove, OverlapRule.MeanAtLeast, OverlapRule.MassShareAtLeast {

    /** @return the default rule, {@code massShareAtLeast(0.1)} */
    static OverlapRule defaultRule() {
        return new MassShareAtLeast(0.1);
    }

    /**
     * @param threshold a pixel counts when {@code M ≥ threshold}, in {@code (0, 1]}
     * @param minPixels how many counted pixels make the column anomalous, at least 1
     * @return the rule
     */
    static OverlapRule pixelsAbove(double threshold, int minPixels) {
        return new PixelsAbove(threshold, minPixels);
    }

    /**
     * @param fraction the least mean of {@code M} over the token's region, in {@code (0, 1]}
     * @return the rule
     */
    static OverlapRule meanAtLeast(double fraction) {
        return new MeanAtLeast(fraction);
    }

    /**
     * @param share the least share of {@code ‖M‖₁} inside the token's region, in {@code (0, 1]}
     * @return the rule
     */
    static OverlapRule massShareAtLeast(double share) {
        return new MassShareAtLeast(share);
    }

    /**
     * @param mask {@code H × W} mask values, row-major
     * @param width W
     * @param region {@code {row0, col0, row1, col1}} of the token, ends exclusive
     * @param totalMass {@code ‖M‖₁} over the whole image
     * @return whether the token's column is anomalous
     */
    boolean anomalous(float[] mask, int width, int[] region, double totalMass);

    /** At least {@code minPixels} pixels of the region with {@code M ≥ threshold}. */
    record PixelsAbove(double threshold, int minPixels) implements OverlapRule {
        /** Validates. */
        public PixelsAbove {
            if (!(threshold > 0 && threshold <= 1) || minPixels < 1) {
                throw new IllegalArgumentException("pixelsAbove needs a threshold in (0, 1] and at least 1 pixel, got "
                        + threshold + ", " + minPixels);
            }
        }

        @Override
        public boolean anomalous(float[] mask, int width, int[] region, double totalMass) {
            int count = 0;
            for (int r = region[0]; r < region[2]; r++) {
                for (int c = region[1]; c < region[3]; c++) {
                    if (mask[r * width + c] >= threshold && ++count >= minPixels) {
                        return true;
                    }
                }
            }
            return false;
        }

        @Override
        public String toString() {
            return "pixelsAbove(threshold=" + threshold + ", minPixels=" + minPixels + ")";
        }
    }

    /** Mean of {@code M} over the region at least {@code fraction}. */
    record MeanAtLeast(double fraction) implements OverlapRule {
        /** Validates. */
        public MeanAtLeast {
            if (!(fraction > 0 && fraction <= 1)) {
                throw new IllegalArgumentException("meanAtLeast needs a fraction in (0, 1], got " + fraction);
            }
        }

        @Override
        public boolean anomalous(float[] mask, int width, int[] region, double totalMass) {
            double area = (double) (region[2] - region[0]) * (region[3] - region[1]);
            return regionMass(mask, width, region) >= fraction * area;
        }

        @Override
        public String toString() {
            return "meanAtLeast(fraction=" + fraction + ")";
        }
    }

    /** At least a share {@code share} of {@code ‖M‖₁} inside the region. */
    record MassShareAtLeast(double share) implements OverlapRule {
        /** Validates. */
        public MassShareAtLeast {
            if (!(share > 0 && share <= 1)) {
                throw new IllegalArgumentException("massShareAtLeast needs a share in (0, 1], got " + share);
            }
        }

        @Override
        public boolean anomalous(float[] mask, int width, int[] region, double totalMass) {
            return totalMass > 0 && regionMass(mask, width, region) >= share * totalMass;
        }

        @Override
        public String toString() {
            return "massShareAtLeast(share=" + share + ")";
        }
    }

    /**
     * @param mask {@code H × W} values
     * @param width W
     * @param region {@code {row0, col0, row1, col1}}
     * @return the sum of the mask over the region
     */
    static double regionMass(float[] mask, int width, int[] region) {
        double s = 0;
        for (int r = region[0]; r < region[2]; r++) {
            for (int c = region[1]; c < region[3]; c++) {
                s += mask[r * width + c];
            }
        }
        return s;
    }
}
