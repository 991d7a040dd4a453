package org.atpatch.djl.model;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.detector.DjlOffline;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.DebuggingSet;
import org.atpatch.djl.ModelFingerprint;
import org.atpatch.djl.PatchResult;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.patch.PatchRules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The six small victims behind the saved-model fixtures in {@code src/test/resources/legacy-v1/},
 * and the writer that made those files.
 *
 * <p>Each family is built at a small size, initialised from a fixed seed, and every parameter is
 * then moved by seeded Gaussian noise, so that no two parameters of the same shape hold the same
 * values (fresh LayerNorm gains, for instance, are all ones): a loader that put a saved array into
 * the wrong parameter changes the logits. For each family the writer saves the model with {@link
 * Model#save} as {@code <name>-0000.params}, a fixed input with its logits as {@code <name>.io} (an
 * encoded {@link NDList}: input, logits), its parameters as {@code <name>.parameters} ({@code name
 * shape} lines under canonical names, {@link ParameterNames}, which at layout version 1 were DJL's
 * own), and its {@link ModelFingerprint} in {@code fingerprints.txt}. For the ViT it also trains a
 * patch bundle ({@code vit.atpatch}) and records a patched forward ({@code vit-patched.io}: input,
 * patched logits, per sample 1 when patched else 0).
 *
 * <p>The files in {@code legacy-v1/} were written by this class at parameter layout version 1;
 * they must not be regenerated, since their point is to stay what that layout wrote. Run the writer
 * only into a fresh folder: {@code mvn -pl atpatch-djl -am test -Dtest=LegacyFixtures
 * -Dsurefire.failIfNoSpecifiedTests=false -Datpatch.legacyFixtures.dir=/some/folder}.
 */
public class LegacyFixtures {

    static {
        DjlOffline.configure();
    }

    /** A family's fixture: its file name and how to build it, uninitialised. */
    record Victim(String name, Supplier<TransformerFamily> build, Shape inputShape) {}

    /** The six families, small. */
    static final List<Victim> VICTIMS = List.of(
            new Victim("vit", LegacyFixtures::vit, new Shape(6, 1, 8, 8)),
            new Victim("swin", () -> SwinTransformer.builder().setImageSize(16).setPatchSize(2).setWindowSize(4)
                    .setStageDepths(2, 2).setWidth(8).setHeads(2).setClasses(3).build(), new Shape(3, 1, 16, 16)),
            new Victim("t2t", () -> T2TViT.builder().setImageSize(8).addSoftSplit(3, 2, 1).addSoftSplit(3, 1, 1)
                    .addSoftSplit(3, 1, 1).optTokenWidth(8).setDepth(2).setWidth(16).setHeads(2).setClasses(3).build(),
                    new Shape(3, 3, 8, 8)),
            new Victim("tab", () -> TabTransformer.builder().addNumericFeature("age").addNumericFeature("hours")
                    .addCategoricalFeature("workclass", 4).addCategoricalFeature("sex", 2)
                    .addCategoricalFeature("race", 5).setDepth(2).setWidth(8).setHeads(2).setClasses(2)
                    .optHeadHidden(8).build(), new Shape(5, 5)),
            new Victim("ft", () -> FTTransformer.builder().addNumericFeature("age").addNumericFeature("hours")
                    .addCategoricalFeature("sex", 2).addCategoricalFeature("race", 5).setDepth(2).setWidth(8)
                    .setHeads(2).setClasses(2).build(), new Shape(5, 4)),
            new Victim("tabert", () -> TaBertStyleEncoder.builder().addNumericFeature("age", 25, 45)
                    .addNumericFeature("priors", 1, 4, 10).addCategoricalFeature("sex", 2)
                    .addCategoricalFeature("race", 6).setDepth(2).setWidth(8).setHeads(2).setClasses(2).build(),
                    new Shape(5, 4)));

    private static VisionTransformer vit() {
        return VisionTransformer.builder().setImageSize(8).setPatchSize(2).setDepth(2).setWidth(16).setHeads(2)
                .setClasses(4).build();
    }

    /**
     * The fixed input of a family: images uniform in [0, 1); tabular rows with numeric values in
     * [0, 60) and codes inside each feature's range. From {@link Random}, so independent of the
     * engine's generator.
     */
    static NDArray input(NDManager m, Victim v) {
        Random r = new Random(v.name().hashCode());
        Shape s = v.inputShape();
        float[] x = new float[(int) s.size()];
        switch (v.name()) {
            case "tab" -> fillRows(x, r, 5, 2, new int[] {4, 2, 5});
            case "ft" -> fillRows(x, r, 4, 2, new int[] {2, 5});
            case "tabert" -> fillRows(x, r, 4, 2, new int[] {2, 6});
            default -> {
                for (int i = 0; i < x.length; i++) {
                    x[i] = r.nextFloat();
                }
            }
        }
        return m.create(x, s);
    }

    private static void fillRows(float[] x, Random r, int features, int numeric, int[] cardinalities) {
        for (int row = 0; row < x.length / features; row++) {
            for (int f = 0; f < numeric; f++) {
                x[row * features + f] = r.nextFloat() * 60f;
            }
            for (int c = 0; c < cardinalities.length; c++) {
                x[row * features + numeric + c] = r.nextInt(cardinalities[c]);
            }
        }
    }

