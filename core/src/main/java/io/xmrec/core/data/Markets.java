package io.xmrec.core.data;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The XMarket Electronics markets xmrec knows how to find or download, and market-name parsing. */
public final class Markets {

    /** The seven markets of the public FOREC release of XMarket Electronics 5-core. */
    public static final List<String> KNOWN = List.of("ca", "de", "fr", "in", "jp", "mx", "uk");

    private Markets() {
    }

    /** The file name of a market's 5-core file. */
    public static String fileName(String market) {
        return market + "_5core.txt";
    }

    /**
     * Parses a comma-separated market list ("de,uk"); rejects unknown names and duplicates with
     * a message naming the offending entry and the accepted ones.
     */
    public static List<String> parseList(String csv) {
        if (csv == null || csv.isBlank()) {
            return List.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (String raw : csv.split(",")) {
            String m = raw.trim().toLowerCase();
            requireKnown(m);
            if (!out.add(m)) {
                throw new IllegalArgumentException("market '" + m + "' is listed twice in '" + csv + "'");
            }
        }
        return new ArrayList<>(out);
    }

    /** Throws a clear error for a market name xmrec has no data for. */
    public static String requireKnown(String market) {
        if (!KNOWN.contains(market)) {
            throw new IllegalArgumentException("unknown market '" + market + "': expected one of "
                    + String.join(", ", KNOWN));
        }
        return market;
    }
}
