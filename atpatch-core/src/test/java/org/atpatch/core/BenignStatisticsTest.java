package org.atpatch.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class BenignStatisticsTest {

    @TempDir
    Path dir;

    @Test
    void streamingMeanEqualsMeanOfAllAndMergeIsExact() {
        INDArray all = RandomMaps.softmaxMaps(1, 1.0, 10, 2, 4, 4);
        LayerwiseMean whole = new LayerwiseMean("Q", 1, 2, 4, 4);
        whole.add(0, all);
        LayerwiseMean a = new LayerwiseMean("Q", 1, 2, 4, 4);
        LayerwiseMean b = new LayerwiseMean("Q", 1, 2, 4, 4);
        a.add(0, all.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 3)));
        b.add(0, all.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(3, 10)));
        a.merge(b);
        assertEquals(10, a.count(0));
        float[] expected = all.mean(0).data().asFloat();
        assertArrayEquals(expected, whole.mean(0).dup().data().asFloat(), 1e-6f);
        assertArrayEquals(expected, a.mean(0).dup().data().asFloat(), 1e-6f);
    }

    @Test
    void saveLoadRoundTripAndDamageIsDetected() throws IOException {
        BenignStatistics s = BenignStatistics.empty(2, 2, 4, 3);
        for (int l = 0; l < 2; l++) {
            s.attention().add(l, RandomMaps.softmaxMaps(l, 1.0, 5, 2, 4, 4));
            s.tokenStates().orElseThrow().add(l, RandomMaps.softmaxMaps(l + 7, 1.0, 5, 4, 3));
        }
        Path f = dir.resolve("benign.bin");
        s.save(f);
        BenignStatistics back = BenignStatistics.load(f);
        assertArrayEquals(s.attention().means().dup().data().asFloat(), back.attention().means().dup().data().asFloat());
        assertArrayEquals(s.tokenStates().orElseThrow().mean(1).dup().data().asFloat(),
                back.tokenStates().orElseThrow().mean(1).dup().data().asFloat());

        byte[] bytes = Files.readAllBytes(f);
        Path truncated = dir.resolve("truncated.bin");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        IOException e = assertThrows(IOException.class, () -> BenignStatistics.load(truncated));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());

        bytes[bytes.length / 2] ^= 0x5A;
        Path corrupt = dir.resolve("corrupt.bin");
        Files.write(corrupt, bytes);
        IOException c = assertThrows(IOException.class, () -> BenignStatistics.load(corrupt));
        assertTrue(c.getMessage().contains("corrupt.bin"), c.getMessage());
    }

    @Test
    void statisticsFromAGivenQHoldItAndCheckIt() {
        INDArray q = RandomMaps.softmaxMaps(3, 1.0, 2, 2, 5, 5); // (L = 2, heads = 2, N = 5, N = 5), rows sum to 1
        INDArray states = Nd4j.rand(DataType.FLOAT, 2, 5, 3);
        BenignStatistics s = BenignStatistics.of(q, states);
        assertEquals(2, s.layers());
        assertEquals(2, s.heads());
        assertEquals(5, s.tokens());
        for (int l = 0; l < 2; l++) {
            assertArrayEquals(q.get(NDArrayIndex.point(l)).castTo(DataType.DOUBLE).data().asDouble(),
                    s.attention().mean(l).castTo(DataType.DOUBLE).data().asDouble(), 1e-7);
            assertArrayEquals(states.get(NDArrayIndex.point(l)).castTo(DataType.DOUBLE).data().asDouble(),
                    s.tokenStates().orElseThrow().mean(l).castTo(DataType.DOUBLE).data().asDouble(), 1e-7);
        }
        INDArray notADistribution = q.dup();
        notADistribution.putScalar(new long[] {1, 0, 2, 3}, 0.9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenignStatistics.of(notADistribution, null));
        assertTrue(e.getMessage().contains("layer 1, head 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BenignStatistics.of(Nd4j.ones(DataType.FLOAT, 2, 5, 5), null));
        assertThrows(IllegalArgumentException.class, () -> BenignStatistics.of(q, Nd4j.zeros(DataType.FLOAT, 2, 4, 3)));
    }

    @Test
    void mismatchedInputsAreNamed() {
        LayerwiseMean q = new LayerwiseMean("Q", 2, 2, 4, 4);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> q.add(0, RandomMaps.softmaxMaps(1, 1, 3, 2, 5, 5)))
                .getMessage().contains("(batch, 2, 4, 4)"));
        assertThrows(IndexOutOfBoundsException.class, () -> q.add(2, RandomMaps.softmaxMaps(1, 1, 3, 2, 4, 4)));
        assertThrows(IllegalStateException.class, () -> q.mean(1));
        assertThrows(IllegalArgumentException.class, () -> q.merge(new LayerwiseMean("Q", 3, 2, 4, 4)));
        INDArray nan = RandomMaps.softmaxMaps(1, 1, 1, 2, 4, 4);
        nan.putScalar(0, Double.NaN);
        assertThrows(IllegalArgumentException.class, () -> q.add(0, nan));
    }
}
