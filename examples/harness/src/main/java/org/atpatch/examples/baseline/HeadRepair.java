package org.atpatch.examples.baseline;

import ai.djl.Model;
import org.atpatch.core.Metrics;
import org.atpatch.djl.LabelledData;

/**
 * The start every neuron-level repair shares: a copy of the victim, its head, and the head's input
 * units on the clean data and on the defect's probe, ready to score edits on the host. Closing it
 * closes the copy unless {@link #release} handed it out.
 */
final class HeadRepair implements AutoCloseable {

    static final int BATCH = 256;

    private Model copy;
    private final HeadLayer head;
    private final LabelledData clean;
    private final HeadScorer cleanScorer;
    private final HeadScorer probeScorer;
    private final Defect.Probe probe;
    private final int[] targets;

    private HeadRepair(Model copy, HeadLayer head, LabelledData clean, Defect.Probe probe) {
        this.copy = copy;
        this.head = head;
        this.clean = clean;
        this.probe = probe;
        this.targets = probe.targets();
        this.cleanScorer = new HeadScorer(head.features(clean, BATCH), head.weight(), head.bias());
        this.probeScorer = new HeadScorer(head.features(probe.inputs(), BATCH), head.weight(), head.bias());
    }

    /**
     * @param in the repair's input
     * @param name the copy's model name
     * @param maxClean most clean samples read (the first ones)
     * @return the prepared copy
     */
    static HeadRepair prepare(RepairInput in, String name, int maxClean) {
        if (maxClean <= 0) {
            throw new IllegalArgumentException("the clean sample budget must be positive, got " + maxClean);
        }
        LabelledData clean = in.clean().range(0, Math.min(maxClean, in.clean().size()));
        Model copy = ModelCopy.of(in.victim(), in.architecture(), clean.sampleShape(), name);
        try {
            return new HeadRepair(copy, HeadLayer.of(copy), clean, in.defect().probe(clean));
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
    }

    /** @return the copy (still owned by this until {@link #release}) */
    Model model() {
        return copy;
    }

    /** @return the head of the copy */
    HeadLayer head() {
        return head;
    }

    /** @return the clean samples read */
    LabelledData clean() {
        return clean;
    }

    /** @return the units on the clean samples */
    HeadScorer cleanScorer() {
        return cleanScorer;
    }

    /** @return the units on the defect's probe */
    HeadScorer probeScorer() {
        return probeScorer;
    }

    /**
     * @param edit an edit
     * @return clean accuracy under it
     */
    double accuracy(UnitEdit edit) {
        return Metrics.accuracy(cleanScorer.predict(edit), clean.labels());
    }

    /**
     * @param edit an edit
     * @return the defect rate (ASR or unfairness) on the probe under it
     */
    double defectRate(UnitEdit edit) {
        return probe.rate().applyAsDouble(probeScorer.predict(edit));
    }

    /** @return the class each probe input's trigger targets (backdoor), or null (fairness) */
    int[] targets() {
        return targets;
    }

    /** @return the copy, now the caller's to close */
    Model release() {
        Model m = copy;
        copy = null;
        return m;
    }

    @Override
    public void close() {
        if (copy != null) {
            copy.close();
        }
    }
}
