package org.atpatch.examples.spark;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.atpatch.detector.DetectorConfig;
import org.atpatch.djl.AtPatch;
import org.atpatch.djl.LabelledData;
import org.atpatch.djl.PatchedModel;
import org.atpatch.djl.debugset.BackdoorDebuggingSetBuilder;
import org.atpatch.djl.debugset.PlantedBackdoor;
import org.atpatch.djl.model.VisionTransformer;
import org.atpatch.spark.ModelWeights;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The programs' victim: the library's planted-backdoor fixture (16×16 gratings in 6 classes, a ViT
 * with 4×4 patches, depth 2, width 32, 4 heads, and a BadNets 3×3 square that sends images to class
 * {@link PlantedBackdoor#TARGET}), its weights file, and a patch bundle trained with AtPatch's
 * defaults but {@value #PAIRS} pairs and {@value #DETECTOR_EPOCHS} detector epochs (a few minutes on two
 * cores), on a debugging set built from the square on the first half of its 600 test images (the
 * defender's clean pool); the second half is scored.
 */
final class PlantedVictim {

    /** Debugging pairs (the default is 500). */
    static final int PAIRS = 200;
    /** Detector epochs (the default is 50). */
    static final int DETECTOR_EPOCHS = 12;

    private static final Logger LOG = LoggerFactory.getLogger(PlantedVictim.class);

    /** The rows' schema: an id, whether the square was stamped, the true label, and the image. */
    static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("triggered", DataTypes.BooleanType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);

    private PlantedVictim() {}

    /**
     * The victim's architecture, for {@link org.atpatch.spark.ModelFactory}: the fixture's ViT with
     * its initial weights, which the weights file replaces.
     *
     * @return the model
     */
    static Model newModel() {
        Model model = Model.newInstance("planted-backdoor");
        VisionTransformer vit = VisionTransformer.builder().setImageSize(16).setPatchSize(4).setDepth(2).setWidth(32)
                .setHeads(4).setClasses(6).build();
        model.setBlock(vit);
        vit.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 16, 16));
        return model;
    }

    /**
     * Where the files are.
     *
     * @param weights the victim's weights
     * @param bundle its patch bundle
     */
    record VictimFiles(Path weights, Path bundle) {}

    /**
     * Trains the victim (seeded) and its bundle and writes them to {@code dir}.
     *
     * @param dir the folder
     * @return the files
     * @throws IOException when they cannot be written
     */
    static VictimFiles write(Path dir) throws IOException {
        VictimFiles f = new VictimFiles(dir.resolve("planted-vit.params"), dir.resolve("planted-vit.atpatch"));
        long t0 = System.nanoTime();
        PlantedBackdoor victim = PlantedBackdoor.get();
        ModelWeights.save(victim.model, f.weights());
        LabelledData pool = victim.test.range(0, victim.test.size() / 2);
        try (PatchedModel patched = AtPatch.builder().setModel(victim.model)
                .optDetectorConfig(DetectorConfig.builder().optEpochs(DETECTOR_EPOCHS).optSeed(1).optProgressBar(false).build())
                .build()
                .train(BackdoorDebuggingSetBuilder.of(victim.model, pool).addTrigger(victim.trueTrigger)
                        .optPairsPerTrigger(PAIRS).optSeed(1).build())) {
            patched.save(f.bundle());
        }
        LOG.info("trained the victim and its bundle in {} s: {} and {}", (System.nanoTime() - t0) / 1_000_000_000,
                f.weights(), f.bundle());
        return f;
    }

    /**
     * The scored half of the test images, each once clean and, unless of the target class, once
     * with the square.
     *
     * @return the rows, in {@link #SCHEMA}
     */
    static List<Row> rows() {
        PlantedBackdoor victim = PlantedBackdoor.get();
        LabelledData scored = victim.test.range(victim.test.size() / 2, victim.test.size());
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < scored.size(); i++) {
            rows.add(RowFactory.create(rows.size(), false, scored.labels()[i], scored.sample(i)));
            if (scored.labels()[i] != PlantedBackdoor.TARGET) {
                rows.add(RowFactory.create(rows.size(), true, scored.labels()[i], victim.trueTrigger.apply(scored.sample(i))));
            }
        }
        return rows;
    }
}
