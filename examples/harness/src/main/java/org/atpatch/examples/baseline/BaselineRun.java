package org.atpatch.examples.baseline;

import java.util.Map;

/**
 * One baseline's measured outcome on one configuration.
 *
 * @param method the repair's name
 * @param acc clean accuracy of the repaired model on the evaluation data
 * @param defect its ASR (backdoor) or unfairness rate (fairness) on the evaluation data
 * @param seconds the repair's wall time
 * @param settings what it used and chose ({@link Repaired#settings()})
 */
public record BaselineRun(String method, double acc, double defect, double seconds, Map<String, String> settings) {}
