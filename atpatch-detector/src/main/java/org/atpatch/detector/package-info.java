/**
 * The detector of AtPatch (§3.3 of the paper): a small network that reads a head-averaged attention
 * map (Eq. 5), turns it into per-column features (statistics of each column by default, or the paper's
 * CNN; {@link org.atpatch.detector.DetectorArchitecture.Kind}), and gives each token column,
 * through a per-column MLP, a probability of being over-attended (Eq. 6),
 * trained offline on the debugging set's paired clean/anomalous maps with BCE plus a supervised
 * contrastive term (Eq. 7), and thresholded online at τ (Eq. 9).
 *
 * <ul>
 *   <li>{@link org.atpatch.detector.ColumnDetector}: what the patched model calls, per layer or for all
 *       layers at once;
 *   <li>{@link org.atpatch.detector.DetectorTrainingData}: the maps, labels and pairs, built from
 *       core's {@code AttentionTrace}s and {@code ColumnLabels};
 *   <li>{@link org.atpatch.detector.DetectorConfig} and {@link org.atpatch.detector.DetectorTrainer}:
 *       training (AdamW, the paper's defaults);
 *   <li>{@link org.atpatch.detector.AttentionDetector}: the trained detector with its τ and
 *       provenance, saved to and loaded from one file;
 *   <li>{@link org.atpatch.detector.TauSelection} and {@link org.atpatch.detector.DetectorEvaluation}:
 *       choosing τ and the RQ2 metrics;
 *   <li>{@link org.atpatch.detector.DetectorLoss} and {@link org.atpatch.detector.ContrastiveLoss}: Eq.
 *       7 and its InfoNCE contrastive term.
 * </ul>
 */
package org.atpatch.detector;
