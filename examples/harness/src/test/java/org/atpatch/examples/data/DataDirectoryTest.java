package org.atpatch.examples.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryTest {

    private static final byte[] CONTENT = "canonical bytes\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    private HttpServer server;
    private final AtomicInteger hits = new AtomicInteger();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void rootComesFromPropertyThenEnvironmentThenHome() {
        assertEquals(Path.of("/p"), DataDirectory.resolveRoot("/p", "/e", "/home/u"));
        assertEquals(Path.of("/e"), DataDirectory.resolveRoot(null, "/e", "/home/u"));
        assertEquals(Path.of("/e"), DataDirectory.resolveRoot("  ", "/e", "/home/u"));
        assertEquals(Path.of("/home/u/.atpatch/data"), DataDirectory.resolveRoot(null, null, "/home/u"));
        assertEquals(Path.of("/home/u/data"), DataDirectory.resolveRoot("~/data", null, "/home/u"));
    }

    @Test
    void missingFileNamesItsPathAndDownloadAddress() {
        DataDirectory dir = new DataDirectory(tmp);
        MissingDataFileException e = assertThrows(MissingDataFileException.class,
                () -> dir.require(CanonicalFiles.ADULT_DATA));
        assertTrue(e.getMessage().contains("adult/adult.data"), e.getMessage());
        assertTrue(e.getMessage().contains(tmp.resolve("adult").resolve("adult.data").toString()), e.getMessage());
        assertTrue(e.getMessage().contains(CanonicalFiles.ADULT_DATA.url().toString()), e.getMessage());
    }

    @Test
    void archivedFilesSayWhatToExtract() {
        DataDirectory dir = new DataDirectory(tmp);
        MissingDataFileException e = assertThrows(MissingDataFileException.class,
                () -> dir.require(CanonicalFiles.BANK_FULL));
        assertTrue(e.getMessage().contains("bank+marketing.zip") && e.getMessage().contains("bank.zip"),
                e.getMessage());
        DatasetFile batch = CanonicalFiles.get("cifar10", "data_batch_1.bin");
        IOException f = assertThrows(IOException.class, () -> dir.fetch(batch));
        assertTrue(f.getMessage().contains("cannot be downloaded by itself")
                && f.getMessage().contains("cifar-10-batches-bin/data_batch_1.bin"), f.getMessage());
    }

    @Test
    void fetchUnpacksAFileFromAZipInsideAZip() throws Exception {
        byte[] outer = zip("data.zip", zip("folder/a.csv", CONTENT, "__MACOSX/folder/._a.csv", new byte[] {9}),
                "README", new byte[] {1});
        URI url = serve("/archive.zip", outer, 200);
        DatasetFile f = new DatasetFile("toy", "a.csv", "SHA-256", sha256(CONTENT), false, url, false,
                java.util.List.of("data.zip", "a.csv"), "unzip it");
        DataDirectory dir = new DataDirectory(tmp.resolve("data"));
        assertEquals(java.util.List.of(dir.pathOf(f)), java.util.List.of(dir.fetch(f)));
        assertEquals(new String(CONTENT, StandardCharsets.UTF_8), Files.readString(dir.pathOf(f)));
        assertEquals(1, listing(dir.root()), "the downloaded archive is deleted");
        DatasetFile absent = new DatasetFile("toy", "b.csv", "SHA-256", sha256(CONTENT), false, url, false,
                java.util.List.of("data.zip", "b.csv"), "unzip it");
        IOException e = assertThrows(IOException.class, () -> dir.fetch(absent));
        assertTrue(e.getMessage().contains("no entry 'b.csv'"), e.getMessage());
    }

    private static byte[] zip(String name, byte[] content, String name2, byte[] content2) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(bytes)) {
            z.putNextEntry(new java.util.zip.ZipEntry(name));
            z.write(content);
            z.putNextEntry(new java.util.zip.ZipEntry(name2));
            z.write(content2);
        }
        return bytes.toByteArray();
    }

    @Test
    void wrongChecksumNamesExpectedAndActual() throws IOException {
        DatasetFile f = toy(sha256(CONTENT), URI.create("http://example.invalid/a.bin"));
        Path p = tmp.resolve("toy").resolve("a.bin");
        Files.createDirectories(p.getParent());
        Files.write(p, "altered\n".getBytes(StandardCharsets.UTF_8));
        DataDirectory dir = new DataDirectory(tmp);
        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class, () -> dir.require(f));
        String actual = sha256("altered\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(f.checksum(), e.expected());
        assertEquals(actual, e.actual());
        assertTrue(e.getMessage().contains("toy/a.bin") && e.getMessage().contains(f.checksum())
                && e.getMessage().contains(actual), e.getMessage());
    }

    @Test
    void correctFileIsAccepted() throws IOException {
        DatasetFile f = toy(sha256(CONTENT), URI.create("http://example.invalid/a.bin"));
        Path p = tmp.resolve("toy").resolve("a.bin");
        Files.createDirectories(p.getParent());
        Files.write(p, CONTENT);
        assertEquals(p, new DataDirectory(tmp).require(f));
    }

    @Test
    void fetchDownloadsVerifiesAndMovesIntoPlace() throws Exception {
        URI url = serve("/files/a.bin", CONTENT, 200);
        DatasetFile f = toy(sha256(CONTENT), url);
        DataDirectory dir = new DataDirectory(tmp.resolve("data"));
        Path p = dir.fetch(f);
        assertEquals(dir.root().resolve("toy").resolve("a.bin"), p);
        assertEquals(new String(CONTENT, StandardCharsets.UTF_8), Files.readString(p));
        assertEquals(1, hits.get());
        dir.fetch(f); // a verified copy is not downloaded again
        assertEquals(1, hits.get());
        assertEquals(1, listing(p.getParent()), "no temporary files are left behind");
    }

    @Test
    void fetchWithWrongBytesLeavesNothingBehind() throws Exception {
        URI url = serve("/files/a.bin", "tampered\n".getBytes(StandardCharsets.UTF_8), 200);
        DatasetFile f = toy(sha256(CONTENT), url);
        DataDirectory dir = new DataDirectory(tmp.resolve("data"));
        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class, () -> dir.fetch(f));
        assertTrue(e.getMessage().contains(url.toString()), e.getMessage());
        assertFalse(dir.isPresent(f));
        assertEquals(0, listing(dir.root().resolve("toy")));
    }

    @Test
    void fetchReplacesAnAlteredCopy() throws Exception {
        URI url = serve("/files/a.bin", CONTENT, 200);
        DatasetFile f = toy(sha256(CONTENT), url);
        DataDirectory dir = new DataDirectory(tmp);
        Files.createDirectories(dir.pathOf(f).getParent());
        Files.write(dir.pathOf(f), new byte[] {1, 2, 3});
        dir.fetch(f);
        assertEquals(new String(CONTENT, StandardCharsets.UTF_8), Files.readString(dir.pathOf(f)));
    }

    @Test
    void fetchReportsHttpErrors() throws Exception {
        URI url = serve("/files/a.bin", new byte[0], 404);
        DatasetFile f = toy(sha256(CONTENT), url);
        IOException e = assertThrows(IOException.class, () -> new DataDirectory(tmp).fetch(f));
        assertTrue(e.getMessage().contains("404") && e.getMessage().contains("toy/a.bin"), e.getMessage());
    }

    @Test
    void fetchFromFileUri() throws IOException {
        Path src = tmp.resolve("mirror.bin");
        Files.write(src, CONTENT);
        DatasetFile f = toy(sha256(CONTENT), URI.create("http://example.invalid/a.bin"));
        DataDirectory dir = new DataDirectory(tmp.resolve("data"));
        assertEquals(dir.pathOf(f), dir.fetch(f, src.toUri()));
        assertTrue(dir.isPresent(f));
    }

    private URI serve(String path, byte[] body, int status) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(path, exchange -> {
            hits.incrementAndGet();
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private static DatasetFile toy(String sha, URI url) {
        return new DatasetFile("toy", "a.bin", "SHA-256", sha, false, url, true, java.util.List.of(), "download it from " + url);
    }

    private static long listing(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
