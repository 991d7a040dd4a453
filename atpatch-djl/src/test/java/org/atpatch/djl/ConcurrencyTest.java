package org.atpatch.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.atpatch.core.BenignStatistics;
import org.atpatch.djl.patch.PatchRules;
import org.atpatch.djl.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** 8 threads × 200 predicts on one patched model return exactly what one thread returns. */
class ConcurrencyTest {

    @Test
    void threadsSeeExactlySingleThreadedResults() throws Exception {
        try (Model model = Fixtures.vitModel();
                NDManager manager = model.getNDManager().newSubManager()) {
            BenignStatistics benign = Fixtures.benign(model, manager);
            int[][] columns = {{}, {4}, {}, {2, 11}};
            float[] images = Fixtures.images(manager, 4, 21).toFloatArray();
            try (PatchedModel pm = PatchedModel.builder()
                    .setModel(model)
                    .setDetector(Fixtures.scripted(columns))
                    .setBenignStatistics(benign)
                    .optPatchRule(PatchRules.tokenStateAndGamma())
                    .build()) {
                float[] expected;
                try (NDManager m = manager.newSubManager()) {
                    expected = pm.predict(m.create(images, new Shape(4, 1, Fixtures.IMAGE, Fixtures.IMAGE))).toFloatArray();
                }
                ExecutorService pool = Executors.newFixedThreadPool(8);
                try {
                    List<Future<List<float[]>>> futures = new ArrayList<>();
                    for (int t = 0; t < 8; t++) {
                        futures.add(pool.submit(() -> {
                            List<float[]> outs = new ArrayList<>();
                            for (int i = 0; i < 200; i++) {
                                try (NDManager m = manager.newSubManager()) {
                                    NDArray x = m.create(images, new Shape(4, 1, Fixtures.IMAGE, Fixtures.IMAGE));
                                    outs.add(pm.predict(x).toFloatArray());
                                }
                            }
                            return outs;
                        }));
                    }
                    for (Future<List<float[]>> f : futures) {
                        for (float[] out : f.get()) {
                            assertArrayEquals(expected, out, 0f);
                        }
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }
}
