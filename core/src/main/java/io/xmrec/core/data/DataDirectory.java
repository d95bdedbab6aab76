package io.xmrec.core.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Finds the market files: {@code --data DIR}, else {@code XMREC_DATA_DIR}, else a cache
 * directory. A market's file is {@code <market>_<anything>.txt} in the XMarket format
 * ({@code <market>_5core.txt} preferred); any market code works. XMarket files missing from the
 * download cache are downloaded from the public FOREC release and verified against the shipped
 * {@code SHA256SUMS} before they are used.
 */
public final class DataDirectory {

    /** Public 5-core files of the FOREC release (hamedrab/FOREC, DATA/proc_data). */
    public static final String DEFAULT_BASE_URL =
            "https://raw.githubusercontent.com/hamedrab/FOREC/main/DATA/proc_data/";
    public static final String ENV_DATA_DIR = "XMREC_DATA_DIR";
    public static final String ENV_BASE_URL = "XMREC_DATA_URL";

    private final Path dir;
    private final String origin;
    /** A directory named by --data is used as given: nothing is downloaded into it. */
    private final boolean userNamed;
    private final String baseUrl;
    private final Map<String, String> checksums;
    private final Consumer<String> log;

    DataDirectory(Path dir, String origin, String baseUrl, Map<String, String> checksums, Consumer<String> log) {
        this.dir = dir;
        this.origin = origin;
        this.userNamed = !origin.equals("cache") && !origin.equals("explicit") && !origin.equals(ENV_DATA_DIR);
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
        this.checksums = checksums;
        this.log = log;
    }

    /**
     * Resolves the directory from an explicit flag value (may be null), the environment and the
     * user's cache directory, in that order.
     */
    public static DataDirectory resolve(Path flag, Map<String, String> env, Consumer<String> log) {
        return resolve(flag, "--data", env, log);
    }

