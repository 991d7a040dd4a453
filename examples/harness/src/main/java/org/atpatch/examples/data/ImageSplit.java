package org.atpatch.examples.data;

/** The official training or test part of an image benchmark. */
public enum ImageSplit {
    /** The official training images (for CIFAR-10, whichever training batches are present). */
    TRAIN,
    /** The official test images. */
    TEST
}