    /**
     * A family's model: built, initialised from {@code seed}, every parameter moved by noise, drawn
     * in canonical order ({@link ParameterNames}), which is DJL's order at layout version 1.
     */
    static Model newModel(Victim v, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        Model model = Model.newInstance(v.name());
        TransformerFamily block = v.build().get();
        model.setBlock(block);
        Shape one = new Shape(1).addAll(v.inputShape().slice(1));
        block.initialize(model.getNDManager(), DataType.FLOAT32, one);
        for (Pair<String, Parameter> p : ParameterNames.canonical(block)) {
            NDArray a = p.getValue().getArray();
            a.addi(model.getNDManager().randomNormal(0f, 0.1f, a.getShape(), DataType.FLOAT32));
        }
        return model;
    }

    /** The model's parameters as {@code name shape} lines, canonical names in canonical order. */
    static String parameterLines(Block block) {
        StringBuilder s = new StringBuilder();
        for (Pair<String, Parameter> p : ParameterNames.canonical(block)) {
            s.append(p.getKey()).append(' ').append(p.getValue().getArray().getShape()).append('\n');
        }
        return s.toString();
    }

    /** Clean images and the same images with a bright 2 × 2 square at pixels (6..7, 6..7). */
    static DebuggingSet debuggingSet() {
        Random r = new Random(5);
        DebuggingSet.Builder b = DebuggingSet.builder(DebuggingSet.Kind.BACKDOOR, new Shape(1, 8, 8), 17);
        boolean[] columns = new boolean[17];
        columns[16] = true;
        for (int i = 0; i < 32; i++) {
            float[] x = new float[64];
            for (int j = 0; j < x.length; j++) {
                x[j] = r.nextFloat() * 0.5f;
            }
            b.addPair(x, triggered(x), columns);
        }
        return b.optProvenance("method", "legacy fixture square").build();
    }

    private static float[] triggered(float[] x) {
        float[] t = x.clone();
        for (int row = 6; row < 8; row++) {
            for (int col = 6; col < 8; col++) {
                t[row * 8 + col] = 1f;
            }
        }
        return t;
    }

    /** The patched forward's input: the ViT's fixed images, the last three with the square. */
    static NDArray patchedInput(NDManager m) {
        float[] x = input(m, VICTIMS.get(0)).toFloatArray();
        for (int i = 3; i < 6; i++) {
            float[] t = triggered(java.util.Arrays.copyOfRange(x, i * 64, (i + 1) * 64));
            System.arraycopy(t, 0, x, i * 64, 64);
        }
        return m.create(x, new Shape(6, 1, 8, 8));
    }

    /**
     * Writes every fixture into {@code dir}.
     *
     * @param dir the folder, created when needed
     * @throws IOException when a file cannot be written
     */
    static void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> fingerprints = new ArrayList<>();
        for (int i = 0; i < VICTIMS.size(); i++) {
            Victim v = VICTIMS.get(i);
            try (Model model = newModel(v, 100 + i); NDManager m = model.getNDManager().newSubManager()) {
                NDArray x = input(m, v);
                float[] logits = FamilyChecks.unpatched(model, x);
                model.save(dir, v.name());
                Files.write(dir.resolve(v.name() + ".io"),
                        new NDList(x, m.create(logits, new Shape(v.inputShape().get(0), logits.length / v.inputShape().get(0))))
                                .encode());
                Files.writeString(dir.resolve(v.name() + ".parameters"), parameterLines(model.getBlock()),
                        StandardCharsets.UTF_8);
                fingerprints.add(v.name() + "=" + ModelFingerprint.of(model.getBlock()));
                if (v.name().equals("vit")) {
                    writeBundle(dir, model, m);
                }
            }
        }
        Files.write(dir.resolve("fingerprints.txt"), fingerprints, StandardCharsets.UTF_8);
    }

    private static void writeBundle(Path dir, Model model, NDManager m) throws IOException {
        AtPatch atPatch = AtPatch.builder().setModel(model).optPatchRule(PatchRules.tokenStateAndGamma())
                .optQualityGates(org.atpatch.djl.QualityGates.disabled()) // a fixture of the format, not a working patch
                .optDetectorConfig(DetectorConfig.paper().toBuilder().optEpochs(2).optProgressBar(false)
                        .optValidationFraction(0.25).optSeed(7).build())
                .build();
        try (PatchedModel patched = atPatch.train(debuggingSet())) {
            patched.save(dir.resolve("vit.atpatch"));
            NDArray x = patchedInput(m);
            PatchResult r = patched.predictWithReport(x);
            float[] flags = new float[r.reports().size()];
            for (int i = 0; i < flags.length; i++) {
                flags[i] = r.reports().get(i).patched() ? 1f : 0f;
            }
            Files.write(dir.resolve("vit-patched.io"), new NDList(x, r.logits(), m.create(flags)).encode());
        }
    }

    /** Runs the writer when {@code atpatch.legacyFixtures.dir} names a folder; skipped otherwise. */
    @Test
    @EnabledIfSystemProperty(named = "atpatch.legacyFixtures.dir", matches = ".+")
    void writeFixtures() throws IOException {
        write(Path.of(System.getProperty("atpatch.legacyFixtures.dir")));
    }
}