    /** As {@link #resolve(Path, Map, Consumer)}, naming where the flag's value came from ({@code XMREC_DATA}, a config file). */
    public static DataDirectory resolve(Path flag, String flagOrigin, Map<String, String> env, Consumer<String> log) {
        String base = env.getOrDefault(ENV_BASE_URL, DEFAULT_BASE_URL);
        if (flag != null) {
            return new DataDirectory(flag, flagOrigin, base, Checksums.shipped(), log);
        }
        String fromEnv = env.get(ENV_DATA_DIR);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new DataDirectory(Path.of(fromEnv), ENV_DATA_DIR, base, Checksums.shipped(), log);
        }
        return new DataDirectory(defaultCache(env), "cache", base, Checksums.shipped(), log);
    }

    /** A directory with an explicit download source, for tests and tools. */
    public static DataDirectory of(Path dir, String baseUrl, Map<String, String> checksums, Consumer<String> log) {
        return new DataDirectory(dir, "explicit", baseUrl, checksums, log);
    }

    static Path defaultCache(Map<String, String> env) {
        String xdg = env.get("XDG_CACHE_HOME");
        Path root = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        return root.resolve("xmrec").resolve("xmarket");
    }

    public Path dir() {
        return dir;
    }

    /** Where the directory came from: "--data", "XMREC_DATA_DIR" or "cache". */
    public String origin() {
        return origin;
    }

    /**
     * The markets whose files the directory holds, sorted: every {@code <market>_<anything>.txt}, the
     * market being the name up to its first '_' (a code with '_' in it is found when named). Files
     * whose prefix is no valid market code are left out and said so.
     */
    public List<String> discover() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        java.util.TreeSet<String> found = new java.util.TreeSet<>();
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                int cut = name.indexOf('_');
                if (!name.endsWith(".txt") || cut <= 0 || !Files.isRegularFile(f)) {
                    continue;
                }
                String market = name.substring(0, cut);
                if (Markets.isValid(market)) {
                    found.add(market);
                } else {
                    log.accept("note: " + f + " is left out: '" + market + "' is no market code (lower-case letters, "
                            + "digits, '_' or '-')");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + " (from " + origin + "): " + e.getMessage(), e);
        }
        return new ArrayList<>(found);
    }

    /**
     * The markets to use when none are named: every market in the directory; XMarket Electronics'
     * seven when the directory has none and is one files are downloaded into.
     */
    public List<String> defaultMarkets() {
        List<String> found = discover();
        if (!found.isEmpty()) {
            return found;
        }
        if (userNamed) {
            throw new IllegalArgumentException("no market files in " + dir + " (from " + origin + "): expected files "
                    + "named <market>_<anything>.txt, for instance ca_5core.txt");
        }
        return Markets.XMARKET;
    }

    /** The file of a market in the directory, or null: {@code <market>_5core.txt}, else the one {@code <market>_*.txt}. */
    private Path fileOf(String market) {
        Path standard = dir.resolve(Markets.fileName(market));
        if (Files.exists(standard) || !Files.isDirectory(dir)) {
            return Files.exists(standard) ? standard : null;
        }
        List<Path> candidates = new ArrayList<>();
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            files.filter(f -> {
                String n = f.getFileName().toString();
                return n.startsWith(market + "_") && n.endsWith(".txt") && Files.isRegularFile(f);
            }).sorted().forEach(candidates::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + " (from " + origin + "): " + e.getMessage(), e);
        }
        if (candidates.size() > 1) {
            throw new IllegalArgumentException("market " + market + " has " + candidates.size() + " files in " + dir
                    + " (from " + origin + "): " + candidates.stream().map(c -> c.getFileName().toString()).toList()
                    + "; keep one, or name it " + Markets.fileName(market));
        }
        return candidates.isEmpty() ? null : candidates.get(0);
    }

    /**
     * Makes sure every market's file is present and returns the file of each market. Present files
     * are used as they are; one whose checksum differs from the public release is reported (it may
     * be a deliberately edited copy). Missing files are downloaded and verified into the cache
     * ({@code XMREC_DATA_DIR} or the default); in a directory named by {@code --data} a missing file is
     * an error instead. A directory standing where a market's file should be is an error naming the
     * path and where the directory came from.
     */
    public Map<String, Path> ensure(Collection<String> markets) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String market : markets) {
            Markets.requireValid(market);
            String name = Markets.fileName(market);
            Path found = fileOf(market);
            Path file = found != null ? found : dir.resolve(name);
            String expected = found != null && !found.getFileName().toString().equals(name) ? null : checksums.get(name);
            if (Files.isRegularFile(file)) {
                if (expected != null && !expected.equals(Checksums.sha256Hex(file))) {
                    log.accept("note: " + file + " differs from the public XMarket release (SHA-256 mismatch);"
                            + " using it as given");
                }
            } else if (Files.exists(file)) {
                throw new IllegalArgumentException(file + " (from " + origin + ") is not a regular file: the XMarket file "
                        + name + " must be a file");
            } else if (userNamed) {
                throw new IllegalArgumentException("no file for market " + market + " in " + dir + " (from " + origin
                        + "): expected " + market + "_<anything>.txt" + (expected != null ? ", or leave out --data to use "
                        + "(and fill) the download cache" : ""));
            } else if (expected == null) {
                throw new IllegalArgumentException("no file for market " + market + " in " + dir + " (from " + origin
                        + "): it is no XMarket Electronics market, so it cannot be downloaded; put its file "
                        + market + "_<anything>.txt there or point --data at a directory that has it");
            } else {
                download(name, file, expected);
            }
            out.put(market, file);
        }
        return out;
    }

    private void download(String name, Path file, String expected) {
        Objects.requireNonNull(expected, () -> "no checksum is shipped for " + name + "; refusing to download it");
        URI uri = URI.create(baseUrl + name);
        log.accept(file + " is missing: downloading " + uri);
        byte[] body;
        try {
            HttpClient client = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(15))
                    .followRedirects(HttpClient.Redirect.NORMAL)
                    .build();
            HttpResponse<byte[]> resp = client.send(
                    HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (resp.statusCode() != 200) {
                throw new IOException("HTTP " + resp.statusCode());
            }
            body = resp.body();
        } catch (IOException e) {
            throw new UncheckedIOException(cannotDownload(uri, e.toString()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while downloading " + uri, e);
        }
        String actual = Checksums.sha256Hex(body);
        if (!actual.equals(expected)) {
            throw new IllegalStateException("downloaded " + uri + " (" + body.length + " bytes) but its SHA-256 is "
                    + actual + ", expected " + expected + " from SHA256SUMS; nothing was saved");
        }
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, name, ".part");
            Files.write(tmp, body);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save " + file + ": " + e.getMessage(), e);
        }
        log.accept("downloaded " + name + " (" + body.length + " bytes, SHA-256 verified) to " + file);
    }

    private String cannotDownload(URI uri, String why) {
        return "cannot download " + uri + " (" + why + "). Put the XMarket 5-core files into " + dir
                + " or point --data / " + ENV_DATA_DIR + " at a directory that has them";
    }

    @Override
    public String toString() {
        return dir + " (from " + origin + ")";
    }
}
