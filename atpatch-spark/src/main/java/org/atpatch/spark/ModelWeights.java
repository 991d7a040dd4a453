package org.atpatch.spark;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.atpatch.core.AtomicFiles;

/**
 * The weights file the scorer reads: the stream of DJL's {@code Block.saveParameters}, which loads
 * into a block built with the same architecture ({@code Block.loadParameters}).
 */
public final class ModelWeights {

    private ModelWeights() {}

    /**
     * Writes a model's weights atomically (an existing file is replaced only when the write succeeded).
     *
     * @param model a model with an initialised block
     * @param file where to write
     * @throws IOException on failure
     */
    public static void save(Model model, Path file) throws IOException {
        AtomicFiles.write(file, out -> {
            DataOutputStream d = new DataOutputStream(out);
            model.getBlock().saveParameters(d);
            d.flush();
        });
    }

    /**
     * Reads a weights file into a model's block, as each scoring JVM does.
     *
     * @param model a model whose block has the architecture the weights were saved from
     * @param file the weights file
     * @throws IOException when the file is missing or unreadable
     * @throws IllegalArgumentException when the weights do not fit the block
     */
    public static void load(Model model, Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            load(model, in, file.toString());
        } catch (NoSuchFileException e) {
            throw new IOException("no weights file at " + file, e);
        }
    }

    /**
     * Reads weights into a model's block.
     *
     * @param model a model whose block has the architecture the weights were saved from
     * @param in the weights stream; not closed here
     * @param name the file's name for messages
     * @throws IOException when the stream cannot be read
     * @throws IllegalArgumentException when the weights do not fit the block
     */
    static void load(Model model, InputStream in, String name) throws IOException {
        try {
            model.getBlock().loadParameters(model.getNDManager(), new DataInputStream(new BufferedInputStream(in)));
        } catch (MalformedModelException | IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException("the weights at " + name + " do not fit the model the factory builds: "
                    + e.getMessage(), e);
        }
    }
}
