package org.atpatch.examples.ood;

import static org.atpatch.examples.reproduce.ResultTable.percentWithSign;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.atpatch.core.AtomicFiles;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.PatchBundle;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.debugset.BackdoorDebuggingSetBuilder;
import org.atpatch.djl.debugset.TargetSearch;
import org.atpatch.examples.data.DataDirectory;
import org.atpatch.examples.data.ExecArgs;
import org.atpatch.examples.data.PatchTrigger;
import org.atpatch.examples.reproduce.ImageSplits;
import org.atpatch.examples.reproduce.ResultTable;
import org.atpatch.examples.scenario.BackdoorVictim;
import org.atpatch.examples.scenario.SmallVitOptions;
import org.atpatch.examples.scenario.TargetIdentification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The paper's out-of-domain experiment (§5.2): a detector trained on one dataset's victim, applied
 * to another dataset's victim of the same architecture and token layout. Two victims, small ViTs
 * ({@link BackdoorVictim}: 28 × 28, patch 4, depth 2, width 64) on MNIST and Fashion-MNIST, each
 * backdoored with the same BadNets trigger (a 4 × 4 checkerboard in the bottom-right corner). Each
 * is defended without being told the trigger: {@link TargetSearch} on the defender's pool, and where
 * it finds nothing, the MAD test of its unrestricted inversion ({@code --identification search} or
 * {@code mad} for one of the two alone), a debugging set from what it selects, {@link AtPatch} with its
 * defaults. Then
 * every detector is applied to every victim: the detector, its τ and its patch rule from the source
 * victim's bundle, Q and the token states from the target victim's own clean pool ({@link #transplant}).
 * The diagonal is the in-domain defence; the off-diagonal cells are the paper's OOD rows.
 *
 * <pre>
 * mvn -pl examples/harness exec:exec@ood -Datpatch.data=DIR [-Dood.args="--train 20000 --epochs 10"]
 * </pre>
 */
@Command(name = "ood", mixinStandardHelpOptions = true,
        description = "A detector trained on one dataset's victim, applied to another's (paper §5.2).")
public final class OutOfDomain implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(OutOfDomain.class);
    private static final List<String> DOMAINS = List.of("mnist", "fashion-mnist");
    private static final int POOL = 1000;
    private static final int EVAL = 2000;

    @Mixin
    SmallVitOptions options = new SmallVitOptions();

    @Option(names = "--out", description = "Results folder (default ${DEFAULT-VALUE}).")
    Path out = Path.of("docs", "results", "ood");

    /**
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        DjlOffline.configure();
        System.exit(new CommandLine(new OutOfDomain()).execute(ExecArgs.split(args)));
    }

    /**
     * A bundle that applies {@code source}'s detector, τ, patch rule and flag dilation to {@code target}'s model: Q,
     * the token states and the model's identity come from {@code target}. The result owns
     * {@code source}'s detector; {@code target}'s stays with {@code target}.
     *
     * @param source the bundle whose detector is moved
     * @param target a bundle made for the model the detector is moved to
     * @return the transplanted bundle
     * @throws IllegalArgumentException when the two bundles' models differ in architecture
     */
    public static PatchBundle transplant(PatchBundle source, PatchBundle target) {
        if (!source.modelFingerprint().equals(target.modelFingerprint())) {
            throw new IllegalArgumentException("a detector moves only between models of one architecture: "
                    + source.modelFingerprint() + " against " + target.modelFingerprint());
        }
        Map<String, String> provenance = new LinkedHashMap<>(target.provenance());
        // The source model, by its weights: the detector, τ and rule were made on it.
        provenance.put("detector.fromWeights", String.valueOf(source.weightsDigest()));
        return new PatchBundle(source.detector(), target.benign(), source.tau(), source.patchRule(), source.mode(),
                source.flagDilation(), target.modelFingerprint(), target.weightsDigest(), provenance);
    }

    @Override
    public Integer call() throws IOException {
        String identification;
        try {
            identification = options.identification();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
        }
        DataDirectory dir = DataDirectory.fromEnvironment();
        Path bundles = Files.createTempDirectory("atpatch-ood");
        Map<String, BackdoorVictim> victims = new LinkedHashMap<>();
        Map<String, Path> saved = new HashMap<>();
        Map<String, String> found = new HashMap<>();
        PatchTrigger trigger = options.backdoor();
        try {
            for (String d : DOMAINS) {
                ImageSplits data = ImageSplits.load(dir, d, options.train(), POOL, EVAL);
                BackdoorVictim v = new BackdoorVictim("ood-" + d, data.train(), data.eval(), trigger, options.poisonRate(),
                        options.epochs(), options.seed(), options.cache());
                victims.put(d, v);
                BackdoorDebuggingSetBuilder builder = BackdoorDebuggingSetBuilder.of(v.model(), data.pool()).optSeed(options.seed());
                found.put(d, TargetIdentification.addTriggers(v.model(), data.pool(), identification, options.seed(), builder)
                        .orElseThrow(() -> new IllegalStateException(d + ": neither the target search nor the MAD test found"
                                + " a target")));
                DebuggingSet debugSet = builder.build();
                DetectorConfig config = options.detectorConfig().build();
                try (PatchBundle bundle = AtPatch.builder().setModel(v.model()).optDetectorConfig(config).build()
                        .trainBundle(debugSet)) {
                    Path file = bundles.resolve(d + ".zip");
                    bundle.save(file);
                    saved.put(d, file);
                }
            }
            ResultTable table = new ResultTable("detector trained on", "applied to", "target identified (target victim)",
                    "acc before", "acc after", "ASR before", "ASR after", "clean inputs re-run", "triggered inputs re-run");
            for (String from : DOMAINS) {
                for (String to : DOMAINS) {
                    BackdoorVictim v = victims.get(to);
                    var device = v.model().getNDManager().getDevice();
                    PatchBundle own = PatchBundle.load(saved.get(to), device);
                    PatchBundle moved = from.equals(to) ? own : transplant(PatchBundle.load(saved.get(from), device), own);
                    if (moved != own) {
                        own.detector().close();
                    }
                    try (PatchedModel patched = PatchedModel.fromBundle(moved, v.model())) {
                        BackdoorVictim.Evaluation e = v.evaluate(patched);
                        LOG.info("detector of {} on {}: {}", from, to, e);
                        table.add(from, to, found.get(to), percentWithSign(v.accBefore()),
                                percentWithSign(e.acc()), percentWithSign(v.asrBefore()), percentWithSign(e.asr()), percentWithSign(e.cleanFlagged()),
                                percentWithSign(e.triggeredFlagged()));
                    }
                }
            }
            write(table);
        } finally {
            victims.values().forEach(BackdoorVictim::close);
            // The bundles only carry detectors from one victim's cell to another's within this run.
            for (Path f : saved.values()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(bundles);
        }
        return 0;
    }

    private void write(ResultTable table) throws IOException {
        Files.createDirectories(out);
        table.writeCsv(out.resolve("ood.csv"));
        String md = "# Out of domain (paper §5.2)\n\nMade by:\n\n```bash\nmvn -B -ntp -q install -DskipTests\n"
                + "mvn -pl examples/harness exec:exec@ood -Datpatch.data=DIR -Dood.args=\"" + options.args() + "\"\n```\n\n"
                + "Victims: small ViTs (28 × 28, patch 4, depth 2, width 64) on the first " + options.train() + " training"
                + " images, " + options.epochs() + " epochs, BadNets 4 × 4 checkerboard at (24, 24) → class " + options.target()
                + " at poison rate " + options.poisonRate() + "; defender's pool: the first " + POOL + " test images;"
                + " evaluation: the next " + EVAL
                + ". The detector, τ and patch rule come from the victim in the first column, Q and the token states"
                + " from the victim in the second.\n\n" + table.markdown();
        byte[] text = md.getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(out.resolve("README.md"), w -> w.write(text));
    }
}
