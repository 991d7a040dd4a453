package org.atpatch.examples.data;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import org.atpatch.core.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trained victims cached by a hash of their full configuration (architecture, data, attack, seed,
 * training schedule), so a rerun only evaluates. Entries are written atomically; a damaged entry is
 * reported and retrained.
 */
public final class VictimCache {

    private static final Logger LOG = LoggerFactory.getLogger(VictimCache.class);

    private final Path dir;

    /**
     * @param dir the cache folder (created when needed)
     */
    public VictimCache(Path dir) {
        this.dir = dir;
    }

    /**
     * Loads the model's parameters for a configuration, or trains and stores them.
     *
     * @param model the model with an initialised block
     * @param configuration every setting that shapes the trained weights
     * @param train trains the model in place
     * @return whether the victim came from the cache
     * @throws IOException when the cache cannot be written
     */
    public boolean trainOrLoad(Model model, String configuration, Runnable train) throws IOException {
        Path file = dir.resolve(hash(configuration) + ".params");
        if (Files.exists(file)) {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
                model.getBlock().loadParameters(model.getNDManager(), new DataInputStream(in));
                LOG.info("victim loaded from cache {} ({})", file, configuration);
                return true;
            } catch (IOException | MalformedModelException | RuntimeException e) {
                LOG.warn("cached victim {} is unreadable ({}); retraining", file, e.getMessage());
            }
        }
        long t0 = System.nanoTime();
        train.run();
        LOG.info("victim trained in {} s; caching it as {}", String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9), file);
        AtomicFiles.write(file, out -> {
            DataOutputStream d = new DataOutputStream(out);
            model.getBlock().saveParameters(d);
            d.flush();
        });
        return false;
    }

    /**
     * @param configuration a configuration string
     * @return its SHA-256, hex
     */
    public static String hash(String configuration) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(configuration.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
