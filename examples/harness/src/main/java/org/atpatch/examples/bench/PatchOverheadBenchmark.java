package org.atpatch.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

/**
 * What patching costs on the MNIST-sized ViT of {@link VitBenchFixture}, detector cost excluded (the
 * detectors are a few tiny indexing ops per layer): the unpatched forward, the patched model when
 * nothing is flagged, and when every sample is flagged (so every sample is re-run) under Γ and under
 * the token-state rule, at batch 1 and 256. Run it with {@link PatchOverheadRunner}, which prints the
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

    /** The variants of the overhead table, in table order; the first is the baseline. */
    public static final List<String> VARIANTS = BenchVariants.MAIN;

    /** Batch size. */
    @Param({"1", "256"})
    public int batch;

    /**
     * What is timed: unpatched, patched-none, patched-all-gamma, patched-all-tokenstate, or a
     * diagnostic variant of {@link BenchVariants}.
     */
    @Param({"unpatched", "patched-none", "patched-all-gamma", "patched-all-tokenstate"})
    public String variant;

    private VitBenchFixture fixture;
    private BenchVariants variants;
    private NDManager inputs;
    private Runnable call;

    /**
     * Builds the model, Q, every patched model and the input (the same in every variant's JVM), and
     * checks that the variant does what its name says.
     */
    @Setup(Level.Trial)
    public void setUp() {
        fixture = VitBenchFixture.create(42);
        variants = new BenchVariants(fixture);
        inputs = fixture.manager.newSubManager();
        NDArray x = VitBenchFixture.images(inputs, batch);
        variants.check(variant, x);
        call = variants.call(variant, inputs, x);
    }

    /** Frees the input, the patched models' device statistics and the model. */
    @TearDown(Level.Trial)
    public void tearDown() {
        inputs.close();
        variants.close();
        fixture.close();
    }

    /** One predict call of the variant; its outputs are freed inside the call. */
    @Benchmark
    public void predict() {
        call.run();
    }
}
