package org.atpatch.djl;

import org.atpatch.core.AnomalySet;

/**
 * What the patched model did to one sample.
 *
 * @param flags the columns flagged per layer, with their probabilities (empty when clean)
 * @param patched whether the sample's output came from a patched forward (a re-run in two-pass
 *     mode); false means it equals the unpatched model's output bit for bit
 */
public record PatchReport(AnomalySet flags, boolean patched) {}
