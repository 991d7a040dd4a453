package org.atpatch.examples.attack;

import java.util.Random;
import java.util.stream.IntStream;
import org.atpatch.djl.LabelledData;

/**
 * A backdoor attack on classifiers (images; tokenised text for {@link BadNlWordTrigger}): a trigger
 * that can be stamped on inputs, a target class, and the data poisoning that teaches a victim to
 * map triggered inputs to the target. The attack success rate is measured on {@code
 * applyTrigger(nonTarget(test))}: triggered test inputs whose true label is not the target.
 */
public interface Attack {

    /** @return the attack's short name, e.g. {@code BadNets} */
    String name();

    /** @return the class triggered inputs are meant to be classified as */
    int target();

    /**
     * Stamps the trigger on every sample.
     *
     * @param clean clean images {@code (C, H, W)}, values in {@code [0, 1]}
     * @return triggered copies, same order, labels kept
     */
    LabelledData applyTrigger(LabelledData clean);

    /**
     * A stable string naming the attack and every parameter that shapes its triggered inputs, for
     * the victim cache's configuration hash.
     *
     * @return the fingerprint
     */
    String fingerprint();

    /**
     * Poisons a training set: of the {@code m} samples whose label is not the target, exactly
     * {@code Math.round(rate · m)}, drawn by a {@link Random} seeded with {@code seed}, are replaced
     * by their triggered copies and relabelled to the target; every other sample is left bitwise
     * untouched. Same size and order as {@code train}.
     *
     * @param train clean training data
     * @param rate the fraction of non-target samples to poison, in {@code (0, 1)}
     * @param seed the seed of the draw
     * @return the poisoned training set
     */
    default LabelledData poison(LabelledData train, double rate, long seed) {
        int[] chosen = SeededDraws.poisoned(train.labels(), target(), rate, seed);
        LabelledData triggered = applyTrigger(train.subset(chosen));
        float[] x = train.inputs().clone();
        int[] y = train.labels().clone();
        int per = train.sampleSize();
        for (int k = 0; k < chosen.length; k++) {
            System.arraycopy(triggered.inputs(), k * per, x, chosen[k] * per, per);
            y[chosen[k]] = target();
        }
        return new LabelledData(x, y, train.sampleShape());
    }

    /**
     * The samples whose true label is not the target, for measuring attack success.
     *
     * @param data test data
     * @return those samples, in order
     */
    default LabelledData nonTarget(LabelledData data) {
        return data.subset(IntStream.range(0, data.size()).filter(i -> data.labels()[i] != target()).toArray());
    }

    /**
     * Draws an attack's target class at random, as the paper does, reproducibly: {@code new
     * Random(seed ^ TARGET_STREAM).nextInt(classes)}. {@link Random}'s generator is fixed by its
     * specification, so a seed names the same target on every JVM; the constant keeps the draw
     * independent of other draws seeded with the same number (such as {@link #poison}'s).
     *
     * @param seed the experiment seed
     * @param classes the number of classes, at least 2
     * @return a class in {@code [0, classes)}
     */
    static int drawTarget(long seed, int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("a target needs at least 2 classes to draw from, got " + classes);
        }
        return new Random(seed ^ SeededDraws.TARGET_STREAM).nextInt(classes);
    }

    /**
     * Checks a target class.
     *
     * @param target the target
     * @return the target
     * @throws IllegalArgumentException when it is negative
     */
    static int requireTarget(int target) {
        if (target < 0) {
            throw new IllegalArgumentException("target class must be >= 0, got " + target);
        }
        return target;
    }
}
