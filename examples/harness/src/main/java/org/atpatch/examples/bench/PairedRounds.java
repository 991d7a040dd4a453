package org.atpatch.examples.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;

/**
 * Times several calls side by side on a shared, noisy machine: after warm-up rounds, every round
 * runs each call for about the same wall time, in an order that rotates from round to round, so
 * that load changing slower than a round hits every call alike. Ratios are taken round by round
 * against the first call (the baseline) and summarised by their median and interquartile range.
 */
final class PairedRounds {

    private static final int WARMUP_ROUNDS = 3;

    private PairedRounds() {}

    /** Per-call wall and process-CPU milliseconds, {@code [call][round]}. */
    record Times(double[][] wallMs, double[][] cpuMs) {}

    /**
     * @param calls the calls, the baseline first
     * @param rounds measured rounds
     * @param roundMs about how long each call runs per round, from a calibration of the baseline
     * @return wall-clock milliseconds per call, {@code [call][round]}
     */
    static double[][] run(List<Runnable> calls, int rounds, double roundMs) {
        return time(calls, rounds, WARMUP_ROUNDS, roundMs).wallMs();
    }

    /**
     * @param calls the calls, the baseline first
     * @param rounds measured rounds
     * @param warmupRounds unmeasured rounds first
     * @param roundMs about how long each call runs per round, from a calibration of the baseline
     * @return wall and process-CPU milliseconds per call
     */
    static Times time(List<Runnable> calls, int rounds, int warmupRounds, double roundMs) {
        long t0 = System.nanoTime();
        int cal = 0;
        while (System.nanoTime() - t0 < 500_000_000L || cal == 0) {
            calls.get(0).run();
            cal++;
        }
        double callMs = (System.nanoTime() - t0) / 1e6 / cal;
        int perRound = Math.max(1, (int) Math.round(roundMs / callMs));
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        int v = calls.size();
        double[][] ms = new double[v][rounds];
        double[][] cpu = new double[v][rounds];
        for (int r = -warmupRounds; r < rounds; r++) {
            for (int k = 0; k < v; k++) {
                int which = Math.floorMod(k + r, v);
                long c0 = os.getProcessCpuTime();
                long s = System.nanoTime();
                for (int c = 0; c < perRound; c++) {
                    calls.get(which).run();
                }
                if (r >= 0) {
                    ms[which][r] = (System.nanoTime() - s) / 1e6 / perRound;
                    cpu[which][r] = (os.getProcessCpuTime() - c0) / 1e6 / perRound;
                }
            }
        }
        return new Times(ms, cpu);
    }

    /**
     * @param t one call's times per round
     * @param base the baseline's times in the same rounds
     * @return {@code "1.234× [1.200, 1.260]"}: the median per-round ratio and its interquartile range
     */
    static String ratioCell(double[] t, double[] base) {
        double[] ratio = new double[t.length];
        for (int r = 0; r < t.length; r++) {
            ratio[r] = t[r] / base[r];
        }
        return String.format(Locale.ROOT, "%.3f× [%.3f, %.3f]", PatchOverheadRunner.percentile(ratio, 50),
                PatchOverheadRunner.percentile(ratio, 25), PatchOverheadRunner.percentile(ratio, 75));
    }
}
