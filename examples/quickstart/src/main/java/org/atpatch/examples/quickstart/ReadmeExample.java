package org.atpatch.examples.quickstart;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Path;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.debugset.BackdoorDebuggingSetBuilder;
import org.atpatch.djl.debugset.InversionReport;
import org.atpatch.djl.debugset.TriggerInversion;

/**
 * The README's usage snippet, compiled: the lines between {@code README:begin} and {@code README:end}
 * are the README's, character for character (a test holds them to it and runs them on a small
 * backdoored model).
 */
public final class ReadmeExample {

    private ReadmeExample() {}

    /**
     * Runs the snippet: inversion, debugging set, AtPatch with its defaults, save, predict, load.
     *
     * @param victim a model built from AtPatch's families or interceptable blocks
     * @param cleanData clean samples the defender holds
     * @param batch inputs to predict, shaped {@code (B, sample...)}
     * @param bundleFile where the bundle is saved
     * @return the patched model loaded back from {@code bundleFile}; the caller closes it
     * @throws IOException when the bundle cannot be written or read
     */
    public static PatchedModel run(Model victim, LabelledData cleanData, NDArray batch, Path bundleFile) throws IOException {
        // README:begin
        InversionReport inversion = TriggerInversion.builder().build().invert(victim, cleanData);
        DebuggingSet debugSet = BackdoorDebuggingSetBuilder.of(victim, cleanData).addTriggers(inversion).build();
        try (PatchedModel patched = AtPatch.builder().setModel(victim).build().train(debugSet)) {
            patched.save(bundleFile);                               // detector + Q + config, written atomically
            NDArray logits = patched.predict(batch);                // online, thread-safe
            PatchResult report = patched.predictWithReport(batch);  // which layers and columns were flagged
        }
        PatchedModel again = PatchedModel.load(bundleFile, victim);
        // README:end
        return again;
    }
}
