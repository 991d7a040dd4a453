package org.atpatch.examples.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.ZipFile;
import org.atpatch.core.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The folder that holds the benchmark datasets, one subfolder per dataset ({@code mnist},
 * {@code fashion-mnist}, {@code cifar10}, {@code adult}, {@code compas}, {@code bank}), laid out as
 * {@code shared/datasets}.
 *
 * <p>{@link #fromEnvironment()} takes the folder from the system property {@value #PROPERTY}, else the
 * environment variable {@value #ENV}, else {@code ~/.atpatch/data}. {@link #require(DatasetFile)}
 * checks that a canonical file is there and has its canonical checksum, and otherwise throws an
 * exception that names the file, where it should be and where to get it. Nothing is ever downloaded
 * implicitly: {@link #fetch(DatasetFile)} downloads a canonical file into the folder only when called,
 * writing it to a temporary file, verifying its checksum, then moving it into place atomically.
 *
 * <p>Verified files are remembered (by size and modification time) so repeated loads hash them once.
 * Thread-safe.
 */
public final class DataDirectory {

    /** The system property naming the data directory. */
    public static final String PROPERTY = "atpatch.data";
    /** The environment variable naming the data directory. */
    public static final String ENV = "ATPATCH_DATA";

    private static final Logger LOG = LoggerFactory.getLogger(DataDirectory.class);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(30);

    private final Path root;
    private final Map<Path, String> verified = new ConcurrentHashMap<>();

    /**
     * @param root the data directory (need not exist yet)
     */
    public DataDirectory(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /**
     * @return the data directory named by {@value #PROPERTY}, else {@value #ENV}, else
     *     {@code ~/.atpatch/data}
     */
    public static DataDirectory fromEnvironment() {
        return new DataDirectory(resolveRoot(System.getProperty(PROPERTY), System.getenv(ENV),
                System.getProperty("user.home")));
    }

    /**
     * @param property the system property's value, or null
     * @param env the environment variable's value, or null
     * @param userHome the user's home folder
     * @return the first non-blank of property and env ({@code ~/} expanded), else
     *     {@code userHome/.atpatch/data}
     */
    static Path resolveRoot(String property, String env, String userHome) {
        for (String v : new String[] {property, env}) {
            if (v != null && !v.isBlank()) {
                String t = v.strip();
                return t.equals("~") || t.startsWith("~/") ? Path.of(userHome, t.substring(1)) : Path.of(t);
            }
        }
        return Path.of(userHome, ".atpatch", "data");
    }

    /** @return the data directory, absolute */
    public Path root() {
        return root;
    }

    /**
     * @param file a dataset file
     * @return where it is expected: {@code root/dataset/name}
     */
    public Path pathOf(DatasetFile file) {
        return root.resolve(file.dataset()).resolve(file.name());
    }

    /**
     * @param file a dataset file
     * @return whether a file of that name is present (its checksum is not checked)
     */
    public boolean isPresent(DatasetFile file) {
        return Files.isRegularFile(pathOf(file));
    }

    /**
     * Checks that a canonical file is present and has its canonical checksum.
     *
     * @param file the file
     * @return its path
     * @throws MissingDataFileException naming the file, its expected path and where to get it
     * @throws ChecksumMismatchException naming the file and the expected and actual digests
     * @throws IOException when it cannot be read
     */
    public Path require(DatasetFile file) throws IOException {
        Path p = pathOf(file);
        if (!Files.isRegularFile(p)) {
            throw new MissingDataFileException(file, p);
        }
        String stamp = Files.size(p) + ":" + Files.getLastModifiedTime(p).toMillis() + ":" + file.checksum();
        if (stamp.equals(verified.get(p))) {
            return p;
        }
        String actual = Checksums.digest(p, file.algorithm(), file.ofContent());
        if (!actual.equals(file.checksum())) {
            throw new ChecksumMismatchException(file, p.toString(), actual);
        }
        verified.put(p, stamp);
        return p;
    }

    /**
     * Downloads a canonical file from its canonical address (unpacking it from a zip archive when it
     * comes in one), unless a verified copy is already there.
     *
     * @param file a file that can be downloaded ({@link DatasetFile#fetchable()})
     * @return its path
     * @throws IOException when it cannot be downloaded, its checksum is wrong (nothing is written
     *     then), or it only comes in an archive that must be unpacked by hand (the message says how)
     */
    public Path fetch(DatasetFile file) throws IOException {
        if (!file.fetchable()) {
            throw new IOException("dataset file " + file.relativePath() + " cannot be downloaded by itself: "
                    + file.howTo() + " (expected at " + pathOf(file) + ")");
        }
        return fetch(file, file.url());
    }

    /**
     * Downloads a canonical file from a given address (a mirror, or a {@code file:} URI), unless a
     * verified copy is already there. A copy with a wrong checksum is replaced. When the file has a
     * {@linkplain DatasetFile#zipPath() zip path}, {@code source} serves the zip archive.
     *
     * @param file the file
     * @param source an {@code http}, {@code https} or {@code file} URI that serves exactly its bytes (or
     *     its archive's)
     * @return its path
     * @throws IOException when it cannot be downloaded or its checksum is wrong (nothing is written then)
     */
    public Path fetch(DatasetFile file, URI source) throws IOException {
        if (isVerified(file)) {
            return pathOf(file);
        }
        if (file.ofContent()) {
            throw new IOException("dataset file " + file.relativePath() + " is verified by the checksum of its"
                    + " decompressed content and cannot be downloaded; " + file.howTo());
        }
        if (!file.zipPath().isEmpty()) {
            return fetchFromZip(List.of(file), source).get(0);
        }
        LOG.info("downloading {} from {}", file.relativePath(), source);
        try (InputStream in = open(source, file)) {
            writeVerified(file, in, source.toString());
        }
        return require(file);
    }

    /**
     * Downloads every downloadable canonical file of a dataset that is not yet present and verified
     * (an archive shared by several files is downloaded once).
     *
     * @param dataset a dataset folder name
     * @return the files' paths
     * @throws IOException on the first failure
     */
    public List<Path> fetchDataset(String dataset) throws IOException {
        List<Path> paths = new ArrayList<>();
        Map<URI, List<DatasetFile>> zips = new java.util.LinkedHashMap<>();
        for (DatasetFile f : CanonicalFiles.all()) {
            if (!f.dataset().equals(dataset) || !f.fetchable()) {
                continue;
            }
            if (f.zipPath().isEmpty()) {
                paths.add(fetch(f));
            } else {
                zips.computeIfAbsent(f.url(), u -> new ArrayList<>()).add(f);
            }
        }
        for (Map.Entry<URI, List<DatasetFile>> z : zips.entrySet()) {
            paths.addAll(fetchFromZip(z.getValue(), z.getKey()));
        }
        if (paths.isEmpty()) {
            throw new IOException("dataset '" + dataset + "' has no downloadable files; "
                    + CanonicalFiles.all().stream().filter(f -> f.dataset().equals(dataset)).findFirst()
                            .map(DatasetFile::howTo).orElse("it is not one of the known datasets"));
        }
        return paths;
    }

    private boolean isVerified(DatasetFile file) throws IOException {
        if (!Files.isRegularFile(pathOf(file))) {
            return false;
        }
        try {
            require(file);
            return true;
        } catch (ChecksumMismatchException e) {
            LOG.warn("{}; downloading it again", e.getMessage());
            return false;
        }
    }

    /** Writes the stream to the file's place atomically, only if its digest is the canonical one. */
    private void writeVerified(DatasetFile file, InputStream in, String where) throws IOException {
        MessageDigest md = Checksums.newDigest(file.algorithm());
        AtomicFiles.write(pathOf(file), out -> {
            new DigestInputStream(in, md).transferTo(out);
            String actual = HexFormat.of().formatHex(md.digest());
            if (!actual.equals(file.checksum())) {
                throw new ChecksumMismatchException(file, where, actual);
            }
        });
    }

    /** Downloads a zip archive once and unpacks the files (all with zip paths into it) that are missing. */
    private List<Path> fetchFromZip(List<DatasetFile> files, URI source) throws IOException {
        List<DatasetFile> missing = new ArrayList<>();
        for (DatasetFile f : files) {
            if (!isVerified(f)) {
                missing.add(f);
            }
        }
        if (!missing.isEmpty()) {
            Files.createDirectories(root);
            Path archive = Files.createTempFile(root, ".download-", ".zip");
            try {
                LOG.info("downloading {} for {} file(s) of {}", source, missing.size(), missing.get(0).dataset());
                try (InputStream in = open(source, missing.get(0))) {
                    Files.copy(in, archive, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
                try (ZipFile zip = new ZipFile(archive.toFile())) {
                    for (DatasetFile f : missing) {
                        try (InputStream in = ZipMembers.open(zip, f.zipPath(), source.toString())) {
                            writeVerified(f, in, source + "!" + String.join("!", f.zipPath()));
                        }
                    }
                } catch (java.util.zip.ZipException e) {
                    throw new IOException(source + " is not a readable zip archive (" + e.getMessage() + ")", e);
                }
            } finally {
                Files.deleteIfExists(archive);
            }
        }
        List<Path> paths = new ArrayList<>();
        for (DatasetFile f : files) {
            paths.add(require(f));
        }
        return paths;
    }

    private static InputStream open(URI source, DatasetFile file) throws IOException {
        String scheme = source.getScheme() == null ? "" : source.getScheme().toLowerCase(java.util.Locale.ROOT);
        switch (scheme) {
            case "file":
                return Files.newInputStream(Path.of(source));
            case "http":
            case "https":
                return openHttp(source, file);
            default:
                throw new IOException("cannot download " + file.relativePath() + " from " + source
                        + ": only http, https and file addresses are supported");
        }
    }

    private static InputStream openHttp(URI source, DatasetFile file) throws IOException {
        HttpClient client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(CONNECT_TIMEOUT)
                .build();
        HttpRequest request = HttpRequest.newBuilder(source).timeout(REQUEST_TIMEOUT).GET().build();
        try {
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                response.body().close();
                throw new IOException("download of " + file.relativePath() + " from " + source
                        + " failed: HTTP status " + response.statusCode());
            }
            return response.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("download of " + file.relativePath() + " from " + source
                    + " was interrupted");
        }
    }
}
