package io.xmrec.app;

import io.xmrec.core.data.DataDirectory;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.XMarketReader;

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
        DataDirectory dir = DataDirectory.resolve(data, XmrecCli.sourceOf("data"), System.getenv(), stderr::println);
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
