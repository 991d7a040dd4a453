package org.atpatch.djl.debugset;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optimisation state of one candidate target class: raw mask and pattern (before the sigmoid and
 * tanh), their Adam moments, the L1 weight λ and the Neural-Cleanse schedule counters, and the best
 * trigger so far.
 */
final class ClassSearch {

    private static final Logger LOG = LoggerFactory.getLogger(ClassSearch.class);

    final int target;
    final float[] maskRaw;
    final float[] patternRaw;
    private final HostAdam maskAdam;
    private final HostAdam patternAdam;
    private final TriggerInversion config;
    private final Shape sampleShape;

    double cost;
    private int upCounter;
    private int downCounter;
    private boolean upFlag;
    private boolean downFlag;
    private final List<Double> bestHistory = new ArrayList<>();
    private double bestL1 = Double.POSITIVE_INFINITY;
    private float[] bestMaskRaw;
    private float[] bestPatternRaw;
    boolean done;
    int steps;
    int rounds;

    private double roundSuccess;
    private int roundSuccessCount;
    private double roundL1;
    private int roundBatches;

    ClassSearch(int target, Shape sampleShape, TriggerInversion config, long seed) {
        this.target = target;
        this.config = config;
        this.sampleShape = sampleShape;
        int plane = (int) (sampleShape.get(1) * sampleShape.get(2));
        int size = (int) sampleShape.size();
        Random r = new Random(seed);
        maskRaw = new float[plane];
        double start = Math.log(config.initialMask / (1 - config.initialMask)); // sigmoid⁻¹
        patternRaw = new float[size];
        for (int i = 0; i < plane; i++) {
            maskRaw[i] = (float) (start + config.initNoise * r.nextGaussian());
        }
        for (int i = 0; i < size; i++) {
            patternRaw[i] = (float) (config.initNoise * r.nextGaussian());
        }
        double lr = config.learningRate;
        maskAdam = new HostAdam(plane, lr, config.beta1, config.beta2, 1e-8);
        patternAdam = new HostAdam(size, lr, config.beta1, config.beta2, 1e-8);
        cost = config.initialCost;
    }

    /**
     * Applies one step's gradients and records the step's statistics.
     *
     * @param maskGrad gradients of all active classes' raw masks, side by side
     * @param patternGrad same for the raw patterns
     * @param slot this class's position among the active ones
     * @param success fraction of the batch's other-class inputs sent to the target, or NaN if none
     * @param l1 {@code ‖M‖₁} during the step
     */
    void update(float[] maskGrad, float[] patternGrad, int slot, double success, double l1) {
        maskAdam.step(maskRaw, maskGrad, slot * maskRaw.length);
        patternAdam.step(patternRaw, patternGrad, slot * patternRaw.length);
        steps++;
        if (!Double.isNaN(success)) {
            roundSuccess += success;
            roundSuccessCount++;
        }
        roundL1 += l1;
        roundBatches++;
    }

    /** Ends a round: keeps the best trigger, checks early stopping, adjusts λ (Neural Cleanse). */
    void endRound() {
        rounds++;
        double success = roundSuccessCount == 0 ? 0 : roundSuccess / roundSuccessCount;
        double l1 = roundL1 / Math.max(1, roundBatches);
        roundSuccess = 0;
        roundSuccessCount = 0;
        roundL1 = 0;
        roundBatches = 0;
        boolean succeeded = success >= config.successThreshold;
        if (LOG.isDebugEnabled()) {
            LOG.debug(String.format(Locale.ROOT, "class %d round %d: attack success %.3f, mask L1 %.2f, λ %.2e, best L1 %.2f",
                    target, rounds, success, l1, cost, bestL1));
        }
        if (succeeded && l1 < bestL1) {
            bestL1 = l1;
            bestMaskRaw = maskRaw.clone();
            bestPatternRaw = patternRaw.clone();
        }
        // Early stop: a valid trigger exists, λ has been raised at least once (and, in Neural Cleanse's
        // strict form, lowered too), and the best norm improved by less than 1 % over the last
        // earlyStopPatience rounds.
        bestHistory.add(bestL1);
        boolean balanced = upFlag && (downFlag || !config.earlyStopNeedsCostSwing);
        int window = config.earlyStopPatience;
        if (balanced && bestHistory.size() > window
                && bestL1 >= config.earlyStopImprovement * bestHistory.get(bestHistory.size() - 1 - window)) {
            done = true;
            return;
        }
        if (succeeded) {
            upCounter++;
            downCounter = 0;
        } else {
            upCounter = 0;
            downCounter++;
        }
        if (upCounter >= config.patience) {
            upCounter = 0;
            cost *= config.costUp;
            upFlag = true;
        } else if (downCounter >= config.patience) {
            downCounter = 0;
            cost /= config.costDown;
            // Lowering λ before any success is the search warming up, not a sign of balance.
            downFlag |= bestL1 < Double.POSITIVE_INFINITY;
        }
    }

    /** @return whether some round reached the success threshold */
    boolean reachedThreshold() {
        return bestMaskRaw != null;
    }

    /** @return the best trigger so far, or the current one if none reached the threshold */
    Trigger trigger() {
        float[] mr = bestMaskRaw != null ? bestMaskRaw : maskRaw;
        float[] pr = bestPatternRaw != null ? bestPatternRaw : patternRaw;
        float[] mask = new float[mr.length];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = (float) (1 / (1 + Math.exp(-mr[i]))) * (config.maskSupport == null ? 1f : config.maskSupport[i]);
        }
        float[] pattern = new float[pr.length];
        double lo = config.patternLow;
        double span = config.patternHigh - config.patternLow;
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (float) (lo + span * 0.5 * (Math.tanh(pr[i]) + 1));
        }
        return new Trigger(target, mask, pattern, sampleShape);
    }
}
