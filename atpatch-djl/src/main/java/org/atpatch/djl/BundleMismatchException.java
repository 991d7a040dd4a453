package org.atpatch.djl;

/**
 * A patch bundle applied to a model it was not made for: another architecture, or (under {@link
 * BundleBinding#SAME_WEIGHTS}) the same architecture with other weights. The message names both
 * fingerprints and what to do.
 */
public final class BundleMismatchException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** @param message what differs and what to do */
    public BundleMismatchException(String message) {
        super(message);
    }
}
