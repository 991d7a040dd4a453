package org.atpatch.djl;

/**
 * How strictly a patch bundle must match the model it is applied to.
 *
 * <p>A bundle's detector and Q describe the attention of the weights it was trained on; with other
 * weights the same detector flags arbitrary inputs (measured: a bundle applied to another training of
 * the same architecture re-ran most clean inputs). Bundles therefore record both the architecture
 * fingerprint and a SHA-256 of the weights ({@link ModelFingerprint}), and are refused on a model whose
 * weights differ unless the caller says, with {@link #ARCHITECTURE_ONLY}, that it reuses one knowingly.
 */
public enum BundleBinding {
    /** The default: same architecture and bitwise the same weights. */
    SAME_WEIGHTS,
    /**
     * Same architecture, any weights: for a user who knowingly reuses a bundle (for example on a
     * copy of the victim fine-tuned so lightly that its attention is unchanged), and takes on checking
     * that it still detects.
     */
    ARCHITECTURE_ONLY
}
