package org.atpatch.detector;

/** The detector contract with column statistics read straight from the map. */
class ColumnStatisticsDetectorTest extends AttentionDetectorTest {

    @Override
    DetectorArchitecture.Kind kind() {
        return DetectorArchitecture.Kind.COLUMN_STATISTICS;
    }

    /** Its nine features per column start further from a separating direction than the CNN's 18. */
    @Override
    int epochs() {
        return 10;
    }
}
