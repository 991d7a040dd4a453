package org.atpatch.djl.debugset;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outcome of one trigger-inversion run: per class the inverted trigger, its mask L1 norm and MAD
 * anomaly index; the classes the MAD test flags (small-norm side, index above the threshold); and the
 * selection a debugging set should be built from — the flagged classes, or, when none is flagged,
 * whatever the {@link NoFlagPolicy} says. {@link #writeTo} writes {@code summary.json} and, per
 * class, {@code class-<c>-mask.png} and {@code class-<c>-pattern.png}.
 */
public final class InversionReport {

    private static final Logger LOG = LoggerFactory.getLogger(InversionReport.class);

    /** How the selection was made. */
    public enum Outcome {
        /** The MAD test flagged at least one class; those are selected. */
        FLAGGED,
        /** Nothing was flagged; the smallest-norm class was selected anyway ({@link NoFlagPolicy#USE_SMALLEST_NORM}). */
        NONE_FLAGGED_SMALLEST_SELECTED,
        /** Nothing was flagged and nothing selected ({@link NoFlagPolicy#EMPTY}). */
        NONE_FLAGGED_NOTHING_SELECTED
    }

    private final List<InvertedTrigger> triggers;
    private final MadAnomalyIndex anomaly;
    private final double threshold;
    private final int[] flagged;
    private final List<InvertedTrigger> selected;
    private final Outcome outcome;
    private final NoFlagPolicy policy;
    private final Map<String, String> configuration;
    private final double seconds;

    private InversionReport(List<InvertedTrigger> triggers, MadAnomalyIndex anomaly, double threshold, int[] flagged,
            List<InvertedTrigger> selected, Outcome outcome, NoFlagPolicy policy, Map<String, String> configuration,
            double seconds) {
        this.triggers = List.copyOf(triggers);
        this.anomaly = anomaly;
        this.threshold = threshold;
        this.flagged = flagged;
        this.selected = List.copyOf(selected);
        this.outcome = outcome;
        this.policy = policy;
        this.configuration = Map.copyOf(configuration);
        this.seconds = seconds;
    }

    /**
     * Runs the MAD test over inverted triggers and applies the no-flag policy; logs the outcome.
     *
     * @param triggers one per class, distinct classes
     * @param threshold the anomaly-index threshold (2 by default)
     * @param policy what to do when no class is flagged
     * @param configuration how the triggers were made (recorded in the report)
     * @param seconds how long the inversion took
     * @return the report
     * @throws NoTargetFlaggedException under {@link NoFlagPolicy#FAIL} when nothing is flagged
     */
    public static InversionReport analyse(List<InvertedTrigger> triggers, double threshold, NoFlagPolicy policy,
            Map<String, String> configuration, double seconds) {
        if (triggers == null || triggers.isEmpty()) {
            throw new IllegalArgumentException("no inverted triggers to analyse");
        }
        if (triggers.stream().mapToInt(InvertedTrigger::target).distinct().count() != triggers.size()) {
            throw new IllegalArgumentException("inverted triggers repeat a class");
        }
        double[] norms = triggers.stream().mapToDouble(InvertedTrigger::maskL1).toArray();
        MadAnomalyIndex mad = MadAnomalyIndex.of(norms);
        int[] positions = mad.flagged(threshold);
        int[] flagged = Arrays.stream(positions).map(i -> triggers.get(i).target()).toArray();
        List<InvertedTrigger> selected = new ArrayList<>();
        for (int i : positions) {
            selected.add(triggers.get(i));
        }
        Outcome outcome = Outcome.FLAGGED;
        if (flagged.length > 0) {
            LOG.info("MAD test flags suspected target class(es) {} (anomaly index > {})", Arrays.toString(flagged), threshold);
        }
        if (flagged.length == 0) {
            int smallest = 0;
            for (int i = 1; i < norms.length; i++) {
                if (norms[i] < norms[smallest]) {
                    smallest = i;
                }
            }
            String detail = String.format(Locale.ROOT, "no class has an abnormally small trigger (largest small-side anomaly index %.2f,"
                    + " threshold %.2f); the model may be clean", largestSmallSide(mad), threshold);
            switch (policy) {
                case FAIL -> {
                    LOG.info("no backdoor found: {}", detail);
                    throw new NoTargetFlaggedException("no backdoor found: " + detail + ". No debugging set should be built"
                            + " from this report; to build one from the smallest-mask class anyway, set"
                            + " optNoFlagPolicy(NoFlagPolicy.USE_SMALLEST_NORM); to scan image regions for a trigger the"
                            + " unrestricted inversion misses, pass report() to RegionInversion",
                            new InversionReport(triggers, mad, threshold, flagged, selected,
                                    Outcome.NONE_FLAGGED_NOTHING_SELECTED, policy,
                                    configuration == null ? Map.of() : configuration, seconds));
                }
                case USE_SMALLEST_NORM -> {
                    selected.add(triggers.get(smallest));
                    outcome = Outcome.NONE_FLAGGED_SMALLEST_SELECTED;
                    LOG.warn("{}; policy USE_SMALLEST_NORM selects class {} (mask L1 {}) anyway", detail,
                            triggers.get(smallest).target(), String.format(Locale.ROOT, "%.2f", norms[smallest]));
                }
                case EMPTY -> {
                    outcome = Outcome.NONE_FLAGGED_NOTHING_SELECTED;
                    LOG.info("{}; policy EMPTY selects nothing", detail);
                }
                default -> throw new IllegalStateException("unknown policy " + policy);
            }
        }
        return new InversionReport(triggers, mad, threshold, flagged, selected, outcome, policy,
                configuration == null ? Map.of() : configuration, seconds);
    }

    private static double largestSmallSide(MadAnomalyIndex mad) {
        double best = 0;
        for (int i = 0; i < mad.size(); i++) {
            if (mad.belowMedian(i)) {
                best = Math.max(best, mad.index(i));
            }
        }
        return best;
    }

    /** @return one inverted trigger per class, in inversion order */
    public List<InvertedTrigger> triggers() {
        return triggers;
    }

    /** @return the MAD test over the mask norms, positions as in {@link #triggers()} */
    public MadAnomalyIndex anomaly() {
        return anomaly;
    }

    /**
     * @param cls a class that was inverted
     * @return its inverted trigger
     */
    public InvertedTrigger trigger(int cls) {
        return triggers.get(position(cls));
    }

    /**
     * @param cls a class that was inverted
     * @return its mask L1 norm
     */
    public double maskL1(int cls) {
        return triggers.get(position(cls)).maskL1();
    }

    /**
     * @param cls a class that was inverted
     * @return its anomaly index (either side of the median; see {@link MadAnomalyIndex})
     */
    public double anomalyIndex(int cls) {
        return anomaly.index(position(cls));
    }

    /** @return the classes the MAD test flags, most suspect (smallest norm) first; may be empty */
    public int[] flaggedClasses() {
        return flagged.clone();
    }

    /** @return the triggers to build the debugging set from (flagged, or the policy's choice) */
    public List<InvertedTrigger> selected() {
        return selected;
    }

    /** @return how the selection was made */
    public Outcome outcome() {
        return outcome;
    }

    /** @return the threshold on the anomaly index */
    public double threshold() {
        return threshold;
    }

    /** @return the inversion's configuration */
    public Map<String, String> configuration() {
        return configuration;
    }

    /** @return seconds the inversion took */
    public double seconds() {
        return seconds;
    }

    private int position(int cls) {
        for (int i = 0; i < triggers.size(); i++) {
            if (triggers.get(i).target() == cls) {
                return i;
            }
        }
        throw new IllegalArgumentException("class " + cls + " was not inverted in this run");
    }

    /** @return the summary as JSON (per class L1, index, flags; the selection, outcome and configuration) */
    public String toJson() {
        JsonObject root = new JsonObject();
        JsonArray classes = new JsonArray();
        for (int i = 0; i < triggers.size(); i++) {
            InvertedTrigger t = triggers.get(i);
            JsonObject c = new JsonObject();
            c.addProperty("class", t.target());
            c.addProperty("maskL1", t.maskL1());
            c.addProperty("anomalyIndex", anomaly.index(i));
            c.addProperty("belowMedian", anomaly.belowMedian(i));
            c.addProperty("flagged", anomaly.isFlagged(i, threshold));
            c.addProperty("attackSuccess", t.attackSuccess());
            c.addProperty("reachedThreshold", t.reachedThreshold());
            c.addProperty("steps", t.steps());
            c.addProperty("finalCost", t.finalCost());
            c.addProperty("maskPng", maskFile(t.target()));
            c.addProperty("patternPng", patternFile(t.target()));
            classes.add(c);
        }
        root.add("classes", classes);
        root.addProperty("median", anomaly.median());
        root.addProperty("mad", anomaly.mad());
        root.addProperty("consistency", MadAnomalyIndex.CONSISTENCY);
        root.addProperty("threshold", threshold);
        JsonArray f = new JsonArray();
        Arrays.stream(flagged).forEach(f::add);
        root.add("flagged", f);
        JsonArray s = new JsonArray();
        selected.forEach(t -> s.add(t.target()));
        root.add("selected", s);
        root.addProperty("outcome", outcome.name());
        root.addProperty("noFlagPolicy", policy.name());
        root.addProperty("seconds", seconds);
        JsonObject conf = new JsonObject();
        new LinkedHashMap<>(configuration).forEach(conf::addProperty);
        root.add("configuration", conf);
        Gson gson = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();
        return gson.toJson(root);
    }

    /**
     * Writes {@code summary.json} and the mask and pattern PNGs of every class into a directory
     * (created if missing).
     *
     * @param dir the directory
     * @return the files written
     * @throws IOException if writing fails
     */
    public List<Path> writeTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        for (InvertedTrigger t : triggers) {
            Path m = dir.resolve(maskFile(t.target()));
            TriggerImages.writeMask(t.trigger(), m);
            written.add(m);
            Path p = dir.resolve(patternFile(t.target()));
            TriggerImages.writePattern(t.trigger(), p);
            written.add(p);
        }
        Path json = dir.resolve("summary.json");
        Files.writeString(json, toJson(), StandardCharsets.UTF_8);
        written.add(json);
        LOG.info("inversion report written to {}", dir.toAbsolutePath());
        return written;
    }

    static String maskFile(int cls) {
        return "class-" + cls + "-mask.png";
    }

    static String patternFile(int cls) {
        return "class-" + cls + "-pattern.png";
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Trigger inversion (" + String.format(Locale.ROOT, "%.1f", seconds) + " s): ");
        for (int i = 0; i < triggers.size(); i++) {
            sb.append(String.format(Locale.ROOT, "%sclass %d L1 %.1f index %.2f%s", i == 0 ? "" : "; ", triggers.get(i).target(),
                    triggers.get(i).maskL1(), anomaly.index(i), anomaly.isFlagged(i, threshold) ? " FLAGGED" : ""));
        }
        return sb.append(". Outcome ").append(outcome).toString();
    }
}
