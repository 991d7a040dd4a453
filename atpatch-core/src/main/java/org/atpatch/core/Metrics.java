package org.atpatch.core;

import java.util.Objects;

/**
 * Repair metrics of the paper's RQ1: clean accuracy (Acc), attack success rate (ASR) and unfairness
 * rate (UF).
 *
 * <p>Every method returns a fraction in {@code [0, 1]} (not a percentage) and throws
 * {@link IllegalArgumentException} with a message naming the problem when its input is empty or its
 * arrays disagree in length; {@code null} arrays give a {@link NullPointerException}.
 */
public final class Metrics {

    private Metrics() {}

    /**
     * Clean accuracy: the fraction of positions where the prediction equals the true label.
     *
     * @param predicted predicted labels, one per input
     * @param truth true labels, same length as {@code predicted}
     * @return correct predictions divided by the number of inputs
     * @throws IllegalArgumentException if the arrays are empty or differ in length
     */
    public static double accuracy(int[] predicted, int[] truth) {
        requireSameNonEmpty("predicted", predicted, "truth", truth);
        long correct = 0;
        for (int i = 0; i < predicted.length; i++) {
            if (predicted[i] == truth[i]) {
                correct++;
            }
        }
        return (double) correct / predicted.length;
    }

    /**
     * Attack success rate of a backdoor: among the triggered inputs whose <em>true</em> label is not the
     * attack target, the fraction the model classifies as the target. Inputs whose true label already is
     * the target are excluded, since classifying them as the target is no evidence of the attack.
     *
     * @param predictedOnTriggered predictions on the triggered inputs
     * @param trueLabels the true (pre-trigger) labels of those inputs, same length
     * @param target the backdoor's target label
     * @return hits on the target divided by the number of inputs whose true label is not the target
     * @throws IllegalArgumentException if the arrays are empty, differ in length, or every input's true
     *     label is the target (the rate would be undefined)
     */
    public static double attackSuccessRate(int[] predictedOnTriggered, int[] trueLabels, int target) {
        requireSameNonEmpty("predictedOnTriggered", predictedOnTriggered, "trueLabels", trueLabels);
        long eligible = 0;
        long hits = 0;
        for (int i = 0; i < predictedOnTriggered.length; i++) {
            if (trueLabels[i] != target) {
                eligible++;
                if (predictedOnTriggered[i] == target) {
                    hits++;
                }
            }
        }
        if (eligible == 0) {
            throw new IllegalArgumentException("ASR is undefined: all " + trueLabels.length
                    + " triggered inputs have the target label " + target
                    + " as their true label (no input with a non-target true label)");
        }
        return (double) hits / eligible;
    }

    /**
     * Unfairness rate: the fraction of instances whose prediction changes under at least one flip of the
     * protected attribute(s).
     *
     * @param original the prediction of each instance as given
     * @param flipped {@code flipped[i]} holds the predictions of instance {@code i} under every
     *     protected-attribute flip; it may have length 0 (no flip, so the instance counts as fair)
     * @return instances with any flipped prediction different from {@code original[i]}, divided by the
     *     number of instances
     * @throws IllegalArgumentException if {@code original} is empty, the arrays differ in length, or some
     *     {@code flipped[i]} is {@code null}
     */
    public static double unfairnessRate(int[] original, int[][] flipped) {
        Objects.requireNonNull(original, "original");
        Objects.requireNonNull(flipped, "flipped");
        if (original.length == 0) {
            throw new IllegalArgumentException("original is empty: need at least one instance");
        }
        if (original.length != flipped.length) {
            throw new IllegalArgumentException("length mismatch: original has " + original.length
                    + " instances but flipped has " + flipped.length);
        }
        long unfair = 0;
        for (int i = 0; i < original.length; i++) {
            int[] f = flipped[i];
            if (f == null) {
                throw new IllegalArgumentException(
                        "flipped[" + i + "] is null (use an empty array for an instance with no flip)");
            }
            for (int p : f) {
                if (p != original[i]) {
                    unfair++;
                    break;
                }
            }
        }
        return (double) unfair / original.length;
    }

    private static void requireSameNonEmpty(String nameA, int[] a, String nameB, int[] b) {
        Objects.requireNonNull(a, nameA);
        Objects.requireNonNull(b, nameB);
        if (a.length != b.length) {
            throw new IllegalArgumentException("length mismatch: " + nameA + " has " + a.length
                    + " elements but " + nameB + " has " + b.length);
        }
        if (a.length == 0) {
            throw new IllegalArgumentException(nameA + " and " + nameB + " are empty: need at least one input");
        }
    }
}
