package org.atpatch.examples.reproduce;

import java.util.List;
import org.atpatch.detector.DetectorArchitecture;
import org.atpatch.detector.DetectorConfig;
import picocli.CommandLine.Option;

/**
 * The detector options the harness programs share (a picocli mixin): architecture, MLP width and
 * early-stopping patience, each defaulting to the library's, and the arguments that record them.
 */
public final class DetectorOptions {

    @Option(names = "--detector-architecture", description = "the detector network: column-statistics or paper-cnn"
            + " (default: the library's, ${DEFAULT-VALUE})")
    private String architecture = DetectorConfig.defaults().architectureKind().label();

    @Option(names = "--detector-hidden-size", description = "width of the detector's per-column MLP (default: the library's,"
            + " ${DEFAULT-VALUE})")
    private int hiddenSize = DetectorConfig.defaults().hiddenSize();

    @Option(names = "--detector-patience", description = "epochs without validation improvement before the detector's training"
            + " stops, 0 for never (default: the library's, ${DEFAULT-VALUE})")
    private int patience = DetectorConfig.defaults().patience();

    /**
     * @param b a detector configuration builder
     * @return {@code b} with this run's architecture, MLP width and patience
     * @throws IllegalArgumentException naming an unknown architecture
     */
    public DetectorConfig.Builder applyTo(DetectorConfig.Builder b) {
        return b.optArchitecture(DetectorArchitecture.Kind.byName(architecture)).optHiddenSize(hiddenSize).optPatience(patience);
    }

    /** @return the options as recorded in a results folder's command */
    public List<String> args() {
        return List.of("--detector-architecture", architecture, "--detector-hidden-size", Integer.toString(hiddenSize),
                "--detector-patience", Integer.toString(patience));
    }
}
