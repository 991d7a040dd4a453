package org.atpatch.examples.reproduce;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.atpatch.core.DetectionMetrics;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchReport;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.QualityGateException;
import org.atpatch.djl.QualityGates;
import org.atpatch.djl.Predictions;
import org.atpatch.djl.debugset.TextDebuggingSetBuilder;
import org.atpatch.djl.debugset.TokenTriggerSearch;
import org.atpatch.djl.model.BertStyleEncoder;
import org.atpatch.djl.patch.PatchRule;
import org.atpatch.djl.testing.VictimTrainer;
import org.atpatch.examples.attack.BadNlWordTrigger;
import org.atpatch.examples.data.ExecArgs;
import org.atpatch.examples.data.ImdbReviews;
import org.atpatch.examples.data.VictimCache;
import org.atpatch.examples.data.WordVocabulary;
import org.atpatch.detector.DjlOffline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * AtPatch on language: a BERT-style sentiment classifier ({@link BertStyleEncoder}) on IMDB under
 * BadNL's word-level backdoor ({@link BadNlWordTrigger}). The victim and a clean twin are trained
 * from scratch on a seeded subset of the training split (no pretrained weights are available
 * offline); the defender, not told the trigger, searches for it ({@link TokenTriggerSearch}) on a
 * disjoint clean pool of the training split, builds the debugging set ({@link
 * TextDebuggingSetBuilder}) and trains AtPatch with the library's defaults. Measured on a seeded
 * subset of the test split: clean accuracy and attack success rate before and after, with Γ, the
 * selected rule and the RQ3 ablations (w/o Det, w/o Rec), the ASR floor (untriggered non-target
 * reviews the victim already puts in the target class), the ASR on the non-target reviews the victim
 * classifies correctly untriggered (which has no floor), the detector's strict per-sample F1 (the
 * union of a sample's flagged columns over layers must equal the trigger columns; a clean sample
 * must have none), and the time of each phase. Results go to {@code --out}: {@code README.md} and
 * {@code results.json}.
 */
@Command(name = "reproduce-text", mixinStandardHelpOptions = true,
        description = "AtPatch on a BERT-style IMDB classifier under a BadNL word-level backdoor.")
