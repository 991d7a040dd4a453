package org.atpatch.examples.quickstart;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.debugset.BackdoorDebuggingSetBuilder;
import org.atpatch.djl.debugset.InversionReport;
import org.atpatch.djl.debugset.TriggerInversion;
import org.atpatch.djl.serving.Deployment;
import org.atpatch.djl.weights.ImportProfile;
import org.atpatch.djl.weights.TensorFile;
import org.atpatch.djl.weights.WeightImporter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A ViT trained elsewhere, protected and served: import a timm-layout (or Hugging Face) state dict
 * from a file, invert the trigger on the defender's clean data, build the debugging set, train
 * AtPatch with its defaults, save a deployment directory, load it in one call and serve it through a
 * DJL {@link Predictor}.
 *
 * <pre>
 * java ... org.atpatch.examples.quickstart.ImportedVitExample --weights model.safetensors \
 *     --config config.json --clean clean.npz --out deployed [--profile hf]
 * </pre>
 *
 * <p>{@code clean.npz} holds {@code inputs} {@code (n, C, H, W)}, preprocessed as the model expects,
 * and {@code labels} {@code (n)}.
 */
@Command(name = "imported-vit", mixinStandardHelpOptions = true,
        description = "Import a timm or Hugging Face ViT, hot-fix it with AtPatch and serve it through a DJL Predictor.")
public final class ImportedVitExample implements Callable<Integer> {

    @Option(names = "--weights", required = true, description = "The state dict: .safetensors, .npz or .npy.")
    Path weights;

    @Option(names = "--config", required = true, description = "The source's config.json.")
    Path config;

    @Option(names = "--profile", description = "timm or hf (default ${DEFAULT-VALUE}).")
    String profile = "timm";

    @Option(names = "--clean", required = true, description = "Clean samples the defender holds: .npz with inputs and labels.")
    Path clean;

    @Option(names = "--out", description = "The deployment directory to write; must not exist (default ${DEFAULT-VALUE}).")
    Path out = Path.of("target", "imported-vit");

    /**
     * Imports, hot-fixes, saves a deployment and serves {@code toServe} through a predictor of the
     * loaded deployment.
     *
     * @param weights the state dict
     * @param config the source's configuration
     * @param profile the source's naming
     * @param cleanData clean samples the defender holds
     * @param deployment the deployment directory to write; must not exist
     * @param toServe samples to predict, each one sample's pixels row-major
     * @return their logits, from the loaded deployment's predictor
     * @throws IOException when a file cannot be read or written
     * @throws MalformedModelException when the weights do not fit the profile and configuration
     * @throws TranslateException when serving fails
     */
    public static List<float[]> run(Path weights, Path config, ImportProfile profile, LabelledData cleanData,
            Path deployment, List<float[]> toServe) throws IOException, MalformedModelException, TranslateException {
        try (Model victim = WeightImporter.builder().setProfile(profile).setWeights(weights).optConfig(config).build()
                .importModel()) {
            InversionReport inversion = TriggerInversion.builder().build().invert(victim, cleanData);
            DebuggingSet debugSet = BackdoorDebuggingSetBuilder.of(victim, cleanData).addTriggers(inversion).build();
            try (PatchedModel patched = AtPatch.builder().setModel(victim).build().train(debugSet)) {
                Deployment.save(deployment, victim, patched);
            }
        }
        try (Deployment served = Deployment.load(deployment);
                Predictor<float[], float[]> predictor = served.newPredictor()) {
            return predictor.batchPredict(toServe);
        }
    }

    @Override
    public Integer call() throws Exception {
        ImportProfile p = switch (profile) {
            case "timm" -> ImportProfile.timmVit();
            case "hf" -> ImportProfile.huggingFaceVit();
            default -> throw new CommandLine.ParameterException(new CommandLine(this), "--profile is timm or hf, got " + profile);
        };
        LabelledData cleanData;
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t = TensorFile.read(m, clean);
            NDArray x = t.get("inputs");
            NDArray y = t.get("labels");
            if (x == null || y == null) {
                throw new IllegalArgumentException(clean + " must hold 'inputs' and 'labels', has " + t.keySet());
            }
            float[] labels = y.toFloatArray();
            int[] ints = new int[labels.length];
            for (int i = 0; i < ints.length; i++) {
                ints[i] = Math.round(labels[i]);
            }
            cleanData = new LabelledData(x.toFloatArray(), ints, new Shape(x.getShape().slice(1).getShape()));
        }
        int n = Math.min(8, cleanData.size());
        List<float[]> toServe = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            toServe.add(cleanData.sample(i));
        }
        List<float[]> logits = run(weights, config, p, cleanData, out, toServe);
        for (int i = 0; i < n; i++) {
            System.out.println(String.format(Locale.ROOT, "sample %d: label %d, predicted %d", i, cleanData.labels()[i],
                    argmax(logits.get(i))));
        }
        System.out.println("deployment written to " + out.toAbsolutePath());
        return 0;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * @param args see the class description
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ImportedVitExample()).execute(args));
    }
}
