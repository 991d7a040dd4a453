package org.atpatch.djl.render;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.atpatch.core.AtomicFiles;

/** Writes pictures as PNG files, atomically. */
final class PngFiles {

    private PngFiles() {}

    /**
     * @param img the picture
     * @param file the PNG file to create or replace; its folder is created if missing
     * @throws IOException on failure; an existing file is left intact
     */
    static void write(BufferedImage img, Path file) throws IOException {
        AtomicFiles.write(file, out -> {
            if (!ImageIO.write(img, "png", out)) {
                throw new IOException("no PNG writer available for " + file);
            }
        });
    }
}
