package org.atpatch.examples.baseline;

/**
 * A repair method: builds a repaired copy of a victim from the data the method may use. The victim
 * and the input's data are never changed. Implementations are stateless apart from their settings
 * and may be reused; one call is not thread-safe against another on the same victim (both read its
 * parameters while copying them).
 */
public interface Repair {

    /** @return the method's name as the result tables print it, e.g. {@code Fine-Pruning} */
    String name();

    /**
     * Repairs a copy of the victim.
     *
     * @param input the victim, its architecture, clean data and defect
     * @return the repaired copy (the caller closes it), its wall time and settings
     * @throws IllegalArgumentException when the input does not suit the method (e.g. a fairness-only
     *     method given a backdoor)
     */
    Repaired repair(RepairInput input);
}
