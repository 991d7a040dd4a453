package org.atpatch.djl;

import ai.djl.Device;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
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
import java.util.Objects;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.atpatch.core.AtomicFiles;
import org.atpatch.core.BenignStatistics;
import org.atpatch.core.Checks;
import org.atpatch.detector.AttentionDetector;
import org.atpatch.detector.DetectorFileException;
import org.atpatch.detector.Devices;
import org.atpatch.djl.patch.PatchRules;

/**
 * Everything a trained AtPatch needs besides the victim: the detector, the benign statistics (Q and
 * token states), the patch configuration, and a manifest with the format version, the victim's
 * architecture fingerprint and weights digest, SHA-256 checksums of every part, and provenance.
 *
 * <p>On disk a bundle is one zip file ({@code manifest.json}, its checksum {@code manifest.sha256},
 * {@code detector.bin}, {@code benign.bin}) written atomically: a crash mid-save leaves the previous
 * file intact, and the temporary file it leaves is removed by the next save or load beside it.
 * Loading checks the format, every checksum and every manifest field, and fails with a {@link
 * BundleFormatException} (an {@link IOException}) naming the file and the part; applying a bundle to
 * a model ({@link PatchedModel#load}, {@link PatchedModel#fromBundle}, {@link PatchedModel#swap})
 * checks the fingerprint and, by default, the weights ({@link BundleBinding}).
 *
 * <p>Bundles of format version 1 (no weights digest, no manifest checksum) are still read; their
 * weights cannot be checked, which is logged when one is applied.
 *
 * <p>The detector holds native memory: close a bundle that was not handed to a patched model
 * ({@link PatchedModel#fromBundle} and {@link PatchedModel#swap} take its detector over).
 *
 * @param detector the trained detector
 * @param benign Q and token states
 * @param tau τ
 * @param patchRule the patch rule's name ({@link PatchRules#byName})
 * @param mode two-pass or streaming
 * @param flagDilation the radius on the patch grid within which the neighbours of a flagged column
 *     are patched with it ({@link PatchedModel.Builder#optFlagDilation}); 0, the default, patches the
 *     flagged columns alone
 * @param modelFingerprint {@link ModelFingerprint#of} of the victim
 * @param weightsDigest {@link ModelFingerprint#weightsOf} of the victim, or {@code null} where none
 *     was recorded (format version 1)
 * @param provenance how the bundle was made (debugging set, timings, sizes)
 */
