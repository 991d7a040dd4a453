package org.atpatch.examples.reproduce;

import ai.djl.Model;
import java.io.IOException;
import java.nio.file.Path;
import org.atpatch.djl.Predictions;
import org.atpatch.core.Metrics;
import org.atpatch.djl.debugset.ProtectedAttribute;
import org.atpatch.djl.interception.InterceptableTransformer;
import org.atpatch.djl.testing.VictimTrainer;
import org.atpatch.examples.data.AdultCensus;
import org.atpatch.examples.data.BankMarketing;
import org.atpatch.examples.data.Compas;
import org.atpatch.examples.data.DataDirectory;
import org.atpatch.examples.data.LabelBias;
import org.atpatch.examples.data.TabularDataset;
import org.atpatch.examples.data.VictimCache;

/**
 * A trained tabular victim: the dataset's splits, the model of one {@link TabularFamily} trained on the
 * train split (or loaded from the {@link VictimCache} by a hash of the whole configuration), and how
 * long training took. Closing it closes the model.
 */
public final class TabularVictim implements AutoCloseable {

    private final TabularDataset data;
    private final TabularFamily family;
    private final InterceptableTransformer block;
    private final Model model;
    private final boolean cached;
    private final double trainSeconds;

    private TabularVictim(TabularDataset data, TabularFamily family, InterceptableTransformer block, Model model,
            boolean cached, double trainSeconds) {
        this.data = data;
        this.family = family;
        this.block = block;
        this.model = model;
        this.cached = cached;
        this.trainSeconds = trainSeconds;
    }

    /**
     * The training settings of a victim.
     *
     * @param depth encoder layers
     * @param width token width
     * @param heads attention heads
     * @param epochs training epochs
     * @param batch batch size
     * @param lr peak AdamW learning rate
     * @param seed training seed
     */
    public record Settings(int depth, int width, int heads, int epochs, int batch, float lr, long seed) {
        /** The settings the reproduction uses: 3 layers, width 32, 4 heads, 20 epochs, batch 256, lr 1e-3. */
        public static Settings defaults(long seed) {
            return new Settings(3, 32, 4, 20, 256, 1e-3f, seed);
        }
    }

    /**
     * Loads a tabular benchmark with its default split.
     *
     * @param dir the data directory
     * @param dataset {@code adult}, {@code compas} or {@code bank}
     * @return the encoded dataset
     * @throws IOException when a file is missing or damaged
     */
    public static TabularDataset load(DataDirectory dir, String dataset) throws IOException {
        return switch (dataset) {
            case "adult" -> AdultCensus.load(dir, AdultCensus.DEFAULT_SPLIT);
            case "compas" -> Compas.load(dir, Compas.DEFAULT_SPLIT);
            case "bank" -> BankMarketing.load(dir, BankMarketing.DEFAULT_SPLIT);
            default -> throw new IllegalArgumentException("unknown dataset '" + dataset + "': adult, compas or bank");
        };
    }

    /**
     * Trains (or loads) the victim.
     *
     * @param data the dataset
     * @param family the model family
     * @param s the training settings
     * @param cache the victim cache folder
     * @return the trained victim
     * @throws IOException when the cache cannot be written
     */
    public static TabularVictim trainOrLoad(TabularDataset data, TabularFamily family, Settings s, Path cache)
            throws IOException {
        return trainOrLoad(data, family, s, cache, null);
    }

    /**
     * Trains (or loads) a victim on a train split with a planted dependence on a protected attribute.
     *
     * @param data the dataset, its labels as read
     * @param family the model family
     * @param s the training settings
     * @param cache the victim cache folder
     * @param bias how the train split's labels are biased first, or null for none; it enters the cache key
     * @return the trained victim, whose {@link #data()} has the biased train split
     * @throws IOException when the cache cannot be written
     */
    public static TabularVictim trainOrLoad(TabularDataset data, TabularFamily family, Settings s, Path cache,
            LabelBias bias) throws IOException {
        TabularDataset trainedOn = bias == null ? data : bias.applyTo(data);
        InterceptableTransformer block = family.build(trainedOn, s.depth(), s.width(), s.heads());
        Model model = Model.newInstance(family.name().toLowerCase(java.util.Locale.ROOT) + "-" + trainedOn.spec().name());
        try {
            model.setBlock(block);
            VictimTrainer.initialize(model, block.sampleInputShape(), s.seed());
            VictimTrainer trainer = VictimTrainer.builder().optEpochs(s.epochs()).optBatchSize(s.batch())
                    .optLearningRate(s.lr()).optSeed(s.seed()).optProgress(false).build();
            String config = block.fingerprint() + "|data=" + VictimCache.hash(trainedOn.describe()) + "|epochs=" + s.epochs()
                    + "|batch=" + s.batch() + "|lr=" + s.lr() + "|seed=" + s.seed() + "|trainer=VictimTrainer defaults"
                    + VictimTrainer.SEEDED_INIT_KEY + (bias == null ? "" : "|label-bias=" + bias);
            long t0 = System.nanoTime();
            boolean cached = new VictimCache(cache).trainOrLoad(model, config, () -> trainer.fit(model, trainedOn.train()));
            return new TabularVictim(trainedOn, family, block, model, cached, (System.nanoTime() - t0) / 1e9);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** @return the dataset */
    public TabularDataset data() {
        return data;
    }

    /** @return the family */
    public TabularFamily family() {
        return family;
    }

    /** @return the model block */
    public InterceptableTransformer block() {
        return block;
    }

    /** @return the trained model */
    public Model model() {
        return model;
    }

    /** @return whether the weights came from the cache */
    public boolean cached() {
        return cached;
    }

    /** @return seconds spent training (or loading) */
    public double trainSeconds() {
        return trainSeconds;
    }

    /**
     * @param name a protected attribute of the dataset
     * @return it, placed on this model's token columns
     */
    public ProtectedAttribute attribute(String name) {
        return data.protectedAttribute(block, name);
    }

    /** @return clean accuracy on the test split */
    public double testAccuracy() {
        return Metrics.accuracy(Predictions.classes(model, data.test(), 1024), data.test().labels());
    }

    @Override
    public void close() {
        model.close();
    }
}
