package org.atpatch.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Samples the machine's 1-minute load average from {@code /proc/loadavg} every few seconds on a
 * daemon thread, so a benchmark can say how busy the (shared) machine was while it ran.
 */
final class LoadSampler implements AutoCloseable {

    private final List<Double> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stop;

    LoadSampler(long periodMillis) {
        thread = new Thread(() -> {
            while (!stop) {
                double l = read();
                synchronized (samples) {
                    samples.add(l);
                }
                try {
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "load-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    static double read() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** @return e.g. {@code "1-min load average on 2 cores: mean 3.1, min 2.0, max 5.2 (40 samples)"} */
    String summary() {
        double[] s;
        synchronized (samples) {
            s = samples.stream().mapToDouble(Double::doubleValue).filter(d -> !Double.isNaN(d)).toArray();
        }
        if (s.length == 0) {
            return "load average unavailable";
        }
        double mean = java.util.Arrays.stream(s).average().orElse(Double.NaN);
        double min = java.util.Arrays.stream(s).min().orElse(Double.NaN);
        double max = java.util.Arrays.stream(s).max().orElse(Double.NaN);
        return String.format(Locale.ROOT, "1-min load average on %d cores while running: mean %.1f, min %.1f, max %.1f (%d samples)",
                Runtime.getRuntime().availableProcessors(), mean, min, max, s.length);
    }

    @Override
    public void close() {
        stop = true;
        thread.interrupt();
    }
}
