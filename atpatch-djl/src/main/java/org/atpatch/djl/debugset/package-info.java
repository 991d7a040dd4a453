/**
 * The backdoor debugging set of Section 3.2.1: trigger inversion (Eq. 3, Neural-Cleanse style) on a
 * frozen victim, the MAD outlier test that names suspected target classes, the labelling of
 * anomalous token columns from a trigger mask, and the builder that turns clean data plus triggers
 * (inverted, or known and given with {@link org.atpatch.djl.debugset.Trigger#of}) into a
 * {@link org.atpatch.djl.DebuggingSet}. The fairness debugging set of Section 3.2.2 lives here too.
 *
 * <p>For text ({@link org.atpatch.djl.model.BertStyleEncoder}), triggers are tokens:
 * {@link org.atpatch.djl.debugset.TokenTriggerSearch} finds word-level triggers without knowing them
 * (a search over candidate tokens, their flip rates and the MAD test), and
 * {@link org.atpatch.djl.debugset.TextDebuggingSetBuilder} builds the pairs from searched or known
 * triggers, labelling the inserted tokens' columns ({@link org.atpatch.djl.debugset.TokenInsertion}).
 *
 * <p>Typical use:
 *
 * <pre>{@code
 * InversionReport report = TriggerInversion.builder().build().invert(model, cleanData);
 * report.writeTo(Path.of("inversion"));                     // per-class L1, anomaly index, PNGs
 * DebuggingSet set = BackdoorDebuggingSetBuilder.of(model, cleanData)
 *         .addTriggers(report)                               // flagged classes (or the policy's choice)
 *         .build();
 * }</pre>
 */
package org.atpatch.djl.debugset;
