package org.atpatch.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchRules;
import org.atpatch.djl.PatchedModel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What patching costs on the MNIST-sized ViT of {@link VitBenchFixture}, detector cost excluded (the
 * detectors are two tiny ops per layer): the unpatched forward, the patched model when nothing is
 * flagged, and when every sample is flagged (so every sample is re-run) under Γ and under the
 * token-state rule, at batch 1 and 256. Run it with {@link PatchOverheadRunner}, which prints the
 * ratios to the unpatched forward; see {@code docs/performance.md}.
 *
 * <p>Every variant builds the same model, statistics and patched models in its trial setup, so the
 * JVMs differ only in what the timed method calls. The input is created once per trial.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Fork(value = 3, jvmArgsAppend = {
    "-Xms1g", "-Xmx1g",
    "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
    "-Dai.djl.pytorch.num_threads=2", "-Dai.djl.pytorch.num_interop_threads=1",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PatchOverheadBenchmark {

    /** The variants, in table order; the first is the baseline. */
    public static final List<String> VARIANTS =
            List.of("unpatched", "patched-none", "patched-all-gamma", "patched-all-tokenstate");

    /** Batch size. */
    @Param({"1", "256"})
    public int batch;

    /** What is timed; see {@link #VARIANTS}. */
    @Param({"unpatched", "patched-none", "patched-all-gamma", "patched-all-tokenstate"})
    public String variant;

    private VitBenchFixture fixture;
    private NDManager inputs;
    private NDArray x;
    private Block block;
    private PatchedModel none;
    private PatchedModel allGamma;
    private PatchedModel allTokenState;
    private PatchedModel timed;

    /** Builds the model, Q, the three patched models and the input; checks what each variant does. */
    @Setup(Level.Trial)
    public void setUp() {
        fixture = VitBenchFixture.create(42);
        block = fixture.model.getBlock();
        none = fixture.patched(fixture.flagsNothing(), PatchRules.gamma());
        allGamma = fixture.patched(fixture.flagsEverySample(), PatchRules.gamma());
        allTokenState = fixture.patched(fixture.flagsEverySample(), PatchRules.tokenStateAtFirstLayer());
        inputs = fixture.manager.newSubManager();
        x = VitBenchFixture.images(inputs, batch);
        timed = switch (variant) {
            case "unpatched" -> null;
            case "patched-none" -> none;
            case "patched-all-gamma" -> allGamma;
            case "patched-all-tokenstate" -> allTokenState;
            default -> throw new IllegalArgumentException("unknown variant " + variant);
        };
        check();
    }

    /** Fails the trial if a variant does not do what its name says. */
    private void check() {
        float[] plain = fixture.unpatchedLogits(x);
        expect(none, 0, plain, true);
        expect(allGamma, batch, plain, false);
        expect(allTokenState, batch, plain, false);
    }

    private void expect(PatchedModel pm, int patched, float[] plain, boolean same) {
        PatchResult r = pm.predictWithReport(x);
        long count = r.reports().stream().filter(p -> p.patched()).count();
        float[] logits = r.logits().toFloatArray();
        r.logits().close();
        if (count != patched) {
            throw new IllegalStateException(pm.patchRule().name() + ": expected " + patched + " patched samples, got " + count);
        }
        if (Arrays.equals(plain, logits) != same) {
            throw new IllegalStateException(pm.patchRule().name() + ": logits should " + (same ? "" : "not ")
                    + "equal the unpatched model's");
        }
    }

    /** Frees the input and the patched models' device statistics, then the model. */
    @TearDown(Level.Trial)
    public void tearDown() {
        inputs.close();
        none.close();
        allGamma.close();
        allTokenState.close();
        fixture.close();
    }

    /**
     * One predict call of the variant.
     *
     * @param bh the black hole
     */
    @Benchmark
    public void predict(Blackhole bh) {
        if (timed == null) {
            try (NDManager sub = inputs.newSubManager()) {
                x.tempAttach(sub);
                bh.consume(block.forward(new ParameterStore(sub, false), new NDList(x), false).singletonOrThrow());
            }
        } else {
            NDArray logits = timed.predict(x);
            bh.consume(logits);
            logits.close();
        }
    }

    /** @return the detector type used by a variant (for documentation) */
    static String describe(String variant) {
        return switch (variant) {
            case "unpatched" -> "model.getBlock().forward(...) in a per-call sub-manager";
            case "patched-none" -> "PatchedModel, Γ, detector flags nothing (pass 1 only)";
            case "patched-all-gamma" -> "PatchedModel, Γ, column " + VitBenchFixture.FLAG_COLUMN + " flagged in every sample (pass 1 + full re-run)";
            case "patched-all-tokenstate" -> "PatchedModel, token state at layer 0, every sample flagged";
            default -> variant;
        };
    }
}
