package org.atpatch.spark;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/** Reads the model's files through Hadoop's file systems, so that any URI the cluster can read works. */
final class HadoopFiles {

    private HadoopFiles() {}

    /**
     * @param uri a path or URI ({@code /data/v.params}, {@code hdfs://nn/v.params}, {@code s3a://bucket/v.params})
     * @param conf Hadoop's configuration
     * @param what what the file is, for the message
     * @return the open stream
     * @throws IOException naming the file when it is missing or unreadable
     */
    static InputStream open(String uri, Configuration conf, String what) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
        try {
            FileSystem fs = p.getFileSystem(conf);
            return fs.open(p);
        } catch (FileNotFoundException e) {
            throw new IOException("no " + what + " at " + uri, e);
        } catch (IOException e) {
            throw new IOException("cannot read the " + what + " at " + uri + ": " + e.getMessage(), e);
        }
    }

    /**
     * Copies a file to a local temporary file; the caller deletes it.
     *
     * @param uri the file
     * @param conf Hadoop's configuration
     * @param what what the file is, for the message
     * @return the local copy
     * @throws IOException when the file is missing or unreadable
     */
    static Path copyToLocal(String uri, Configuration conf, String what) throws IOException {
        Path local = Files.createTempFile("atpatch-spark", ".tmp");
        try (InputStream in = open(uri, conf, what)) {
            Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
            return local;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(local);
            throw e;
        }
    }

    /** @return the configuration as bytes, to ship to executors */
    static byte[] serialise(Configuration conf) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            conf.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @return the configuration {@link #serialise} wrote */
    static Configuration deserialise(byte[] bytes) {
        Configuration conf = new Configuration(false);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            conf.readFields(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return conf;
    }
}
