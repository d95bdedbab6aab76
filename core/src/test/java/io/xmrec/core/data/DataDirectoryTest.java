package io.xmrec.core.data;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Downloads against a real HTTP server on loopback serving files from a temp dir. */
class DataDirectoryTest {

    @TempDir
    Path served;
    @TempDir
    Path cache;

    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private String baseUrl;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/proc_data/", ex -> {
            requests.incrementAndGet();
            Path f = served.resolve(ex.getRequestURI().getPath().substring("/proc_data/".length()));
            if (!Files.isRegularFile(f)) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            byte[] body = Files.readAllBytes(f);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        baseUrl = "http://127.0.0.1:" + server.getAddress().getPort() + "/proc_data/";
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static final byte[] DE = "userId itemId rate date\nu1 i1 5.0 2016-06-13\n".getBytes(StandardCharsets.UTF_8);

    @Test
    void downloadsMissingFileVerifiesChecksumAndSaysSo() throws IOException {
        Files.write(served.resolve("de_5core.txt"), DE);
        List<String> log = new ArrayList<>();
        DataDirectory dir = DataDirectory.of(cache, baseUrl, Map.of("de_5core.txt", Checksums.sha256Hex(DE)), log::add);
        Map<String, Path> files = dir.ensure(List.of("de"));
        assertArrayEquals(DE, Files.readAllBytes(files.get("de")));
        assertTrue(log.stream().anyMatch(l -> l.contains("downloaded de_5core.txt") && l.contains("SHA-256 verified")), log.toString());
        // second time: present, no download
        dir.ensure(List.of("de"));
        assertEquals(1, requests.get());
    }

    @Test
    void checksumMismatchIsRefusedAndNothingIsSaved() throws IOException {
        Files.write(served.resolve("de_5core.txt"), DE);
        DataDirectory dir = DataDirectory.of(cache, baseUrl, Map.of("de_5core.txt", "0".repeat(64)), s -> { });
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> dir.ensure(List.of("de")));
        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
        assertFalse(Files.exists(cache.resolve("de_5core.txt")));
        try (var s = Files.list(cache)) {
            assertEquals(0, s.count(), "no partial file left behind");
        }
    }

    @Test
    void httpErrorTellsWhereToPutTheFiles() {
        DataDirectory dir = DataDirectory.of(cache, baseUrl, Map.of("de_5core.txt", Checksums.sha256Hex(DE)), s -> { });
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> dir.ensure(List.of("de")));
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
        assertTrue(e.getMessage().contains("--data"), e.getMessage());
    }

    @Test
    void presentFilesAreUsedAsGivenAndAnEditedCopyIsReported() throws IOException {
        Files.write(cache.resolve("de_5core.txt"), DE);
        List<String> log = new ArrayList<>();
        DataDirectory.of(cache, baseUrl, Map.of("de_5core.txt", "f".repeat(64)), log::add).ensure(List.of("de"));
        assertEquals(0, requests.get());
        assertTrue(log.get(0).contains("differs from the public XMarket release"), log.toString());
    }

    @Test
    void resolutionOrderIsFlagThenEnvironmentThenCache() {
        Path flag = Path.of("flagdir");
        assertEquals(flag, DataDirectory.resolve(flag, Map.of("XMREC_DATA_DIR", "envdir"), s -> { }).dir());
        assertEquals(Path.of("envdir"), DataDirectory.resolve(null, Map.of("XMREC_DATA_DIR", "envdir"), s -> { }).dir());
        assertEquals(Path.of("/c/xmrec/xmarket"),
                DataDirectory.resolve(null, Map.of("XDG_CACHE_HOME", "/c"), s -> { }).dir());
    }

    @Test
    void aDirectoryInPlaceOfAMarketFileIsRefusedNamingWhereTheDirectoryCameFrom(@org.junit.jupiter.api.io.TempDir
                                                                              Path dir) throws IOException {
        DataDirectory d = DataDirectory.resolve(dir, "XMREC_DATA", Map.of(), s -> { });
        IllegalArgumentException missing = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> d.ensure(java.util.List.of("de")), "no download into a directory named by --data");
        assertTrue(missing.getMessage().contains("no file for market de in " + dir + " (from XMREC_DATA)"),
                missing.getMessage());
        Files.createDirectories(dir.resolve("de_5core.txt"));
        IllegalArgumentException notFile = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> d.ensure(java.util.List.of("de")));
        assertTrue(notFile.getMessage().contains("is not a regular file") && notFile.getMessage().contains("XMREC_DATA"),
                notFile.getMessage());
        assertEquals(dir + " (from XMREC_DATA)", d.toString(), "the log names where the directory came from");
    }

    @Test
    void shippedChecksumsCoverEveryKnownMarket() {
        Map<String, String> sums = Checksums.shipped();
        for (String m : Markets.XMARKET) {
            assertEquals(64, sums.get(Markets.fileName(m)).length(), m);
        }
    }

    @Test
    void anyMarketCodeIsFoundByItsFilesNamePrefix(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("us_shop.txt"), DE);
        Files.write(dir.resolve("es-b2b_5core.txt"), DE);
        Files.write(dir.resolve("SHA256SUMS"), DE);
        Files.write(dir.resolve("Bad_5core.txt"), DE);
        List<String> log = new ArrayList<>();
        DataDirectory d = DataDirectory.resolve(dir, Map.of(), log::add);
        assertEquals(List.of("es-b2b", "us"), d.defaultMarkets());
        assertTrue(log.stream().anyMatch(l -> l.contains("Bad_5core.txt is left out")), log.toString());
        Map<String, Path> files = d.ensure(d.defaultMarkets());
        assertEquals(dir.resolve("us_shop.txt"), files.get("us"));
        assertEquals(dir.resolve("es-b2b_5core.txt"), files.get("es-b2b"));
    }

    @Test
    void aMarketWithTwoFilesOrNoneIsRefusedWithTheNames(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("us_a.txt"), DE);
        Files.write(dir.resolve("us_b.txt"), DE);
        DataDirectory d = DataDirectory.resolve(dir, Map.of(), s -> { });
        IllegalArgumentException two = assertThrows(IllegalArgumentException.class, () -> d.ensure(List.of("us")));
        assertTrue(two.getMessage().contains("us_a.txt") && two.getMessage().contains("us_b.txt"), two.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> d.ensure(List.of("U S")));
        assertTrue(bad.getMessage().contains("'U S' is not valid"), bad.getMessage());
        // an empty download cache defaults to XMarket's seven markets (downloaded when used)
        assertEquals(Markets.XMARKET, DataDirectory.of(cache, baseUrl, Map.of(), s -> { }).defaultMarkets());
    }

    @Test
    void aMarketThatIsNotXMarketsIsNeverDownloaded() {
        DataDirectory d = DataDirectory.of(cache, baseUrl, Map.of(), s -> { });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.ensure(List.of("us")));
        assertTrue(e.getMessage().contains("no XMarket Electronics market"), e.getMessage());
        assertEquals(0, requests.get());
    }

    @Test
    void aNamedDirectoryWithoutMarketFilesSaysWhatItExpects(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DataDirectory.resolve(dir, Map.of(), s -> { }).defaultMarkets());
        assertTrue(e.getMessage().contains("<market>_<anything>.txt"), e.getMessage());
    }
}
