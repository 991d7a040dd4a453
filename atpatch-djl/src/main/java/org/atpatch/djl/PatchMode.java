package org.atpatch.djl;

/** When the patch is applied during a forward. */
public enum PatchMode {
    /**
     * Algorithm 1 and DESIGN §3: pass 1 runs the unpatched model with the detector on every layer;
     * samples with no flag return pass 1's output; flagged samples are re-run from the embedding
     * with the patch rule applied from layer 0 on the union of their flagged columns. The default:
     * on the reference model a patch that first fired at layer 1 or later came too late.
     */
    TWO_PASS,
    /** One pass: each layer's flags (united with earlier layers') are patched from that layer on. */
    STREAMING
}
