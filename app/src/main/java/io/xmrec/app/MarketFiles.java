package io.xmrec.app;

import io.xmrec.core.data.DataDirectory;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.Markets;
import io.xmrec.core.data.XMarketReader;
import io.xmrec.core.data.synth.SyntheticMarkets;
import io.xmrec.core.data.synth.SyntheticProfile;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Finds (or downloads) and reads the XMarket files of some markets, for every command that needs them. */
final class MarketFiles {

    private MarketFiles() {
    }

    /** Skipped lines printed one by one per run; the rest are counted. */
    static final int SHOWN_BAD_LINES = 10;

    static Map<String, MarketData> load(Path data, List<String> markets, boolean skipBadLines, PrintWriter stderr) {
        return load(data, markets, skipBadLines, XMarketReader.DEFAULT_MAX_BAD_LINES, stderr);
    }

    /**
     * Reads the files of {@code markets}; with none named (null or empty), every market of the data
     * directory (XMarket Electronics' seven when the directory is the empty download cache).
     */
    static Map<String, MarketData> load(Path data, List<String> markets, boolean skipBadLines, long maxBadLines,
                                        PrintWriter stderr) {
        return load(data, markets, skipBadLines, maxBadLines, stderr, System.getenv());
    }

    /**
     * For the demo: the market files as {@link #load} finds them; where they are neither found nor
     * downloadable (a machine without internet, no {@code --data}), synthetic markets of the same codes
     * generated at scale 1 with seed 42 into the cache ({@code xmrec synth}), said in the first line.
     */
    static Map<String, MarketData> loadOrGenerate(Path data, List<String> markets, PrintWriter stderr,
                                                  Map<String, String> env) {
        try {
            return load(data, markets, false, XMarketReader.DEFAULT_MAX_BAD_LINES, stderr, env);
        } catch (java.io.UncheckedIOException e) {
            if (data != null || e.getMessage() == null || !e.getMessage().startsWith("cannot download")) {
                throw e;
            }
            List<String> codes = markets == null || markets.isEmpty() ? Markets.XMARKET : markets;
            Path dir = DataDirectory.resolve(null, env, s -> { }).dir().resolveSibling("synthetic-scale1-seed42");
            stderr.println("data: the XMarket files can neither be found nor downloaded (" + e.getMessage().lines()
                    .findFirst().orElse("") + "); running on GENERATED data instead: synthetic markets " + codes
                    + " (xmrec synth --scale 1 --seed 42) in " + dir);
            stderr.flush();
            List<String> missing = codes.stream().filter(m -> !java.nio.file.Files.isRegularFile(dir.resolve(
                    Markets.fileName(m)))).toList();
            if (!missing.isEmpty()) {
                SyntheticMarkets.write(SyntheticProfile.xmarketElectronics(), new SyntheticMarkets.Options(codes, 1, 1, 42),
                        dir, stderr::println);
            }
            return load(dir, codes, false, XMarketReader.DEFAULT_MAX_BAD_LINES, stderr, env);
        }
    }

    private static Map<String, MarketData> load(Path data, List<String> markets, boolean skipBadLines, long maxBadLines,
                                                PrintWriter stderr, Map<String, String> env) {
        DataDirectory dir = DataDirectory.resolve(data, XmrecCli.sourceOf("data"), env, stderr::println);
        Map<String, Path> files = dir.ensure(markets == null || markets.isEmpty() ? dir.defaultMarkets() : markets);
        int[] shown = {0};
        XMarketReader reader = skipBadLines
                ? XMarketReader.skippingBadLines(maxBadLines, e -> {
                    if (shown[0]++ < SHOWN_BAD_LINES) {
                        stderr.println("skipped: " + e.getMessage());
                    }
                })
                : XMarketReader.strict();
        Map<String, MarketData> loaded = new LinkedHashMap<>();
        for (Map.Entry<String, Path> f : files.entrySet()) {
            MarketData md = reader.read(f.getKey(), f.getValue());
            loaded.put(f.getKey(), md);
            if (md.skippedLines() > 0) {
                stderr.println(f.getValue() + ": skipped " + md.skippedLines() + " bad lines"
                        + (shown[0] > SHOWN_BAD_LINES ? " (the first " + SHOWN_BAD_LINES + " of this run shown)" : ""));
            }
        }
        stderr.println("data: " + dir);
        return loaded;
    }
}
