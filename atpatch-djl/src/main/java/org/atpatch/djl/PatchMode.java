package org.atpatch.djl;

/** When the patch is applied during a forward. */
public enum PatchMode {
    /**
     * Algorithm 1: pass 1 runs the unpatched model with the detector on every layer; samples with no
     * flag return pass 1's output; flagged samples are re-run from the embedding with the patch rule
     * applied from layer 0 on the union of their flagged columns. The default, because a trigger
     * spreads into every token at the first layer while over-attention shows most in later ones, so a
     * patch that first fires at a later layer comes too late (docs/architecture.md, "Design
     * decisions": two-pass re-run).
     */
    TWO_PASS,
    /** One pass: each layer's flags (united with earlier layers') are patched from that layer on. */
    STREAMING
}
