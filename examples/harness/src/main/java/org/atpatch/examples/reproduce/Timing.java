package org.atpatch.examples.reproduce;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.atpatch.djl.PatchBundle;

/** Efficiency measurements shared by the reproductions: offline phase seconds and online ms per sample. */
public final class Timing {

    private Timing() {}

    /**
     * The offline phases' seconds, from the bundle's provenance.
     *
     * @param bundle a bundle trained by AtPatch
     * @return {@code debugging_set} (NaN when the set did not record it), {@code attention_capture},
     *     {@code detector_training}
     */
    public static Map<String, Double> offlineSeconds(PatchBundle bundle) {
        Map<String, String> p = bundle.provenance();
        Map<String, Double> seconds = new LinkedHashMap<>();
        seconds.put("debugging_set", Double.parseDouble(p.getOrDefault("debugSet.seconds", "NaN")));
        seconds.put("attention_capture", Double.parseDouble(p.getOrDefault("seconds.capture", "NaN")));
        seconds.put("detector_training", Double.parseDouble(p.getOrDefault("seconds.detectorTraining", "NaN")));
        return seconds;
    }

    /**
     * Milliseconds per sample of a pass over {@code samples} inputs: one warm-up run, then the median
     * of 3 timed runs.
     *
     * @param run one pass
     * @param samples inputs per pass
     * @return ms per sample, NaN when there are no samples (nothing is run)
     */
    public static double msPerSample(Runnable run, int samples) {
        if (samples == 0) {
            return Double.NaN;
        }
        run.run();
        double[] t = new double[3];
        for (int r = 0; r < t.length; r++) {
            long t0 = System.nanoTime();
            run.run();
            t[r] = (System.nanoTime() - t0) / 1e6 / samples;
        }
        Arrays.sort(t);
        return t[1];
    }
}