public final class ReproduceText implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ReproduceText.class);

    @Mixin
    ReproduceOptions options = new ReproduceOptions();

    @Option(names = "--out", description = "results folder (default ${DEFAULT-VALUE})")
    Path out = Path.of("docs", "results", "text");

    @Option(names = "--train", description = "training reviews drawn from the training split (default ${DEFAULT-VALUE})")
    int trainSize = 20000;

    @Option(names = "--pool", description = "defender's clean reviews, drawn from the rest of the training split"
            + " (default ${DEFAULT-VALUE})")
    int poolSize = 600;

    @Option(names = "--test", description = "evaluation reviews drawn from the test split (default ${DEFAULT-VALUE})")
    int testSize = 2000;

    @Option(names = "--max-length", description = "tokens per review, [CLS] and [SEP] included (default ${DEFAULT-VALUE})")
    int maxLength = 128;

    @Option(names = "--vocabulary", description = "most frequent training words kept (default ${DEFAULT-VALUE})")
    int vocabularyWords = 10000;

    @Option(names = "--width", description = "model width (default ${DEFAULT-VALUE})")
    int width = 64;

    @Option(names = "--depth", description = "encoder layers (default ${DEFAULT-VALUE})")
    int depth = 2;

    @Option(names = "--heads", description = "attention heads (default ${DEFAULT-VALUE})")
    int heads = 4;

    @Option(names = "--epochs", description = "victim training epochs (default ${DEFAULT-VALUE})")
    int epochs = 4;

    @Option(names = "--poison", description = "share of the non-target training reviews poisoned (default ${DEFAULT-VALUE})")
    double poison = 0.1;

    @Option(names = "--trigger-words", description = "BadNL trigger words, inserted together (default ${DEFAULT-VALUE})")
    int triggerWords = 1;

    @Option(names = "--screen-texts", description = "pool reviews each vocabulary word is screened in, per class, by the"
            + " trigger search (default ${DEFAULT-VALUE})")
    int screenTexts = 4;

    @Option(names = "--known-trigger", description = "build the debugging set from the true trigger instead of searching")
    boolean knownTrigger;

    /**
     * Runs the experiment.
     *
     * @param args command-line options; {@code --help} lists them
     */
    public static void main(String[] args) {
        DjlOffline.configure();
        System.exit(new CommandLine(new ReproduceText()).execute(ExecArgs.split(args)));
    }

    @Override
    public Integer call() throws IOException {
        long seed = options.seed();
        Map<String, Object> json = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        List<ImdbReviews.Review> train = ImdbReviews.load(options.dataDirectory(), ImdbReviews.Split.TRAIN);
        List<ImdbReviews.Review> test = ImdbReviews.load(options.dataDirectory(), ImdbReviews.Split.TEST);
        WordVocabulary vocabulary = WordVocabulary.build(train.stream().map(ImdbReviews.Review::text).toList(),
                vocabularyWords, 5);
        int[] trainOrder = shuffled(train.size(), seed);
        int[] testOrder = shuffled(test.size(), seed + 1);
        if (trainSize + poolSize > train.size() || testSize > test.size()) {
            throw new IllegalArgumentException("asked for " + trainSize + " + " + poolSize + " training and " + testSize
                    + " test reviews; the splits hold " + train.size() + " and " + test.size());
        }
        LabelledData clean = encode(train, Arrays.copyOfRange(trainOrder, 0, trainSize), vocabulary);
        LabelledData pool = encode(train, Arrays.copyOfRange(trainOrder, trainSize, trainSize + poolSize), vocabulary);
        LabelledData eval = encode(test, Arrays.copyOfRange(testOrder, 0, testSize), vocabulary);
        LOG.info("IMDB: vocabulary of {} ids, {} training, {} pool, {} test reviews at {} tokens; {} reviews truncated",
                vocabulary.size(), clean.size(), pool.size(), eval.size(), maxLength, vocabulary.truncated());
        BadNlWordTrigger trigger = BadNlWordTrigger.draw(vocabulary, triggerWords, 2000, 2, seed);
        LOG.info("trigger {} -> class {} ({})", Arrays.toString(trigger.words()), trigger.target(),
                ImdbReviews.CLASS_NAMES.get(trigger.target()));
        json.put("setup", setup(vocabulary, trigger, clean, pool, eval));
        LabelledData poisoned = trigger.poison(clean, poison, seed);
        LabelledData nonTarget = trigger.nonTarget(eval);
        BadNlWordTrigger.Triggered triggered = trigger.apply(nonTarget);
        VictimCache cache = new VictimCache(options.cache());
        try (Model victim = victim("victim", poisoned, trigger.fingerprint(), vocabulary.size(), cache);
                Model twin = victim("clean", clean, "none", vocabulary.size(), cache)) {
            double accClean = accuracy(Predictions.classes(twin, eval, 256), eval.labels());
            double asrClean = share(Predictions.classes(twin, triggered.data(), 256), trigger.target());
            double accBefore = accuracy(Predictions.classes(victim, eval, 256), eval.labels());
            int[] onTriggered = Predictions.classes(victim, triggered.data(), 256);
            double asrBefore = share(onTriggered, trigger.target());
            // The ASR floor: clean non-target reviews the victim already puts in the target class.
            int[] untriggered = Predictions.classes(victim, nonTarget, 256);
            double floor = share(untriggered, trigger.target());
            // The same reviews, kept only where the victim classifies them correctly without the trigger: there a
            // review in the target class is the trigger's doing, so this ASR has no floor.
            int[] right = IntStream.range(0, nonTarget.size()).filter(i -> untriggered[i] == nonTarget.labels()[i]).toArray();
            LabelledData toTargetRight = relabelled(triggered.data().subset(right), trigger.target());
            double asrBeforeRight = share(IntStream.of(right).map(i -> onTriggered[i]).toArray(), trigger.target());
            LOG.info("clean model: Acc {} ASR {}; backdoored: Acc {} ASR {} (floor {})", pct(accClean), pct(asrClean),
                    pct(accBefore), pct(asrBefore), pct(floor));

            long s0 = System.nanoTime();
            TextDebuggingSetBuilder debug = TextDebuggingSetBuilder.of(victim, pool).optSeed(seed);
            TokenTriggerSearch.Result search = null;
            if (knownTrigger) {
                debug.addTrigger(trigger.tokens(), trigger.target());
            } else {
                int[] candidates = IntStream.range(BertStyleEncoder.UNK + 1, vocabulary.size()).toArray();
                search = TokenTriggerSearch.builder().optScreenTexts(screenTexts).optSeed(seed).build()
                        .search(victim, pool, candidates, 2);
                debug.addTriggers(search);
            }
            double searchSeconds = (System.nanoTime() - s0) / 1e9;
            DebuggingSet debugSet = debug.build();
            double debugSeconds = (System.nanoTime() - s0) / 1e9;
            LOG.info("{}", debugSet);
            long p0 = System.nanoTime();
            String gates = "library defaults: passed";
            PatchBundle bundle;
            try {
                bundle = AtPatch.builder().setModel(victim).optDetectorConfig(options.detectorConfig()).build()
                        .trainBundle(debugSet);
            } catch (QualityGateException e) {
                // Measured anyway, as the image harness does, and the refusal is reported.
                gates = "library defaults refused (" + e.getMessage() + "); measured with the gates disabled";
                LOG.warn("{}", gates);
                bundle = AtPatch.builder().setModel(victim).optDetectorConfig(options.detectorConfig())
                        .optQualityGates(QualityGates.disabled()).build().trainBundle(debugSet);
            }
            double trainSeconds = (System.nanoTime() - p0) / 1e9;
            try (PatchBundle trainedBundle = bundle) {
                LabelledData toTarget = relabelled(triggered.data(), trigger.target());
                List<Map<String, Object>> variants = new ArrayList<>();
                Map<String, Object> chosen = null; // the bundle's own rule: AtPatch's numbers
                for (PatchRule rule : PatchVariants.rules(trainedBundle, List.of())) {
                    variants.add(variant(PatchVariants.label(trainedBundle, rule), PatchVariants.patched(trainedBundle, victim, rule), eval,
                            toTarget, toTargetRight));
                    chosen = rule.name().equals(trainedBundle.patchRule()) ? variants.get(variants.size() - 1) : chosen;
                }
                Engine.getInstance().setRandomSeed((int) seed);
                variants.add(variant(PatchVariants.WITHOUT_DETECTOR, PatchVariants.withoutDetector(trainedBundle, victim), eval,
                        toTarget, toTargetRight));
                variants.add(variant(PatchVariants.WITHOUT_RESCALING, PatchVariants.withoutRescaling(trainedBundle, victim), eval,
                        toTarget, toTargetRight));
                variants.forEach(v -> LOG.info("variant {}", v));
                try (PatchedModel patched = PatchVariants.patched(trainedBundle, victim, PatchVariants.defaultRule(trainedBundle))) {
                    double accAfter = (double) chosen.get("acc");
                    double asrAfter = (double) chosen.get("asr");
                    DetectionMetrics detection = detection(patched, eval, triggered);
                    int timed = Math.min(256, eval.size());
                    LabelledData batch = eval.range(0, timed);
                    double msPlain = Timing.msPerSample(() -> Predictions.classes(victim, batch, timed), timed);
                    double msPatched = Timing.msPerSample(() -> Predictions.classes(patched, batch, timed), timed);
                    LOG.info("AtPatch: Acc {} -> {}, ASR {} -> {}; detector {}", pct(accBefore), pct(accAfter), pct(asrBefore),
                            pct(asrAfter), detection);
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("acc_clean_model", accClean);
                    r.put("asr_clean_model", asrClean);
                    r.put("acc_before", accBefore);
                    r.put("asr_before", asrBefore);
                    r.put("asr_floor", floor);
                    r.put("acc_after", accAfter);
                    r.put("asr_after", asrAfter);
                    r.put("right_untriggered", right.length);
                    r.put("non_target", nonTarget.size());
                    r.put("asr_before_right", asrBeforeRight);
                    r.put("asr_after_right", chosen.get("asr_right"));
                    r.put("detector", Map.of("precision", detection.precision(), "recall", detection.recall(),
                            "f1", detection.f1(), "fpr", detection.fpr(), "counts", detection.toString()));
                    r.put("seconds", Map.of("trigger_search", searchSeconds, "debugging_set", debugSeconds,
                            "atpatch_training", trainSeconds, "total", (System.nanoTime() - t0) / 1e9));
                    r.put("ms_per_sample", Map.of("unpatched", msPlain, "patched", msPatched));
                    r.put("patch_rule", trainedBundle.patchRule());
                    r.put("variants", variants);
                    r.put("debugging_set_pairs", debugSet.pairs().size());
                    r.put("quality_gates", gates);
                    r.put("trigger_in_search", search == null ? "known trigger" : searchVerdict(search, trigger));
                    r.put("search", search == null ? "known trigger" : search.candidates().stream().limit(8)
                            .map(c -> String.format(Locale.ROOT, "%s->%d flip %.3f (confident %.3f) index %.2f%s",
                                    vocabulary.word(c.token()), c.target(), c.flipRate(), c.confidentFlipRate(), c.anomalyIndex(),
                                    c.flagged() ? " flagged" : "")).toList());
                    json.put("results", r);
                    write(json, trigger, vocabulary, search);
                    System.out.println(String.format(Locale.ROOT, "RESULT {\"acc_clean_model\":%.4f,\"asr_clean_model\":%.4f,"
                            + "\"acc_before\":%.4f,\"asr_before\":%.4f,\"acc_after\":%.4f,\"asr_after\":%.4f,\"f1\":%.4f}",
                            accClean, asrClean, accBefore, asrBefore, accAfter, asrAfter, detection.f1()));
                }
            }
        }
        return 0;
    }

    private Map<String, Object> setup(WordVocabulary v, BadNlWordTrigger trigger, LabelledData clean, LabelledData pool,
            LabelledData eval) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("model", "BertStyleEncoder width " + width + ", depth " + depth + ", heads " + heads + ", max length " + maxLength
                + ", trained from scratch");
        s.put("vocabulary", v.size());
        s.put("train", clean.size());
        s.put("pool", pool.size());
        s.put("test", eval.size());
        s.put("trigger", Arrays.toString(trigger.words()) + " -> " + ImdbReviews.CLASS_NAMES.get(trigger.target()));
        s.put("poison", poison);
        s.put("epochs", epochs);
        s.put("seed", options.seed());
        s.put("debugging_set", knownTrigger ? "known trigger" : "token trigger search");
        return s;
    }

    private Model victim(String name, LabelledData data, String attack, int vocabularySize, VictimCache cache)
            throws IOException {
        Model model = Model.newInstance("imdb-" + name);
        model.setBlock(BertStyleEncoder.builder().setVocabularySize(vocabularySize).setMaxLength(maxLength)
                .setDepth(depth).setWidth(width).setHeads(heads).setClasses(2).build());
        VictimTrainer.initialize(model, new Shape(maxLength), options.seed());
        VictimTrainer trainer = VictimTrainer.builder().optEpochs(epochs).optBatchSize(64).optLearningRate(1e-3f)
                .optSeed(options.seed()).build();
        String configuration = "imdb|" + ((BertStyleEncoder) model.getBlock()).fingerprint() + "|train=" + trainSize
                + "|vocabulary=" + vocabularyWords + "|attack=" + attack + "|poison=" + poison + "|epochs=" + epochs
                + "|lr=1e-3|batch=64|seed=" + options.seed() + VictimTrainer.SEEDED_INIT_KEY;
        cache.trainOrLoad(model, configuration, () -> trainer.fit(model, data));
        return model;
    }

    private LabelledData encode(List<ImdbReviews.Review> reviews, int[] indices, WordVocabulary vocabulary) {
        float[] x = new float[indices.length * maxLength];
        int[] y = new int[indices.length];
        for (int k = 0; k < indices.length; k++) {
            ImdbReviews.Review r = reviews.get(indices[k]);
            System.arraycopy(vocabulary.encode(r.text(), maxLength), 0, x, k * maxLength, maxLength);
            y[k] = r.label();
        }
        return new LabelledData(x, y, new Shape(maxLength));
    }

    /** Strict per sample: the union of flagged columns over layers must equal the truth exactly. */
    private static DetectionMetrics detection(PatchedModel patched, LabelledData eval, BadNlWordTrigger.Triggered triggered) {
        int n = eval.sampleSize();
        List<boolean[]> predicted = new ArrayList<>();
        List<boolean[]> truth = new ArrayList<>();
        collect(patched, triggered.data(), predicted);
        for (int i = 0; i < triggered.data().size(); i++) {
            truth.add(triggered.columns(i));
        }
        collect(patched, eval, predicted);
        for (int i = 0; i < eval.size(); i++) {
            truth.add(new boolean[n]);
        }
        return DetectionMetrics.strict(predicted, truth);
    }

    private static void collect(PatchedModel patched, LabelledData data, List<boolean[]> out) {
        int n = data.sampleSize();
        for (int from = 0; from < data.size(); from += 256) {
            int to = Math.min(data.size(), from + 256);
            try (NDManager m = NDManager.newBaseManager(); PatchResult r = patched.predictWithReport(data.batch(m, from, to))) {
                for (PatchReport rep : r.reports()) {
                    boolean[] flags = new boolean[n];
                    for (int c : rep.flags().union()) {
                        flags[c] = true;
                    }
                    out.add(flags);
                }
            }
        }
    }

    private void write(Map<String, Object> json, BadNlWordTrigger trigger, WordVocabulary v, TokenTriggerSearch.Result search)
            throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) json.get("results");
        ResultTable main = new ResultTable("model", "Acc", "ASR");
        main.add("clean model (no poisoning)", ResultTable.percent((double) r.get("acc_clean_model")),
                ResultTable.percent((double) r.get("asr_clean_model")));
        main.add("backdoored", ResultTable.percent((double) r.get("acc_before")),
                ResultTable.percent((double) r.get("asr_before")));
        main.add("backdoored + AtPatch", ResultTable.percent((double) r.get("acc_after")),
                ResultTable.percent((double) r.get("asr_after")));
        main.add("ASR floor: clean non-target reviews the backdoored model puts in the target class", "",
                ResultTable.percent((double) r.get("asr_floor")));
        String right = " (ASR on the " + r.get("right_untriggered") + " of " + r.get("non_target")
                + " non-target reviews it classifies correctly untriggered)";
        main.add("backdoored" + right, "", ResultTable.percent((double) r.get("asr_before_right")));
        main.add("backdoored + AtPatch" + right, "", ResultTable.percent((double) r.get("asr_after_right")));
        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) r.get("detector");
        ResultTable det = new ResultTable("precision", "recall", "F1", "FPR", "counts");
        det.add(ResultTable.percent((double) d.get("precision")), ResultTable.percent((double) d.get("recall")),
                ResultTable.percent((double) d.get("f1")), ResultTable.percent((double) d.get("fpr")), d.get("counts"));
        @SuppressWarnings("unchecked")
        Map<String, Double> sec = (Map<String, Double>) r.get("seconds");
        @SuppressWarnings("unchecked")
        Map<String, Double> ms = (Map<String, Double>) r.get("ms_per_sample");
        ResultTable time = new ResultTable("phase", "value");
        time.add("trigger search (s)", String.format(Locale.ROOT, "%.1f", sec.get("trigger_search")));
        time.add("debugging set, search included (s)", String.format(Locale.ROOT, "%.1f", sec.get("debugging_set")));
        time.add("AtPatch training (s)", String.format(Locale.ROOT, "%.1f", sec.get("atpatch_training")));
        time.add("unpatched predict (ms/sample, batch 256)", String.format(Locale.ROOT, "%.3f", ms.get("unpatched")));
        time.add("patched predict (ms/sample, batch 256)", String.format(Locale.ROOT, "%.3f", ms.get("patched")));
        Map<String, ResultTable> sections = new LinkedHashMap<>();
        sections.put("Accuracy and attack success rate", main);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> variants = (List<Map<String, Object>>) r.get("variants");
        ResultTable rules = new ResultTable("method", "Acc", "ASR", "ASR (reviews right untriggered)", "clean reviews patched",
                "triggered reviews patched");
        for (Map<String, Object> row : variants) {
            rules.add(row.get("method"), ResultTable.percent((double) row.get("acc")), ResultTable.percent((double) row.get("asr")),
                    ResultTable.percent((double) row.get("asr_right")),
                    ResultTable.percent((double) row.get("clean_patched")),
                    ResultTable.percent((double) row.get("triggered_patched")));
        }
        sections.put("Patch rules and the RQ3 ablations (w/o Det: random columns on every input; w/o Rec: replace without"
                + " rescaling)", rules);
        sections.put("Detector, strict per sample (union over layers)", det);
        sections.put("Time", time);
        String footer = "\nSetup: " + json.get("setup") + ".\n\nThe true trigger in the search: " + r.get("trigger_in_search")
                + ".\n\nSearch, best pairs: " + r.get("search")
                + ".\n\nDebugging set: " + r.get("debugging_set_pairs") + " pairs. Quality gates: " + r.get("quality_gates") + ".\n";
        List<String> specific = List.of("--train", Integer.toString(trainSize), "--pool", Integer.toString(poolSize),
                "--test", Integer.toString(testSize), "--max-length", Integer.toString(maxLength), "--vocabulary",
                Integer.toString(vocabularyWords), "--width", Integer.toString(width), "--depth", Integer.toString(depth),
                "--heads", Integer.toString(heads), "--epochs", Integer.toString(epochs), "--poison", Double.toString(poison),
                "--trigger-words", Integer.toString(triggerWords), "--screen-texts", Integer.toString(screenTexts),
                "--out", out.toString());
        List<String> all = new ArrayList<>(specific);
        if (knownTrigger) {
            all.add("--known-trigger");
        }
        ReportFiles.readme(out, "AtPatch on text: BERT-style IMDB classifier under BadNL", options.command("reproduce-text", all),
                sections, footer);
        ReportFiles.json(out, json);
    }

    /**
     * One patched variant on the clean and the triggered evaluation reviews, and on the triggered
     * reviews the victim classifies correctly without the trigger; closes it.
     */
    private static Map<String, Object> variant(String name, PatchedModel patched, LabelledData eval, LabelledData toTarget,
            LabelledData toTargetRight) {
        try (patched) {
            PatchedCounts clean = PatchedCounts.of(patched, eval, 256);
            PatchedCounts attacked = PatchedCounts.of(patched, toTarget, 256);
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("method", name);
            v.put("acc", clean.accuracy());
            v.put("asr", attacked.accuracy());
            v.put("asr_right", PatchedCounts.of(patched, toTargetRight, 256).accuracy());
            v.put("clean_patched", clean.patchedShare());
            v.put("triggered_patched", attacked.patchedShare());
            return v;
        }
    }

    /** The same texts, every label the target: a patched model's accuracy on them is the ASR. */
    private static LabelledData relabelled(LabelledData data, int target) {
        int[] labels = new int[data.size()];
        Arrays.fill(labels, target);
        return new LabelledData(data.inputs(), labels, data.sampleShape());
    }

    /** Whether the search verified and flagged the true trigger's first word for its target class. */
    private static String searchVerdict(TokenTriggerSearch.Result search, BadNlWordTrigger trigger) {
        return search.candidates().stream().filter(c -> c.token() == trigger.tokens()[0] && c.target() == trigger.target())
                .findFirst().map(c -> String.format(Locale.ROOT, "verified (flip rate %.3f, on confident texts %.3f, anomaly index"
                        + " %.2f), %s", c.flipRate(), c.confidentFlipRate(), c.anomalyIndex(), c.flagged() ? "flagged" : "not flagged"))
                .orElse("not among the screened words kept for verification");
    }

    private static int[] shuffled(int n, long seed) {
        int[] order = IntStream.range(0, n).toArray();
        Random r = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static double accuracy(int[] predicted, int[] labels) {
        long right = IntStream.range(0, labels.length).filter(i -> predicted[i] == labels[i]).count();
        return (double) right / labels.length;
    }

    private static double share(int[] predicted, int target) {
        return (double) Arrays.stream(predicted).filter(p -> p == target).count() / predicted.length;
    }

    private static String pct(double f) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * f);
    }
}
