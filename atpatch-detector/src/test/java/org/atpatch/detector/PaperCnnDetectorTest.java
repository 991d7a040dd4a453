package org.atpatch.detector;

/** The detector contract with the paper's convolution over the map. */
class PaperCnnDetectorTest extends AttentionDetectorTest {

    @Override
    DetectorArchitecture.Kind kind() {
        return DetectorArchitecture.Kind.PAPER_CNN;
    }
}
