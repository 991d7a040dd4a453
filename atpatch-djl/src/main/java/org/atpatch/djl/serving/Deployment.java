package org.atpatch.djl.serving;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.JsonUtils;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.djl.weights.VitConfig;

/**
 * A patched model ready to serve, saved as one directory and loaded in one call: the victim's
 * architecture ({@value #CONFIG}), its weights in DJL's format ({@value #WEIGHTS_NAME}{@code
 * -0000.params}) and the AtPatch bundle ({@value #BUNDLE}: detector, Q, τ, rule, mode).
 *
 * <pre>{@code
 * Deployment.save(dir, victim, patched);                  // once, after AtPatch.train
 * try (Deployment d = Deployment.load(dir);
 *         Predictor<float[], float[]> p = d.newPredictor()) {
 *     float[] logits = p.predict(pixels);                   // one sample, row-major (C, H, W)
 *     List<float[]> many = p.batchPredict(images);          // one patched batch
 * }
 * }</pre>
 *
 * <p>Victims of the {@link VisionTransformer} family (built here or imported with {@link
 * org.atpatch.djl.weights.WeightImporter}) can be saved; other architectures are refused at save.
 *
 * <p>Owns and closes the victim model, the patched model and the serving model. {@link #patched()} is
 * thread-safe; predictors are not (one per thread).
 */
public final class Deployment implements AutoCloseable {

    /** The architecture file of a deployment directory. */
    public static final String CONFIG = "model.json";
    /** The name of the victim's DJL parameter file ({@code victim-0000.params}). */
    public static final String WEIGHTS_NAME = "victim";
    /** The AtPatch bundle file of a deployment directory. */
    public static final String BUNDLE = "patch.atpatch";

    private static final String FORMAT = "atpatch-deployment";

    private final Model victim;
    private final PatchedModel patched;
    private final Model serving;
    private final PatchedBlock block;

    private Deployment(Model victim, PatchedModel patched) {
        this.victim = victim;
        this.patched = patched;
        VisionTransformer vit = (VisionTransformer) victim.getBlock();
        this.block = new PatchedBlock(patched, vit.sampleInputShape(), vit.classes());
        this.serving = Model.newInstance(victim.getName() + "-patched", victim.getNDManager().getDevice(), "PyTorch");
        serving.setBlock(block);
    }

    /**
     * Serves a patched model held in memory, without a directory.
     *
     * @param victim the victim, whose block is a {@link VisionTransformer}; the deployment takes it over
     * @param patched the patched model wrapping it; the deployment takes it over
     * @return the deployment; closing it closes both
     * @throws IllegalArgumentException when the victim is not a {@link VisionTransformer}
     */
    public static Deployment of(Model victim, PatchedModel patched) {
        requireVit(victim);
        return new Deployment(victim, patched);
    }

    private static VisionTransformer requireVit(Model victim) {
        if (!(victim.getBlock() instanceof VisionTransformer vit)) {
            throw new IllegalArgumentException("only VisionTransformer victims can be deployed, this one is "
                    + (victim.getBlock() == null ? "a model without a block" : victim.getBlock().getClass().getName()));
        }
        return vit;
    }

    /**
     * Writes a deployment directory. The directory is written next to its final place and moved there
     * in one step, so a crash leaves either no directory or a complete one.
     *
     * @param dir the directory to create; must not exist
     * @param victim the victim, whose block is a {@link VisionTransformer}
     * @param patched the patched model trained for it (its detector must be a trained one)
     * @throws FileAlreadyExistsException when {@code dir} exists
     * @throws IOException when writing fails
     * @throws IllegalArgumentException when the victim is not a {@link VisionTransformer}
     */
    public static void save(Path dir, Model victim, PatchedModel patched) throws IOException {
        VisionTransformer vit = requireVit(victim);
        if (Files.exists(dir)) {
            throw new FileAlreadyExistsException(dir.toString(), null, "a deployment is written to a new directory");
        }
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".tmp");
        try {
            JsonObject config = VitConfig.of(vit).toJson();
            config.addProperty("format", FORMAT);
            config.addProperty("version", 1);
            Files.writeString(tmp.resolve(CONFIG), JsonUtils.GSON_PRETTY.toJson(config), StandardCharsets.UTF_8);
            victim.save(tmp, WEIGHTS_NAME);
            patched.save(tmp.resolve(BUNDLE));
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            deleteTree(tmp);
        }
    }

    /**
     * Loads a deployment directory: builds the victim from {@value #CONFIG}, loads its weights and the
     * bundle (whose fingerprint must match the victim).
     *
     * @param dir a directory written by {@link #save}
     * @return the deployment; the caller closes it
     * @throws NoSuchFileException when the directory or one of its files is missing (named)
     * @throws IOException when a file cannot be read or the bundle is damaged
     * @throws MalformedModelException when the weights do not match the architecture
     */
    public static Deployment load(Path dir) throws IOException, MalformedModelException {
        for (String f : new String[] {CONFIG, WEIGHTS_NAME + "-0000.params", BUNDLE}) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new NoSuchFileException(dir.resolve(f).toString(), null, "a deployment directory holds " + CONFIG + ", "
                        + WEIGHTS_NAME + "-0000.params and " + BUNDLE);
            }
        }
        JsonObject config;
        try (Reader r = Files.newBufferedReader(dir.resolve(CONFIG), StandardCharsets.UTF_8)) {
            config = JsonUtils.GSON.fromJson(r, JsonObject.class);
        } catch (JsonParseException e) {
            throw new IOException(dir.resolve(CONFIG) + " is not JSON: " + e.getMessage(), e);
        }
        if (config == null || !config.has("format") || !FORMAT.equals(config.get("format").getAsString())) {
            throw new IOException(dir.resolve(CONFIG) + " is not an AtPatch deployment configuration");
        }
        VitConfig sizes = VitConfig.fromJson(config);
        Model victim = Model.newInstance(WEIGHTS_NAME, "PyTorch");
        try {
            VisionTransformer vit = sizes.toBuilder().build();
            victim.setBlock(vit);
            vit.initialize(victim.getNDManager(), DataType.FLOAT32, new Shape(1, sizes.channels(), sizes.imageSize(),
                    sizes.imageSize()));
            victim.load(dir, WEIGHTS_NAME);
            PatchedModel patched = PatchedModel.load(dir.resolve(BUNDLE), victim);
            return new Deployment(victim, patched);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            victim.close();
            throw e;
        }
    }

    /** @return the victim model (unpatched) */
    public Model victim() {
        return victim;
    }

    /** @return the patched model; thread-safe */
    public PatchedModel patched() {
        return patched;
    }

    /**
     * @return a DJL model whose block runs the patched model, for {@code newPredictor} with another
     *     translator
     */
    public Model servingModel() {
        return serving;
    }

    /** @return a new predictor of {@code float[]} samples to {@code float[]} logits; close it, one per thread */
    public Predictor<float[], float[]> newPredictor() {
        return serving.newPredictor(new PatchedTranslator(block.sampleShape()));
    }

    /**
     * @return a new predictor of images (the model's size; pixels scaled to [0, 1]) to {@code float[]}
     *     logits ({@link PatchedImageTranslator}); close it, one per thread
     * @throws IllegalArgumentException when the model does not take images
     */
    public Predictor<Image, float[]> newImagePredictor() {
        return serving.newPredictor(new PatchedImageTranslator(block.sampleShape()));
    }

    @Override
    public void close() {
        serving.close();
        patched.close();
        victim.close();
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
