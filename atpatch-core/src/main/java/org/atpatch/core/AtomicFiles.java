package org.atpatch.core;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file so that a reader sees the old content or the new, never a mix: the data goes to a
 * temporary file beside the target, is forced to disk, then renamed over the target.
 *
 * <p>The temporary file is named {@code .<target>.<pid>.<random>.tmp}. A process killed mid-write
 * leaves it behind; the next write of the same target (and {@link #removeStaleTemporaries}) deletes
 * every such file whose process is gone. Thread-safe.
 */
public final class AtomicFiles {

    /** Writes the content of a file to a stream. */
    @FunctionalInterface
    public interface Writer {
        /**
         * @param out the stream to write to; closed by the caller
         * @throws IOException on failure
         */
        void write(OutputStream out) throws IOException;
    }

    private static final String SUFFIX = ".tmp";

    private AtomicFiles() {}

    private static String prefix(Path target) {
        return "." + target.getFileName() + ".";
    }

    /**
     * Deletes the temporary files that writes of {@code target} by processes no longer running left
     * beside it. Files of live processes (this one included) are kept: they may be writes in progress.
     *
     * @param target the file whose leftovers to remove
     * @throws IOException when the directory cannot be listed or a leftover cannot be deleted
     */
    public static void removeStaleTemporaries(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        String prefix = prefix(target);
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (!name.startsWith(prefix) || !name.endsWith(SUFFIX)) {
                    continue;
                }
                String rest = name.substring(prefix.length());
                int dot = rest.indexOf('.');
                long pid;
                try {
                    pid = Long.parseLong(dot < 0 ? "" : rest.substring(0, dot));
                } catch (NumberFormatException e) {
                    continue; // not one of ours
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                Files.deleteIfExists(f);
            }
        }
    }

    /**
     * Writes {@code target} atomically.
     *
     * @param target the file to create or replace
     * @param writer what to write
     * @throws IOException on failure; the previous file, if any, is left intact
     */
    public static void write(Path target, Writer writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        removeStaleTemporaries(target);
        Path tmp = Files.createTempFile(dir, prefix(target) + ProcessHandle.current().pid() + ".", SUFFIX);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                    OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                writer.write(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
