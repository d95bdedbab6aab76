package io.xmrec.core.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads XMarket 5-core files: a header line {@code userId itemId rate date}, then one
 * space-separated interaction per line. A bad line fails the read with file, line number and
 * content, unless the reader was built to skip bad lines, in which case they are counted.
 */
public final class XMarketReader {

    static final String HEADER = "userId itemId rate date";

    /** How many bad lines a skipping reader tolerates per file before it takes the file for something else. */
    public static final long DEFAULT_MAX_BAD_LINES = 1000;

    private final boolean skipBadLines;
    private final long maxBadLines;
    private final Consumer<DataFormatException> onSkip;

    private XMarketReader(boolean skipBadLines, long maxBadLines, Consumer<DataFormatException> onSkip) {
        this.skipBadLines = skipBadLines;
        this.maxBadLines = maxBadLines;
        this.onSkip = onSkip;
    }

    /** A reader that fails on the first bad line. */
    public static XMarketReader strict() {
        return new XMarketReader(false, 0, e -> { });
    }

    /** A reader that skips bad lines, counts them and reports each to {@code onSkip}. */
    public static XMarketReader skippingBadLines(Consumer<DataFormatException> onSkip) {
        return skippingBadLines(DEFAULT_MAX_BAD_LINES, onSkip);
    }

    /**
     * A reader that skips bad lines, counts them and reports each to {@code onSkip}, and fails once
     * a file has more than {@code maxBadLines} of them (it is then most likely not an XMarket file).
     */
    public static XMarketReader skippingBadLines(long maxBadLines, Consumer<DataFormatException> onSkip) {
        if (maxBadLines < 0) {
            throw new IllegalArgumentException("the maximum number of bad lines must not be negative, got " + maxBadLines);
        }
        return new XMarketReader(true, maxBadLines, onSkip);
    }

    /** Reads one market's file. */
    public MarketData read(String market, Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("no data file for market '" + market + "' at " + file, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String sha = Checksums.sha256Hex(bytes);
        String text = new String(bytes, StandardCharsets.UTF_8);
        List<Interaction> out = new ArrayList<>(text.length() / 50);
        // one String per distinct user and item id, not two per line: a user's id is on ~9 lines, an item's on more
        // (at 100x XMarket's size, 26.5M Strings for 13.2M lines; the demo's heap held them for its whole run)
        Map<String, String> ids = new HashMap<>();
        long skipped = 0;
        long lineNo = 0;
        int pos = 0;
        while (pos < text.length()) {
            int end = text.indexOf('\n', pos);
            if (end < 0) {
                end = text.length();
            }
            String line = text.substring(pos, end);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            pos = end + 1;
            lineNo++;
            if (isHeader(lineNo, line)) {
                continue;
            }
            if (line.isBlank()) {
                continue;
            }
            try {
                out.add(parse(file, lineNo, line, ids));
            } catch (DataFormatException e) {
                if (!skipBadLines) {
                    throw e;
                }
                skipped++;
                if (skipped > maxBadLines) {
                    throw new IllegalArgumentException(file + ": more than " + maxBadLines + " bad lines (the last at line "
                            + lineNo + "): is it an XMarket 5-core file? (see --max-bad-lines)");
                }
                onSkip.accept(e);
            }
        }
        return new MarketData(market, file, sha, List.copyOf(out), skipped);
    }

    /** Whether a line is the file's header (only line 1 may be). */
    public static boolean isHeader(long lineNo, String line) {
        return lineNo == 1 && line.trim().equals(HEADER);
    }

    /** Parses one data line (1-based {@code lineNo}); a bad line throws with file, line and content. */
    public static Interaction parse(Path file, long lineNo, String line) {
        return parse(file, lineNo, line, null);
    }

    /** {@link #parse(Path, long, String)} taking user and item ids from {@code ids} when it has them (else adding them). */
    private static Interaction parse(Path file, long lineNo, String line, Map<String, String> ids) {
        String[] f = line.trim().split("\\s+");
        if (f.length != 4) {
            throw new DataFormatException(file, lineNo, line, "expected 4 fields, found " + f.length);
        }
        float rating;
        try {
            rating = Float.parseFloat(f[2]);
        } catch (NumberFormatException e) {
            throw new DataFormatException(file, lineNo, line, "rating '" + f[2] + "' is not a number");
        }
        if (!(rating >= 1f && rating <= 5f)) {
            throw new DataFormatException(file, lineNo, line, "rating " + f[2] + " is outside 1..5");
        }
        long day;
        try {
            day = LocalDate.parse(f[3]).toEpochDay();
        } catch (DateTimeParseException e) {
            throw new DataFormatException(file, lineNo, line, "date '" + f[3] + "' is not YYYY-MM-DD");
        }
        if (ids != null) {
            f[0] = ids.computeIfAbsent(f[0], k -> k);
            f[1] = ids.computeIfAbsent(f[1], k -> k);
        }
        return new Interaction(f[0], f[1], rating, day, lineNo);
    }
}
