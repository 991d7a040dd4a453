package org.atpatch.examples.reproduce;

import java.util.List;
import org.atpatch.detector.DetectorArchitecture;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.TauSelection;
import picocli.CommandLine.Option;

/**
 * The detector options the harness programs share (a picocli mixin): architecture, MLP width,
 * early-stopping patience and the kept epoch, each defaulting to the library's, and the arguments that
 * record them.
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

    @Option(names = "--detector-kept-epoch", description = "which epoch's parameters the detector keeps: best-validation"
            + " or last (default: the library's, ${DEFAULT-VALUE})")
    private String keptEpoch = DetectorConfig.defaults().keptEpoch().label();

    /**
     * @param b a detector configuration builder
     * @return {@code b} with this run's architecture, MLP width, patience and kept epoch
     * @throws IllegalArgumentException naming an unknown architecture or kept epoch
     */
    public DetectorConfig.Builder applyTo(DetectorConfig.Builder b) {
        return b.optArchitecture(DetectorArchitecture.Kind.byName(architecture)).optHiddenSize(hiddenSize).optPatience(patience)
                .optKeptEpoch(DetectorConfig.KeptEpoch.byLabel(keptEpoch));
    }

    /** @return the kept epoch's label, as given */
    public String keptEpoch() {
        return keptEpoch;
    }

    /** @return the options as recorded in a results folder's command */
    public List<String> args() {
        return List.of("--detector-architecture", architecture, "--detector-hidden-size", Integer.toString(hiddenSize),
                "--detector-patience", Integer.toString(patience), "--detector-kept-epoch", keptEpoch);
    }

    /**
     * @param name a τ selection's name: {@code max-f1}, or {@code clean-R} for at most R of the validation
     *     split's clean inputs flagged (e.g. {@code clean-0.05})
     * @return the selection
     * @throws IllegalArgumentException naming the forms there are
     */
    public static TauSelection tauSelection(String name) {
        if (name.equals("max-f1")) {
            return TauSelection.maxF1();
        }
        if (name.startsWith("clean-")) {
            return TauSelection.targetCleanInputRate(Double.parseDouble(name.substring("clean-".length())));
        }
        throw new IllegalArgumentException("unknown τ selection '" + name + "': use max-f1 or clean-R, e.g. clean-0.05");
    }
}
