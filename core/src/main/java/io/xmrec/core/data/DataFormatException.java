package io.xmrec.core.data;

import java.nio.file.Path;

/** A line of an XMarket file that does not follow {@code userId itemId rate date}. */
public final class DataFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final Path file;
    private final long lineNumber;
    private final String line;

    public DataFormatException(Path file, long lineNumber, String line, String problem) {
        super(file + ":" + lineNumber + ": " + printable(problem) + " in line '" + abbreviate(line)
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

    /**
     * The line as a terminal can show it: control and unprintable characters as {@code \xNN} or
     * a backslash-u escape, at most 120 characters of it.
     */
    public static String printable(String s) {
        StringBuilder b = new StringBuilder();
        int limit = 120;
        int i = 0;
        for (; i < s.length() && b.length() < limit; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else if (c == '\uFFFD' || Character.isISOControl(c) || Character.isSurrogate(c)
                    || Character.getType(c) == Character.FORMAT || Character.getType(c) == Character.UNASSIGNED) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return i < s.length() ? b + "... (" + s.length() + " characters)" : b.toString();
    }

    private static String abbreviate(String s) {
        return printable(s);
    }
}