public record PatchBundle(
        AttentionDetector detector,
        BenignStatistics benign,
        double tau,
        String patchRule,
        PatchMode mode,
        int flagDilation,
        String modelFingerprint,
        String weightsDigest,
        Map<String, String> provenance) implements AutoCloseable {

    /** Bundle format name in the manifest. */
    public static final String FORMAT = "atpatch-bundle";

    /** Bundle format version this build writes. */
    public static final int FORMAT_VERSION = 2;

    private static final String MANIFEST = "manifest.json";
    private static final String MANIFEST_SUM = "manifest.sha256";
    private static final String DETECTOR = "detector.bin";
    private static final String BENIGN = "benign.bin";

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    /** Validates and copies. */
    public PatchBundle {
        Objects.requireNonNull(detector, "detector");
        Objects.requireNonNull(benign, "benign");
        Checks.requireTau(tau);
        PatchRules.byName(patchRule);
        Objects.requireNonNull(mode, "mode");
        if (flagDilation < 0) {
            throw new IllegalArgumentException("flag dilation must be >= 0 (0 = off), got " + flagDilation);
        }
        Objects.requireNonNull(modelFingerprint, "modelFingerprint");
        provenance = Map.copyOf(provenance);
    }

    /**
     * A bundle that patches the flagged columns alone (flag dilation 0).
     *
     * @param detector the trained detector
     * @param benign Q and token states
     * @param tau τ
     * @param patchRule the patch rule's name
     * @param mode two-pass or streaming
     * @param modelFingerprint the victim's architecture fingerprint
     * @param weightsDigest the victim's weights digest, or null
     * @param provenance how the bundle was made
     */
    public PatchBundle(AttentionDetector detector, BenignStatistics benign, double tau, String patchRule, PatchMode mode,
            String modelFingerprint, String weightsDigest, Map<String, String> provenance) {
        this(detector, benign, tau, patchRule, mode, 0, modelFingerprint, weightsDigest, provenance);
    }

    /**
     * @param newTau another τ in (0, 1)
     * @return this bundle with that τ (the same detector object: one of the two bundles owns it)
     */
    public PatchBundle withTau(double newTau) {
        return new PatchBundle(detector, benign, newTau, patchRule, mode, flagDilation, modelFingerprint, weightsDigest,
                provenance);
    }

    /**
     * Writes the bundle atomically.
     *
     * @param path the bundle file (conventionally {@code *.atpatch})
     * @throws IOException on failure; an existing bundle is left intact
     */
    public void save(Path path) throws IOException {
        Map<String, byte[]> parts = new LinkedHashMap<>();
        parts.put(DETECTOR, detector.toBytes());
        ByteArrayOutputStream benignBytes = new ByteArrayOutputStream();
        benign.write(benignBytes);
        parts.put(BENIGN, benignBytes.toByteArray());
        JsonObject manifest = new JsonObject();
        manifest.addProperty("format", FORMAT);
        manifest.addProperty("formatVersion", FORMAT_VERSION);
        manifest.addProperty("created", Instant.now().toString());
        manifest.addProperty("modelFingerprint", modelFingerprint);
        if (weightsDigest != null) {
            manifest.addProperty("weightsSha256", weightsDigest);
        }
        manifest.addProperty("tau", tau);
        manifest.addProperty("patchRule", patchRule);
        manifest.addProperty("mode", mode.name());
        manifest.addProperty("flagDilation", flagDilation);
        JsonObject sums = new JsonObject();
        for (Map.Entry<String, byte[]> e : parts.entrySet()) {
            sums.addProperty(e.getKey(), sha256(e.getValue()));
        }
        manifest.add("sha256", sums);
        manifest.add("provenance", GSON.toJsonTree(provenance));
        byte[] manifestBytes = GSON.toJson(manifest).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(path, out -> {
            ZipOutputStream zip = new ZipOutputStream(out);
            put(zip, MANIFEST, manifestBytes);
            put(zip, MANIFEST_SUM, sha256(manifestBytes).getBytes(StandardCharsets.US_ASCII));
            for (Map.Entry<String, byte[]> e : parts.entrySet()) {
                put(zip, e.getKey(), e.getValue());
            }
            zip.finish();
        });
    }

    /**
     * Reads a bundle.
     *
     * @param path the bundle file
     * @param device where to put the detector
     * @return the bundle
     * @throws BundleFormatException when the file is missing, not a bundle, of another format version,
     *     truncated, a part fails its checksum, or a manifest field is missing or mistyped; the
     *     message names the file and the part
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException when {@code device} is a GPU this machine does not have
     */
    public static PatchBundle load(Path path, Device device) throws IOException {
        Objects.requireNonNull(path, "path");
        Devices.requireAvailable(device);
        AtomicFiles.removeStaleTemporaries(path);
        Map<String, byte[]> parts = readParts(path);
        byte[] manifestBytes = parts.get(MANIFEST);
        if (manifestBytes == null) {
            throw new BundleFormatException(path, MANIFEST, "missing: not a patch bundle, or truncated", null);
        }
        JsonObject m;
        try {
            m = GSON.fromJson(new String(manifestBytes, StandardCharsets.UTF_8), JsonObject.class);
        } catch (JsonParseException e) {
            throw new BundleFormatException(path, MANIFEST, "does not parse: " + e.getMessage(), e);
        }
        if (m == null) {
            throw new BundleFormatException(path, MANIFEST, "is empty", null);
        }
        Manifest fields = new Manifest(path, m);
        if (!FORMAT.equals(fields.string("format"))) {
            throw new BundleFormatException(path, null, "not a patch bundle (format is not '" + FORMAT + "')", null);
        }
        int version = fields.integer("formatVersion");
        if (version < 1 || version > FORMAT_VERSION) {
            throw new BundleFormatException(path, null, "format version " + version + " is not supported (this build"
                    + " reads 1 to " + FORMAT_VERSION + ")", null);
        }
        if (version >= 2) {
            byte[] sum = parts.get(MANIFEST_SUM);
            if (sum == null) {
                throw new BundleFormatException(path, MANIFEST_SUM, "missing (truncated bundle?)", null);
            }
            if (!new String(sum, StandardCharsets.US_ASCII).trim().equals(sha256(manifestBytes))) {
                throw new BundleFormatException(path, MANIFEST, "fails its SHA-256 checksum: the bundle is corrupt", null);
            }
        }
        for (String part : new String[] {DETECTOR, BENIGN}) {
            byte[] data = parts.get(part);
            if (data == null) {
                throw new BundleFormatException(path, part, "missing (truncated bundle?)", null);
            }
            if (!sha256(data).equals(fields.string("sha256", part))) {
                throw new BundleFormatException(path, part, "fails its SHA-256 checksum: the bundle is corrupt", null);
            }
        }
        double tau = fields.number("tau");
        String rule = fields.string("patchRule");
        PatchMode mode = fields.constant("mode", PatchMode.class);
        // Bundles written before the field existed patch the flagged columns alone.
        int dilation = m.has("flagDilation") ? fields.integer("flagDilation") : 0;
        if (dilation < 0) {
            throw new BundleFormatException(path, MANIFEST, "flagDilation must be >= 0, got " + dilation, null);
        }
        String fingerprint = fields.string("modelFingerprint");
        String weights = version >= 2 ? fields.string("weightsSha256") : null;
        Map<String, String> provenance = fields.strings("provenance");
        try {
            Checks.requireTau(tau);
            PatchRules.byName(rule);
        } catch (IllegalArgumentException e) {
            throw new BundleFormatException(path, MANIFEST, e.getMessage(), e);
        }
        BenignStatistics benign;
        try {
            benign = BenignStatistics.read(new ByteArrayInputStream(parts.get(BENIGN)));
        } catch (IOException | RuntimeException e) {
            throw new BundleFormatException(path, BENIGN, "unreadable: " + e.getMessage(), e);
        }
        AttentionDetector detector;
        try {
            detector = AttentionDetector.fromBytes(parts.get(DETECTOR), path + "!" + DETECTOR, device);
        } catch (DetectorFileException e) {
            throw new BundleFormatException(path, DETECTOR, e.getMessage(), e);
        }
        return new PatchBundle(detector, benign, tau, rule, mode, dilation, fingerprint, weights, provenance);
    }

    private static Map<String, byte[]> readParts(Path path) throws IOException {
        Map<String, byte[]> parts = new HashMap<>();
        try (InputStream in = Files.newInputStream(path); ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                parts.put(e.getName(), zip.readAllBytes());
            }
        } catch (NoSuchFileException e) {
            throw new BundleFormatException(path, null, "no such file", e);
        } catch (ZipException | EOFException | IllegalArgumentException e) {
            // IllegalArgumentException: ZipInputStream's answer to an entry name that is not valid UTF-8.
            throw new BundleFormatException(path, null, "not a readable zip (truncated or corrupt): " + e.getMessage(), e);
        }
        return parts;
    }

    /** Typed reads of manifest fields; a missing or mistyped field is a {@link BundleFormatException} naming it. */
    private record Manifest(Path path, JsonObject json) {

        JsonElement field(JsonObject in, String name, String label) throws BundleFormatException {
            JsonElement e = in.get(name);
            if (e == null || e.isJsonNull()) {
                throw new BundleFormatException(path, MANIFEST + ": " + label, "missing", null);
            }
            return e;
        }

        String string(String name) throws BundleFormatException {
            JsonElement e = field(json, name, name);
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw mistyped(name, "a string", e);
            }
            return e.getAsString();
        }

        String string(String object, String name) throws BundleFormatException {
            JsonElement o = field(json, object, object);
            if (!o.isJsonObject()) {
                throw mistyped(object, "an object", o);
            }
            JsonElement e = field(o.getAsJsonObject(), name, object + "." + name);
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw mistyped(object + "." + name, "a string", e);
            }
            return e.getAsString();
        }

        double number(String name) throws BundleFormatException {
            JsonElement e = field(json, name, name);
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw mistyped(name, "a number", e);
            }
            return e.getAsDouble();
        }

        int integer(String name) throws BundleFormatException {
            double v = number(name);
            if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
                throw mistyped(name, "an integer", json.get(name));
            }
            return (int) v;
        }

        <E extends Enum<E>> E constant(String name, Class<E> type) throws BundleFormatException {
            String v = string(name);
            try {
                return Enum.valueOf(type, v);
            } catch (IllegalArgumentException e) {
                throw new BundleFormatException(path, MANIFEST + ": " + name, "'" + v + "' is not one of "
                        + java.util.Arrays.toString(type.getEnumConstants()), e);
            }
        }

        Map<String, String> strings(String name) throws BundleFormatException {
            JsonElement o = field(json, name, name);
            if (!o.isJsonObject()) {
                throw mistyped(name, "an object", o);
            }
            Map<String, String> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : o.getAsJsonObject().entrySet()) {
                if (!e.getValue().isJsonPrimitive()) {
                    throw mistyped(name + "." + e.getKey(), "a string", e.getValue());
                }
                out.put(e.getKey(), e.getValue().getAsString());
            }
            return out;
        }

        private BundleFormatException mistyped(String name, String expected, JsonElement got) {
            return new BundleFormatException(path, MANIFEST + ": " + name, "should be " + expected + ", is " + got, null);
        }
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
