package org.atpatch.examples.baseline;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.debugset.FairnessFlips;
import org.atpatch.djl.debugset.Trigger;

/**
 * The defect a repair is told about, and how its rate is measured on predictions: a backdoor's
 * stamped inputs (share sent to the target, the attack success rate) or a protected attribute's flips
 * (share of samples whose prediction changes under a flip, the unfairness rate).
 */
public sealed interface Defect permits Defect.Backdoor, Defect.Unfairness {

    /**
     * The inputs whose predictions measure the defect on the given clean data.
     *
     * @param clean the clean inputs the repair may use
     * @return the probe
     */
    Probe probe(LabelledData clean);

    /**
     * Inputs to predict and the defect rate of their predictions.
     *
     * @param inputs the inputs
     * @param rate the defect rate of a prediction per input, in {@code [0, 1]}
     * @param targets for a backdoor, the class each input's trigger targets; null for unfairness
     */
    record Probe(LabelledData inputs, java.util.function.ToDoubleFunction<int[]> rate, int[] targets) {}

    /**
     * A backdoor as the defender knows it: inputs stamped with the inverted trigger, each labelled with
     * the class that trigger sends inputs to. The real trigger is never given.
     *
     * @param stamped stamped inputs labelled with their trigger's target; at least one
     */
    record Backdoor(LabelledData stamped) implements Defect {

        /** Checks the inputs. */
        public Backdoor {
            Objects.requireNonNull(stamped, "stamped");
            if (stamped.size() == 0) {
                throw new IllegalArgumentException("a backdoor defect needs stamped inputs, got none");
            }
        }

        /**
         * Stamps each trigger on the clean inputs not of its target.
         *
         * @param triggers the inverted triggers; at least one
         * @param clean clean inputs of the triggers' shape
         * @return the defect
         * @throws IllegalArgumentException when there is no trigger or nothing to stamp
         */
        public static Backdoor of(List<Trigger> triggers, LabelledData clean) {
            if (triggers.isEmpty()) {
                throw new IllegalArgumentException("a backdoor defect needs at least one inverted trigger");
            }
            List<float[]> x = new ArrayList<>();
            List<Integer> y = new ArrayList<>();
            for (Trigger t : triggers) {
                for (int i = 0; i < clean.size(); i++) {
                    if (clean.labels()[i] != t.target()) {
                        x.add(t.apply(clean.sample(i)));
                        y.add(t.target());
                    }
                }
            }
            LabelledData u = LabelledData.unlabelled(x, clean.sampleShape());
            return new Backdoor(new LabelledData(u.inputs(), y.stream().mapToInt(Integer::intValue).toArray(),
                    clean.sampleShape()));
        }

        /** The stamped inputs; the rate is the share predicted as their target. */
        @Override
        public Probe probe(LabelledData clean) {
            int[] target = stamped.labels();
            return new Probe(stamped, p -> org.atpatch.core.Metrics.accuracy(p, target), target);
        }
    }

    /**
     * Unfairness with respect to protected attributes.
     *
     * @param flips the attributes' flips (one at a time or joint)
     */
    record Unfairness(FairnessFlips flips) implements Defect {

        /** Checks the field. */
        public Unfairness {
            Objects.requireNonNull(flips, "flips");
        }

        /**
         * The clean samples followed by all their flips; the rate is the share of samples with a flip
         * predicted differently from the sample (as {@link FairnessFlips#unfairness}).
         */
        @Override
        public Probe probe(LabelledData clean) {
            List<float[]> x = new ArrayList<>();
            int n = clean.size();
            int[] firstFlip = new int[n + 1];
            List<float[]> flipped = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                float[] s = clean.sample(i);
                x.add(s);
                firstFlip[i] = flipped.size();
                flips.flipsOf(s).forEach(f -> flipped.add(f.input()));
            }
            firstFlip[n] = flipped.size();
            x.addAll(flipped);
            return new Probe(LabelledData.unlabelled(x, clean.sampleShape()), p -> {
                int divergent = 0;
                for (int i = 0; i < n; i++) {
                    for (int j = firstFlip[i]; j < firstFlip[i + 1]; j++) {
                        if (p[n + j] != p[i]) {
                            divergent++;
                            break;
                        }
                    }
                }
                return divergent / (double) n;
            }, null);
        }
    }
}
