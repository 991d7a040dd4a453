package org.atpatch.examples.reproduce;

import ai.djl.Model;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atpatch.core.Metrics;
import org.atpatch.detector.ColumnDetector;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.DetectorEvaluation;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchDecision;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.debugset.FairnessDebuggingSetBuilder;
import org.atpatch.djl.debugset.FairnessFlips;
import org.atpatch.djl.debugset.FairnessPredictor;
import org.atpatch.djl.debugset.FlipInvariantDecision;
import org.atpatch.djl.debugset.OrbitAveraging;
import org.atpatch.djl.debugset.ProtectedAttribute;
import org.atpatch.djl.interception.AttentionCapture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One fairness configuration with one or several protected attributes in one bundle, measured per
 * attribute and under joint flips, through four decisions of what to patch:
 *
 * <ul>
 *   <li>{@code per-input}: the product's default, the detector on each input as given;
 *   <li>{@code invariant (raw detector)}: the same detector on the canonical view, the whole
 *       protected group patched ({@link FlipInvariantDecision});
 *   <li>{@code invariant}: the flip-invariant decision with a detector trained on canonical views
 *       ({@link FlipInvariantDecision#canonicalise}) of a debugging set built with joint flips;
 *   <li>{@code oracle decision}: exactly the inputs whose flip orbit is divergent under the unpatched
 *       model (joint flips) get the group patched; the best any detector could do with this patch.
 * </ul>
 *
 * <p>Beside them, the library's {@link OrbitAveraging}, which needs no detector: where an input's flip
 * orbit is divergent it gets the unpatched model's probabilities averaged over the orbit, otherwise
 * its own output; averaged with equal weights ({@code orbit averaging}) and with each combination of
 * protected values weighted by its share of the debugging split ({@code orbit averaging, weighted}).
 *
 * <p>Per decision: accuracy, UF per attribute and under joint flips, the patched share, and the
 * predictions turned right and wrong against the unpatched model (McNemar's z). Beside them, what the
 * detector can see: its scores on a balanced evaluation set from the test split, and the over-attention
 * on the protected group's columns, for inputs as given and for canonical views.
 */
public final class FairnessGroupExperiment {

    private static final Logger LOG = LoggerFactory.getLogger(FairnessGroupExperiment.class);
    private static final int BATCH = 256;

    /** The decision labels, in report order. */
    static final String ORIGINAL = "original";
    static final String PER_INPUT = "per-input";
    static final String INVARIANT_RAW = "invariant (raw detector)";
    static final String INVARIANT = "invariant";
    static final String ORACLE = "oracle decision";
    static final String ORBIT = "orbit averaging";
    static final String ORBIT_WEIGHTED = "orbit averaging, weighted";

    /**
     * @param seed seed of the debugging sets and detectors
     * @param detector the detector configuration
     * @param maxPairs most pairs in the debugging set
     * @param maxPairsPerAttribute most pairs per attribute
     * @param evalPairs most pairs in the balanced evaluation set
     * @param tau τ for every patched model, or NaN for each detector's choice on its validation split
     */
    public record Settings(long seed, DetectorConfig detector, int maxPairs, int maxPairsPerAttribute, int evalPairs,
            double tau) {}

    /**
     * One decision on the test split.
     *
     * @param method the decision's label
     * @param acc accuracy
     * @param uf UF per attribute name, and under joint flips ({@code joint})
     * @param patchedShare share of test inputs patched
     * @param gained predictions turned right against the unpatched model
     * @param lost predictions turned wrong
     */
    public record Outcome(String method, double acc, Map<String, Double> uf, double patchedShare, int gained, int lost) {
        /** @return McNemar's z of the accuracy change */
        public double accuracyChangeZ() {
            return PatchedCounts.mcnemarZ(gained, lost);
        }
    }

    /**
     * What the detector can see in one view.
     *
     * @param view {@code as given} or {@code canonical}
     * @param tau the detector's τ
     * @param detector its scores on the balanced evaluation set (in that view)
     * @param overAttention mass on the group's columns, divergent against clean inputs (in that view)
     */
    public record Sight(String view, double tau, DetectorEvaluation detector, OverAttention overAttention) {}

    /**
     * @param config the configuration
     * @param family the victim's family
     * @param outcomes original first, then the four decisions and orbit averaging
     * @param sights the two views
     * @param divergentShare share of test inputs whose joint flip orbit is divergent (the oracle's patched share)
     * @param debugProvenance the debugging set's counts (pairs per attribute and so on), and the joint-flip
     *     set's under {@code jointSet.}
     * @param margin how well the unpatched model's logit margin tells divergent inputs (joint flips) apart
     * @param msPerSample online cost at batch 256: unpatched, per-input and invariant decisions (medians of
     *     interleaved rounds)
     * @param seconds wall time of the configuration
     */
    public record Result(FairnessGroupConfig config, String family, List<Outcome> outcomes, List<Sight> sights,
            double divergentShare, Map<String, String> debugProvenance, MarginProbe margin, Map<String, Double> msPerSample,
            double seconds) {}

    private FairnessGroupExperiment() {}

    /**
     * Runs one configuration.
     *
     * @param victim the trained victim of the configuration's dataset
     * @param config the configuration
     * @param s the settings
     * @return the measurements
     */
    public static Result run(TabularVictim victim, FairnessGroupConfig config, Settings s) {
        long t0 = System.nanoTime();
        Model model = victim.model();
        LabelledData test = victim.data().test();
        List<ProtectedAttribute> attributes = config.attributes().stream().map(victim::attribute).toList();
        int tokens = victim.block().tokenLayout().size();
        FlipInvariantDecision decision = FlipInvariantDecision.of(attributes, test.sampleSize(), tokens);
        int[] before = Predictions.classes(model, test, 1024);
        List<Outcome> outcomes = new ArrayList<>();
        outcomes.add(new Outcome(ORIGINAL, Metrics.accuracy(before, test.labels()),
                unfairness(attributes, test, FairnessPredictor.of(model, 1024)), 0, 0, 0));
        LOG.info("{}: {}", config.name(), outcomes.get(0));

        FairnessDebuggingSetBuilder builder = FairnessDebuggingSetBuilder.of(model, victim.data().debug())
                .setAttributes(attributes).optMaxPairs(s.maxPairs()).optSeed(s.seed());
        if (s.maxPairsPerAttribute() > 0) {
            builder.optMaxPairsPerAttribute(s.maxPairsPerAttribute());
        }
        DebuggingSet debugSet = builder.build();
        LOG.info("{}: debugging set {}", config.name(), debugSet);
        // The invariant detector learns orbits: divergent under any change of the group (joint flips), in canonical view.
        DebuggingSet jointSet = attributes.size() == 1 ? debugSet : builder.optJointFlips(true).build();
        LOG.info("{}: debugging set with joint flips {}", config.name(), jointSet);
        PatchBundle raw = train(model, debugSet, s);
        PatchBundle canonical = train(model, decision.canonicalise(jointSet), s);
        try {
            outcomes.add(outcome(PER_INPUT, raw, model, null, attributes, test, before));
            outcomes.add(outcome(INVARIANT_RAW, raw, model, decision, attributes, test, before));
            outcomes.add(outcome(INVARIANT, canonical, model, decision, attributes, test, before));
            FairnessFlips.Evaluation joint = FairnessFlips.joint(attributes, test.sampleSize())
                    .evaluate(test, FairnessPredictor.of(model, 1024));
            Oracle oracle = new Oracle(model, canonical, decision, test, joint);
            try (oracle) {
                outcomes.add(predictorOutcome(ORACLE, oracle, oracle.divergentShare(), attributes, test, before));
            }
            OrbitAveraging orbit = OrbitAveraging.of(attributes, test.sampleSize());
            outcomes.add(predictorOutcome(ORBIT, FairnessPredictor.of(model, orbit, BATCH), oracle.divergentShare(), attributes,
                    test, before));
            // Weighted by the defender's own data: the debugging split's shares of the protected combinations.
            OrbitAveraging weighted = orbit.weightedBy(victim.data().debug());
            outcomes.add(predictorOutcome(ORBIT_WEIGHTED, FairnessPredictor.of(model, weighted, BATCH), oracle.divergentShare(),
                    attributes, test, before));
            outcomes.forEach(o -> LOG.info("{}: {}", config.name(), o));

            FairnessDebuggingSetBuilder.Result eval = FairnessDebuggingSetBuilder.of(model, test).setAttributes(attributes)
                    .optMaxPairs(s.evalPairs()).optMaxPairsPerAttribute(Math.max(1, s.evalPairs() / attributes.size()))
                    .optCleanOnly(0).optSeed(s.seed() + 1).buildWithDetails();
            List<Sight> sights = List.of(sight("as given", raw, model, eval.set(), decision, victim),
                    sight("canonical", canonical, model, decision.canonicalise(eval.set()), decision, victim));
            Map<String, String> provenance = new LinkedHashMap<>(debugSet.provenance());
            jointSet.provenance().forEach((k, v) -> provenance.put("jointSet." + k, v));
            MarginProbe margin = MarginProbe.measure(model, test, joint);
            LOG.info("{}: {}", config.name(), margin);
            Map<String, Double> ms = timings(model, raw, canonical, decision, orbit, test);
            LOG.info("{}: ms per sample {}", config.name(), ms);
            return new Result(config, victim.family().name(), outcomes, sights, oracle.divergentShare(), provenance, margin,
                    ms, (System.nanoTime() - t0) / 1e9);
        } finally {
            raw.detector().close();
            canonical.detector().close();
        }
    }

    /** Online ms per sample over at most 2,048 test inputs at batch 256: a warm-up, then medians of 5 interleaved rounds. */
    private static Map<String, Double> timings(Model model, PatchBundle raw, PatchBundle canonical,
            FlipInvariantDecision decision, OrbitAveraging orbit, LabelledData test) {
        LabelledData inputs = test.subset(java.util.stream.IntStream.range(0, Math.min(2048, test.size())).toArray());
        try (PatchedModel perInput = PatchVariants.patched(raw, model, PatchVariants.defaultRule(raw));
                PatchedModel invariant = PatchVariants.patched(canonical, model, PatchVariants.defaultRule(canonical))) {
            Map<String, Runnable> runs = new LinkedHashMap<>();
            runs.put("unpatched", () -> Predictions.classes(model, inputs, BATCH));
            runs.put(PER_INPUT, () -> Predictions.classes(perInput, inputs, BATCH));
            runs.put(INVARIANT, () -> Predictions.classes(invariant, decision, inputs, BATCH));
            FairnessPredictor averaged = FairnessPredictor.of(model, orbit, BATCH);
            runs.put(ORBIT, () -> averaged.predict(inputs));
            Map<String, double[]> times = new LinkedHashMap<>();
            runs.forEach((k, r) -> {
                r.run();
                times.put(k, new double[5]);
            });
            for (int round = 0; round < 5; round++) {
                for (Map.Entry<String, Runnable> e : runs.entrySet()) {
                    long t0 = System.nanoTime();
                    e.getValue().run();
                    times.get(e.getKey())[round] = (System.nanoTime() - t0) / 1e6 / inputs.size();
                }
            }
            Map<String, Double> ms = new LinkedHashMap<>();
            times.forEach((k, t) -> {
                java.util.Arrays.sort(t);
                ms.put(k, t[2]);
            });
            return ms;
        }
    }

    private static PatchBundle train(Model model, DebuggingSet set, Settings s) {
        PatchBundle trained = AtPatch.builder().setModel(model).optDetectorConfig(s.detector()).build().trainBundle(set);
        if (Double.isNaN(s.tau())) {
            return trained;
        }
        trained.detector().setTau(s.tau());
        return trained.withTau(s.tau());
    }

    /** UF per attribute (single flips) and under joint flips. */
    static Map<String, Double> unfairness(List<ProtectedAttribute> attributes, LabelledData data, FairnessPredictor f) {
        Map<String, Double> uf = new LinkedHashMap<>();
        for (ProtectedAttribute a : attributes) {
            uf.put(a.name(), FairnessFlips.of(List.of(a), data.sampleSize()).unfairness(data, f));
        }
        uf.put("joint", attributes.size() == 1 ? uf.get(attributes.get(0).name())
                : FairnessFlips.joint(attributes, data.sampleSize()).unfairness(data, f));
        return uf;
    }

    private static Outcome outcome(String method, PatchBundle bundle, Model model, PatchDecision decision,
            List<ProtectedAttribute> attributes, LabelledData test, int[] before) {
        try (PatchedModel patched = PatchVariants.patched(bundle, model, PatchVariants.defaultRule(bundle))) {
            PatchedCounts counts = PatchedCounts.of(patched, decision, test, BATCH, before);
            FairnessPredictor f = decision == null ? FairnessPredictor.of(patched, 1024)
                    : FairnessPredictor.of(patched, decision, 1024);
            return new Outcome(method, counts.accuracy(), unfairness(attributes, test, f), counts.patchedShare(),
                    counts.gained(), counts.lost());
        }
    }

    /**
     * The oracle decision: an input is patched on the protected group exactly when its flip orbit (known
     * by its canonical view) is divergent on the test split; any other input gets the unpatched output.
     */
    private static final class Oracle implements FairnessPredictor, AutoCloseable {
        private final Model model;
        private final FlipInvariantDecision decision;
        private final PatchedModel group;
        private final Map<FloatBuffer, Boolean> divergent = new HashMap<>();
        private final int divergentCount;
        private final int samples;

        Oracle(Model model, PatchBundle bundle, FlipInvariantDecision decision, LabelledData test,
                FairnessFlips.Evaluation joint) {
            this.model = model;
            this.decision = decision;
            boolean[] g = decision.groupColumns();
            float[] row = new float[g.length];
            for (int c = 0; c < g.length; c++) {
                row[c] = g[c] ? 1f : 0f;
            }
            // Probability 1 on the group's columns and 0 elsewhere: every input is patched on the group.
            ColumnDetector groupOnly = (maps, layer) -> maps.sum(new int[] {1}).zerosLike().add(maps.getManager().create(row));
            this.group = PatchedModel.builder().setModel(model).setBenignStatistics(bundle.benign()).setDetector(groupOnly)
                    .optTau(0.5).optPatchRule(PatchVariants.defaultRule(bundle)).optMode(bundle.mode()).build();
            int n = 0;
            for (int i = 0; i < test.size(); i++) {
                boolean d = joint.divergent(i);
                divergent.merge(FloatBuffer.wrap(decision.canonical(test.sample(i))), d, Boolean::logicalOr);
                n += d ? 1 : 0;
            }
            this.divergentCount = n;
            this.samples = test.size();
        }

        double divergentShare() {
            return divergentCount / (double) samples;
        }

        boolean patches(float[] x) {
            return divergent.getOrDefault(FloatBuffer.wrap(decision.canonical(x)), false);
        }

        @Override
        public int[] predict(LabelledData data) {
            int[] plain = Predictions.classes(model, data, 1024);
            int[] patched = Predictions.classes(group, data, 1024);
            int[] out = new int[data.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = patches(data.sample(i)) ? patched[i] : plain[i];
            }
            return out;
        }

        @Override
        public void close() {
            group.close();
        }
    }

    private static Outcome predictorOutcome(String name, FairnessPredictor predictor, double patchedShare,
            List<ProtectedAttribute> attributes, LabelledData test, int[] before) {
        int[] p = predictor.predict(test);
        int gained = 0;
        int lost = 0;
        for (int i = 0; i < p.length; i++) {
            boolean right = p[i] == test.labels()[i];
            boolean wasRight = before[i] == test.labels()[i];
            gained += right && !wasRight ? 1 : 0;
            lost += wasRight && !right ? 1 : 0;
        }
        return new Outcome(name, Metrics.accuracy(p, test.labels()), unfairness(attributes, test, predictor), patchedShare,
                gained, lost);
    }

    private static Sight sight(String view, PatchBundle bundle, Model model, DebuggingSet evalSet,
            FlipInvariantDecision decision, TabularVictim victim) {
        DetectorEvaluation d = bundle.detector().evaluate(AttentionCapture.mapsOf(model, evalSet, BATCH));
        List<float[]> divergent = evalSet.pairs().stream().map(DebuggingSet.Pair::anomalous).toList();
        List<float[]> clean = evalSet.pairs().stream().map(DebuggingSet.Pair::clean).toList();
        boolean[] g = decision.groupColumns();
        int[] columns = java.util.stream.IntStream.range(0, g.length).filter(c -> g[c]).toArray();
        OverAttention over = OverAttention.measure(model, divergent, clean, evalSet.sampleShape(), columns,
                victim.block().tokenLayout().isSpecial(0), BATCH);
        LOG.info("{} view: detector {}; over-attention max ratio {} (all rows), {} (CLS row)", view, d, over.maxRatioAll(),
                over.maxRatioCls());
        return new Sight(view, bundle.tau(), d, over);
    }
}
