package org.atpatch.examples.scenario;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.atpatch.detector.DjlOffline;
import org.junit.jupiter.api.Test;

class OracleColumnDetectorTest {

    @Test
    void flagsExactlyTheGivenColumnsOnEveryMap() {
        DjlOffline.configure();
        OracleColumnDetector oracle = new OracleColumnDetector(5, new int[] {1, 4});
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray maps = m.randomUniform(0f, 1f, new Shape(3, 5, 5), DataType.FLOAT32);
            NDArray p = oracle.detect(maps, 2);
            assertEquals(new Shape(3, 5), p.getShape());
            float[] v = p.toFloatArray();
            for (int b = 0; b < 3; b++) {
                float[] row = java.util.Arrays.copyOfRange(v, 5 * b, 5 * b + 5);
                assertArrayEquals(new float[] {0, 1, 0, 0, 1}, row, "sample " + b);
            }
            assertEquals(5, oracle.tokens());
            assertThrows(IllegalArgumentException.class, () -> oracle.detect(m.zeros(new Shape(3, 6, 6)), 0));
        }
    }

    @Test
    void rejectsColumnsOutsideTheMap() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new OracleColumnDetector(5, new int[] {5}));
        assertTrue(e.getMessage().contains("column 5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new OracleColumnDetector(5, new int[0]));
    }
}
