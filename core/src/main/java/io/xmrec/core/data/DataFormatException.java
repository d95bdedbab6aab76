package io.xmrec.core.data;

import java.nio.file.Path;

/** A line of an XMarket file that does not follow {@code userId itemId rate date}. */
public final class DataFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Path file;
    private final long lineNumber;
    private final String line;

    public DataFormatException(Path file, long lineNumber, String line, String problem) {
        super(file + ":" + lineNumber + ": " + problem + " in line '" + abbreviate(line)
                + "' (expected 'userId itemId rate date', rate 1..5, date YYYY-MM-DD;"
                + " pass --skip-bad-lines to count and skip such lines)");
        this.file = file;
        this.lineNumber = lineNumber;
        this.line = line;
    }

    public Path file() {
        return file;
    }

    public long lineNumber() {
        return lineNumber;
    }

    public String line() {
        return line;
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
