package org.atpatch.spark;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM-wide cache of loaded models, keyed by their files: each JVM loads a model and its bundle
 * once and every task of that JVM shares them ({@link org.atpatch.djl.PatchedModel} is thread-safe).
 * A failed load is not cached. Thread-safe.
 */
final class ExecutorModels {

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);
    private static final Map<String, LoadedModel> MODELS = new HashMap<>();
    private static int loads;

    private ExecutorModels() {}

    /**
     * @param source the model's factory and files
     * @param conf Hadoop's configuration, asked for only when the model must be loaded
     * @return the JVM's model for these files
     * @throws IOException when a file is missing or unreadable
     * @throws IllegalArgumentException when the files do not fit each other
     */
    static synchronized LoadedModel get(ModelSource source, Supplier<Configuration> conf) throws IOException {
        LoadedModel m = MODELS.get(source.key());
        if (m == null) {
            long t0 = System.nanoTime();
            m = LoadedModel.load(source, conf.get());
            MODELS.put(source.key(), m);
            loads++;
            LOG.info("loaded the scoring model ({}) in {} ms", source.describe(), (System.nanoTime() - t0) / 1_000_000);
        }
        return m;
    }

    /** @return how many models this JVM has loaded since it started */
    static synchronized int loads() {
        return loads;
    }

    /** Closes and forgets every cached model; tasks still scoring with one fail. */
    static synchronized void closeAll() {
        MODELS.values().forEach(LoadedModel::close);
        MODELS.clear();
    }
}
