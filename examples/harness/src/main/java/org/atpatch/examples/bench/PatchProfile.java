package org.atpatch.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the time of each variant goes, from PyTorch's own profiler (DJL's {@code JniUtils.startProfile}):
 * the number of top-level ATen ops one call dispatches (exact, independent of machine load) and
 * their native time, grouped by op. On CPU a batch-1 call is dominated by the per-op cost of the
 * Java → JNI → ATen dispatch, so the op count predicts the batch-1 ratios; at batch 256 the native
 * time per op shows which passes over the attention maps cost.
 *
 * <pre>
 * java ... org.atpatch.examples.bench.PatchProfile [--batches 1,256] [--variants a,b,...] [--calls 20] [--top 12]
 * </pre>
 */
public final class PatchProfile {

    private PatchProfile() {}

    /**
     * @param args see the class comment
     * @throws IOException if a trace cannot be written or read
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> opt = PairedOverhead.Args.parse(args);
        List<String> batches = List.of(opt.getOrDefault("batches", "1,256").split(","));
        List<String> variants = new ArrayList<>(BenchVariants.MAIN);
        variants.addAll(BenchVariants.DIAGNOSTIC);
        if (opt.containsKey("variants")) {
            variants = List.of(opt.get("variants").split(","));
        }
        int calls = Integer.parseInt(opt.getOrDefault("calls", "20"));
        int top = Integer.parseInt(opt.getOrDefault("top", "12"));
        Path dir = Files.createTempDirectory("atpatch-profile");
        StringBuilder summary = new StringBuilder();
        summary.append("| batch | variant | top-level ATen ops per call | native ms per call | wall ms per call (profiled) |\n");
        summary.append("|---:|---|---:|---:|---:|\n");
        StringBuilder detail = new StringBuilder();
        StringBuilder diff = new StringBuilder();
        Map<String, double[]> baseline = null;
        try (VitBenchFixture fixture = VitBenchFixture.create(42); BenchVariants v = new BenchVariants(fixture)) {
            for (String bs : batches) {
                int batch = Integer.parseInt(bs);
                try (NDManager inputs = fixture.manager.newSubManager()) {
                    NDArray x = VitBenchFixture.images(inputs, batch);
                    for (String variant : variants) {
                        v.check(variant, x);
                        Runnable call = v.call(variant, inputs, x);
                        for (int i = 0; i < 10; i++) {
                            call.run();
                        }
                        Path trace = dir.resolve(batch + "-" + variant + ".json");
                        JniUtils.startProfile(false, false, false);
                        long t0 = System.nanoTime();
                        for (int i = 0; i < calls; i++) {
                            call.run();
                        }
                        double wall = (System.nanoTime() - t0) / 1e6 / calls;
                        JniUtils.stopProfile(trace.toString());
                        Map<String, double[]> byOp = topLevel(trace); // name -> {count, µs}
                        Files.deleteIfExists(trace);
                        if (variant.equals("unpatched")) {
                            baseline = byOp;
                        } else if (baseline != null) {
                            diff.append(String.format(Locale.ROOT, "batch %d, %s vs unpatched, ops per call:", batch, variant));
                            java.util.TreeSet<String> names = new java.util.TreeSet<>(byOp.keySet());
                            names.addAll(baseline.keySet());
                            for (String name : names) {
                                double c = byOp.getOrDefault(name, new double[2])[0] / calls;
                                double c0 = baseline.getOrDefault(name, new double[2])[0] / calls;
                                if (Math.abs(c - c0) > 1e-9) {
                                    diff.append(String.format(Locale.ROOT, " %s %+.0f", name.replace("aten::", ""), c - c0));
                                }
                            }
                            diff.append('\n');
                        }
                        double ops = byOp.values().stream().mapToDouble(c -> c[0]).sum() / calls;
                        double native_ = byOp.values().stream().mapToDouble(c -> c[1]).sum() / 1000 / calls;
                        summary.append(String.format(Locale.ROOT, "| %d | %s | %.0f | %.3f | %.3f |%n",
                                batch, variant, ops, native_, wall));
                        detail.append(String.format(Locale.ROOT,
                                "%nbatch %d, %s: top ops by native time (count per call, ms per call)%n", batch, variant));
                        byOp.entrySet().stream()
                                .sorted(Comparator.comparingDouble((Map.Entry<String, double[]> e) -> -e.getValue()[1]))
                                .limit(top)
                                .forEach(e -> detail.append(String.format(Locale.ROOT, "  %-28s %6.1f  %8.3f%n",
                                        e.getKey(), e.getValue()[0] / calls, e.getValue()[1] / 1000 / calls)));
                    }
                }
            }
        }
        Files.deleteIfExists(dir);
        System.out.println(summary);
        System.out.println(diff);
        System.out.println(detail);
    }

    /** Aggregates the events no other event of the same thread encloses: count and µs per op name. */
    static Map<String, double[]> topLevel(Path trace) throws IOException {
        String text = Files.readString(trace, StandardCharsets.UTF_8).trim();
        // The trace may end with a trailing comma before ']'.
        text = text.replaceAll(",\\s*]\\s*$", "]");
        JsonArray events = JsonParser.parseString(text).getAsJsonArray();
        record Ev(String name, Object tid, double ts, double end) {}
        List<Ev> list = new ArrayList<>();
        for (JsonElement e : events) {
            JsonObject o = e.getAsJsonObject();
            if (!o.has("dur") || !"X".equals(o.get("ph").getAsString())) {
                continue;
            }
            double ts = o.get("ts").getAsDouble();
            list.add(new Ev(o.get("name").getAsString(), o.get("tid").toString(), ts, ts + o.get("dur").getAsDouble()));
        }
        list.sort(Comparator.comparing((Ev e) -> e.tid().toString()).thenComparingDouble(Ev::ts)
                .thenComparingDouble(e -> -e.end()));
        Map<String, double[]> out = new LinkedHashMap<>();
        Object tid = null;
        double openEnd = Double.NEGATIVE_INFINITY;
        for (Ev e : list) {
            if (!e.tid().equals(tid)) {
                tid = e.tid();
                openEnd = Double.NEGATIVE_INFINITY;
            }
            if (e.ts() >= openEnd) {
                double[] c = out.computeIfAbsent(e.name(), k -> new double[2]);
                c[0]++;
                c[1] += e.end() - e.ts();
                openEnd = e.end();
            }
        }
        return out;
    }
}
