package io.xmrec.core.data;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a market code may be, and market-list parsing. A market is whatever code a shop's data or
 * topics carry; XMarket Electronics' seven markets are only the default data set.
 */
public final class Markets {

    /** The seven markets of the public FOREC release of XMarket Electronics 5-core (the default data set). */
    public static final List<String> XMARKET = List.of("ca", "de", "fr", "in", "jp", "mx", "uk");

    /** The longest market code: it is part of topic names, record keys and metric labels. */
    public static final int MAX_LENGTH = 32;

    /** Lower-case letters and digits, then also '_' and '-': safe in topic names, paths, URLs and labels. */
    public static final String CODE_REGEX = "[a-z0-9][a-z0-9_-]{0," + (MAX_LENGTH - 1) + "}";

    private static final Pattern CODE = Pattern.compile(CODE_REGEX);

    private Markets() {
    }

    /** The file name of an XMarket market's 5-core file (what is downloaded). */
    public static String fileName(String market) {
        return market + "_5core.txt";
    }

    /** Whether {@code code} is a valid market code. */
    public static boolean isValid(String code) {
        return code != null && CODE.matcher(code).matches();
    }

    /** Returns a valid market code, or throws a one-line error saying what a market code may be. */
    public static String requireValid(String code) {
        if (!isValid(code)) {
            String shown = code == null ? "null" : "'" + escape(code) + "'";
            throw new IllegalArgumentException("market code " + shown + " is not valid: a market code is 1 to "
                    + MAX_LENGTH + " lower-case letters, digits, '_' or '-', starting with a letter or digit");
        }
        return code;
    }

    /**
     * Parses a comma-separated market list ("de,uk,es-b2b"); rejects invalid codes and duplicates with
     * a message naming the offending entry. Codes are taken as written, lower-cased.
     */
    public static List<String> parseList(String csv) {
        if (csv == null || csv.isBlank()) {
            return List.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (String raw : csv.split(",")) {
            String m = raw.trim().toLowerCase(java.util.Locale.ROOT);
            if (m.isEmpty()) {
                throw new IllegalArgumentException("empty market in '" + escape(csv) + "'");
            }
            requireValid(m);
            if (!out.add(m)) {
                throw new IllegalArgumentException("market '" + m + "' is listed twice in '" + escape(csv) + "'");
            }
        }
        return new ArrayList<>(out);
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 80; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return s.length() > 80 ? b + "..." : b.toString();
    }
}
