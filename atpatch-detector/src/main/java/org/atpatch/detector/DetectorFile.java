package org.atpatch.detector;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import org.atpatch.core.AtomicFiles;

/**
 * The detector's single-file format.
 *
 * <pre>
 *   8 bytes   magic "ATPDETCT"
 *   int       format version ({@value #FORMAT_VERSION})
 *   int, ..   manifest length, manifest (UTF-8 JSON: format, architecture, provenance, parameter digest)
 *   int, ..   parameter length, parameters (DJL's block parameter stream)
 *   32 bytes  SHA-256 of everything before it
 * </pre>
 *
 * Written atomically ({@link AtomicFiles}); every way a file can be wrong (another file type, a newer
 * format, truncation, a flipped byte, a manifest that does not parse) ends in a {@link
 * DetectorFileException} that says which.
 */
final class DetectorFile {

    static final int FORMAT_VERSION = 1;
    static final String FORMAT_NAME = "atpatch-detector";
    private static final byte[] MAGIC = "ATPDETCT".getBytes(StandardCharsets.US_ASCII);
    private static final int DIGEST = 32;
    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().setPrettyPrinting()
            .disableHtmlEscaping().create();

    private DetectorFile() {}

    /** The parts of a read file. */
    record Contents(DetectorArchitecture architecture, DetectorProvenance provenance, byte[] parameters) {}

    static void write(Path file, DetectorArchitecture arch, DetectorProvenance prov, byte[] params) throws IOException {
        byte[] all = encode(arch, prov, params);
        AtomicFiles.write(file, os -> os.write(all));
    }

    /** The file's bytes: header, manifest, parameters and the SHA-256 of all of them. */
    static byte[] encode(DetectorArchitecture arch, DetectorProvenance prov, byte[] params) throws IOException {
        JsonObject manifest = new JsonObject();
        manifest.addProperty("format", FORMAT_NAME);
        manifest.addProperty("formatVersion", FORMAT_VERSION);
        manifest.add("architecture", GSON.toJsonTree(arch));
        manifest.add("provenance", GSON.toJsonTree(prov));
        manifest.addProperty("parametersSha256", HexFormat.of().formatHex(sha256(params, params.length)));
        byte[] json = GSON.toJson(manifest).getBytes(StandardCharsets.UTF_8);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream(json.length + params.length + 64);
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(MAGIC);
        out.writeInt(FORMAT_VERSION);
        out.writeInt(json.length);
        out.write(json);
        out.writeInt(params.length);
        out.write(params);
        out.flush();
        out.write(sha256(bytes.toByteArray(), bytes.size()));
        out.flush();
        return bytes.toByteArray();
    }

    static Contents read(Path file) throws IOException {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DetectorFileException(file, "no such file");
        }
        return decode(all, file);
    }

    /**
     * @param all a detector file's bytes
     * @param file the name they came under, for messages
     * @return the parts
     * @throws DetectorFileException when the bytes are not a valid detector file
     */
    static Contents decode(byte[] all, Path file) {
        if (all.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(all, MAGIC.length), MAGIC)) {
            throw new DetectorFileException(file, "not an AtPatch detector file (it does not start with \"ATPDETCT\")");
        }
        ByteBuffer buf = ByteBuffer.wrap(all);
        buf.position(MAGIC.length);
        int version = readInt(file, buf, "the format version");
        if (version != FORMAT_VERSION) {
            throw new DetectorFileException(file, "format version " + version + " is not supported; this library"
                    + " reads version " + FORMAT_VERSION);
        }
        byte[] json = readBlock(file, buf, "the manifest");
        byte[] params = readBlock(file, buf, "the parameters");
        if (buf.remaining() < DIGEST) {
            throw new DetectorFileException(file, "truncated: the file ends " + (DIGEST - buf.remaining())
                    + " bytes before the end of its checksum (" + all.length + " bytes read)");
        }
        if (buf.remaining() > DIGEST) {
            throw new DetectorFileException(file, "corrupt: " + (buf.remaining() - DIGEST)
                    + " unexpected bytes after the checksum");
        }
        int bodyLength = buf.position();
        byte[] stored = Arrays.copyOfRange(all, bodyLength, all.length);
        if (!MessageDigest.isEqual(stored, sha256(all, bodyLength))) {
            throw new DetectorFileException(file, "corrupt: SHA-256 checksum mismatch (the file was modified or"
                    + " damaged after it was written)");
        }
        try {
            JsonObject manifest = GSON.fromJson(new String(json, StandardCharsets.UTF_8), JsonObject.class);
            if (!FORMAT_NAME.equals(manifest.get("format").getAsString())) {
                throw new DetectorFileException(file, "manifest format is " + manifest.get("format")
                        + ", expected " + FORMAT_NAME);
            }
            DetectorArchitecture arch = GSON.fromJson(manifest.get("architecture"), DetectorArchitecture.class);
            arch.validate();
            DetectorProvenance prov = GSON.fromJson(manifest.get("provenance"), DetectorProvenance.class);
            String digest = manifest.get("parametersSha256").getAsString();
            if (!digest.equals(HexFormat.of().formatHex(sha256(params, params.length)))) {
                throw new DetectorFileException(file, "corrupt: parameter digest does not match the manifest");
            }
            return new Contents(arch, prov, params);
        } catch (JsonParseException | NullPointerException | IllegalStateException | IllegalArgumentException
                | UnsupportedOperationException | ClassCastException e) {
            if (e instanceof DetectorFileException d) {
                throw d;
            }
            throw new DetectorFileException(file, "unreadable manifest: " + e.getMessage());
        }
    }

    private static int readInt(Path file, ByteBuffer buf, String what) {
        if (buf.remaining() < Integer.BYTES) {
            throw new DetectorFileException(file, "truncated: the file ends inside " + what + " ("
                    + buf.limit() + " bytes read)");
        }
        return buf.getInt();
    }

    private static byte[] readBlock(Path file, ByteBuffer buf, String what) {
        int len = readInt(file, buf, "the length of " + what);
        if (len < 0) {
            throw new DetectorFileException(file, "corrupt: negative length " + len + " for " + what);
        }
        if (buf.remaining() < len) {
            throw new DetectorFileException(file, "truncated: " + what + " should take " + len + " bytes but only "
                    + buf.remaining() + " remain (" + buf.limit() + " bytes read)");
        }
        byte[] out = new byte[len];
        buf.get(out);
        return out;
    }

    private static byte[] sha256(byte[] data, int length) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(data, 0, length);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
