package org.atpatch.djl;

import ai.djl.Device;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.atpatch.core.AtomicFiles;
import org.atpatch.core.BenignStatistics;
import org.atpatch.core.Checks;
import org.atpatch.detector.AttentionDetector;
import org.atpatch.djl.patch.PatchRules;

/**
 * Everything a trained AtPatch needs besides the victim: the detector, the benign statistics (Q and
 * token states), the patch configuration, and a manifest with the format version, the victim's
 * architecture fingerprint, SHA-256 checksums of every part, and provenance.
 *
 * <p>On disk a bundle is one zip file ({@code manifest.json}, {@code detector.bin}, {@code
 * benign.bin}) written atomically: a crash mid-save leaves the previous file intact. Loading checks
 * the format, every checksum, and (when given a model) the fingerprint; any mismatch or damage is an
 * {@link IOException} or {@link IllegalArgumentException} that says what is wrong.
 *
 * <p>The detector holds native memory: close a bundle that was not handed to a patched model
 * ({@link PatchedModel#fromBundle} and {@link PatchedModel#swap} take its detector over).
 *
 * @param detector the trained detector
 * @param benign Q and token states
 * @param tau τ
 * @param patchRule the patch rule's name ({@link PatchRules#byName})
 * @param mode two-pass or streaming
 * @param modelFingerprint {@link ModelFingerprint} of the victim
 * @param provenance how the bundle was made (debugging set, timings, sizes)
 */
public record PatchBundle(
        AttentionDetector detector,
        BenignStatistics benign,
        double tau,
        String patchRule,
        PatchMode mode,
        String modelFingerprint,
        Map<String, String> provenance) implements AutoCloseable {

    /** Bundle format name in the manifest. */
    public static final String FORMAT = "atpatch-bundle";

    /** Bundle format version this build writes and reads. */
    public static final int FORMAT_VERSION = 1;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    /** Validates and copies. */
    public PatchBundle {
        Checks.requireTau(tau);
        PatchRules.byName(patchRule);
        provenance = Map.copyOf(provenance);
    }

    /**
     * Writes the bundle atomically.
     *
     * @param path the bundle file (conventionally {@code *.atpatch})
     * @throws IOException on failure; an existing bundle is left intact
     */
    public void save(Path path) throws IOException {
        Path tmpDetector = Files.createTempFile("atpatch-detector", ".bin");
        try {
            detector.save(tmpDetector);
            byte[] detectorBytes = Files.readAllBytes(tmpDetector);
            ByteArrayOutputStream benignBytes = new ByteArrayOutputStream();
            benign.write(benignBytes);
            Map<String, byte[]> parts = new LinkedHashMap<>();
            parts.put("detector.bin", detectorBytes);
            parts.put("benign.bin", benignBytes.toByteArray());
            JsonObject manifest = new JsonObject();
            manifest.addProperty("format", FORMAT);
            manifest.addProperty("formatVersion", FORMAT_VERSION);
            manifest.addProperty("created", Instant.now().toString());
            manifest.addProperty("modelFingerprint", modelFingerprint);
            manifest.addProperty("tau", tau);
            manifest.addProperty("patchRule", patchRule);
            manifest.addProperty("mode", mode.name());
            JsonObject sums = new JsonObject();
            for (Map.Entry<String, byte[]> e : parts.entrySet()) {
                sums.addProperty(e.getKey(), sha256(e.getValue()));
            }
            manifest.add("sha256", sums);
            manifest.add("provenance", GSON.toJsonTree(provenance));
            byte[] manifestBytes = GSON.toJson(manifest).getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(path, out -> {
                ZipOutputStream zip = new ZipOutputStream(out);
                put(zip, "manifest.json", manifestBytes);
                for (Map.Entry<String, byte[]> e : parts.entrySet()) {
                    put(zip, e.getKey(), e.getValue());
                }
                zip.finish();
            });
        } finally {
            Files.deleteIfExists(tmpDetector);
        }
    }

    /**
     * Reads a bundle.
     *
     * @param path the bundle file
     * @param device where to put the detector
     * @return the bundle
     * @throws IOException when the file is missing, not a bundle, of another format version,
     *     truncated, or a part fails its checksum; the message names the file and the part
     */
    public static PatchBundle load(Path path, Device device) throws IOException {
        Map<String, byte[]> parts = new HashMap<>();
        try (InputStream in = Files.newInputStream(path); ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                parts.put(e.getName(), zip.readAllBytes());
            }
        } catch (NoSuchFileException e) {
            throw new IOException("no patch bundle at " + path, e);
        } catch (ZipException | java.io.EOFException e) {
            throw new IOException(path + " is not a readable patch bundle (truncated or corrupt): " + e.getMessage(), e);
        }
        byte[] manifestBytes = parts.get("manifest.json");
        if (manifestBytes == null) {
            throw new IOException(path + " is not a patch bundle or is truncated: manifest.json is missing");
        }
        JsonObject m;
        try {
            m = GSON.fromJson(new String(manifestBytes, StandardCharsets.UTF_8), JsonObject.class);
        } catch (JsonParseException e) {
            throw new IOException(path + ": manifest.json does not parse: " + e.getMessage(), e);
        }
        if (m == null || !m.has("format") || !FORMAT.equals(m.get("format").getAsString())) {
            throw new IOException(path + " is not a patch bundle (format is not '" + FORMAT + "')");
        }
        int version = m.get("formatVersion").getAsInt();
        if (version != FORMAT_VERSION) {
            throw new IOException(path + ": bundle format version " + version + " is not supported (this build reads "
                    + FORMAT_VERSION + ")");
        }
        JsonObject sums = m.getAsJsonObject("sha256");
        for (String part : new String[] {"detector.bin", "benign.bin"}) {
            byte[] data = parts.get(part);
            if (data == null) {
                throw new IOException(path + ": part " + part + " is missing (truncated bundle?)");
            }
            if (!sha256(data).equals(sums.get(part).getAsString())) {
                throw new IOException(path + ": part " + part + " fails its SHA-256 checksum: the bundle is corrupt");
            }
        }
        BenignStatistics benign = BenignStatistics.read(new ByteArrayInputStream(parts.get("benign.bin")));
        Path tmp = Files.createTempFile("atpatch-detector", ".bin");
        AttentionDetector detector;
        try {
            Files.write(tmp, parts.get("detector.bin"));
            detector = AttentionDetector.load(tmp, device);
        } finally {
            Files.deleteIfExists(tmp);
        }
        Map<String, String> provenance = new LinkedHashMap<>();
        m.getAsJsonObject("provenance").entrySet().forEach(e -> provenance.put(e.getKey(), e.getValue().getAsString()));
        return new PatchBundle(detector, benign, m.get("tau").getAsDouble(), m.get("patchRule").getAsString(),
                PatchMode.valueOf(m.get("mode").getAsString()), m.get("modelFingerprint").getAsString(), provenance);
    }

    private static void put(ZipOutputStream zip, String name, byte[] data) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(data);
        zip.closeEntry();
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Frees the detector's native memory; a no-op when it is already closed. */
    @Override
    public void close() {
        detector.close();
    }
}
