package org.atpatch.djl.debugset;

import org.atpatch.core.ImageTokenLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Labels the anomalous token columns of a triggered input from the trigger's mask, through the
 * model's token layout and an {@link OverlapRule}. Special columns (CLS) are never labelled. The
 * labels depend on the mask only, so every pair built from one trigger shares them.
 */
public final class TriggerLabelling {

    private static final Logger LOG = LoggerFactory.getLogger(TriggerLabelling.class);

    private TriggerLabelling() {}

    /**
     * The columns the rule marks anomalous; may be all false.
     *
     * @param mask {@code H × W} mask values
     * @param layout the model's token layout; its image size must be {@code H × W}
     * @param rule the overlap rule
     * @return {@code [layout.size()]}, true for anomalous columns
     */
    public static boolean[] columns(float[] mask, ImageTokenLayout layout, OverlapRule rule) {
        check(mask, layout, rule);
        double total = 0;
        for (float v : mask) {
            total += v;
        }
        boolean[] out = new boolean[layout.size()];
        for (int j = 0; j < out.length; j++) {
            if (!layout.isSpecial(j)) {
                out[j] = rule.anomalous(mask, layout.width(), layout.region(j), total);
            }
        }
        return out;
    }

    /**
     * The columns the rule marks, or, when it marks none, the single non-special column whose region
     * holds the most mask mass (logged at WARN): a debugging pair needs at least one anomalous column.
     *
     * @param mask {@code H × W} mask values
     * @param layout the model's token layout
     * @param rule the overlap rule
     * @return {@code [layout.size()]}, at least one true
     */
    public static boolean[] columnsOrStrongest(float[] mask, ImageTokenLayout layout, OverlapRule rule) {
        boolean[] out = columns(mask, layout, rule);
        for (boolean b : out) {
            if (b) {
                return out;
            }
        }
        int best = strongestColumn(mask, layout);
        LOG.warn("overlap rule {} labels no column of this mask; labelling the strongest column {} ({}) instead",
                rule, best, layout.describe(best));
        out[best] = true;
        return out;
    }

    /**
     * @param mask {@code H × W} mask values
     * @param layout the token layout
     * @return the non-special column whose region holds the most mask mass
     */
    public static int strongestColumn(float[] mask, ImageTokenLayout layout) {
        check(mask, layout, OverlapRule.defaultRule());
        int best = -1;
        double bestMass = -1;
        for (int j = 0; j < layout.size(); j++) {
            if (!layout.isSpecial(j)) {
                double m = OverlapRule.regionMass(mask, layout.width(), layout.region(j));
                if (m > bestMass) {
                    bestMass = m;
                    best = j;
                }
            }
        }
        return best;
    }

    private static void check(float[] mask, ImageTokenLayout layout, OverlapRule rule) {
        if (mask == null || layout == null || rule == null) {
            throw new IllegalArgumentException("mask, layout and rule are required");
        }
        if (mask.length != layout.height() * layout.width()) {
            throw new IllegalArgumentException("mask has " + mask.length + " values, the token layout covers "
                    + layout.height() + "x" + layout.width() + " pixels");
        }
    }
}
