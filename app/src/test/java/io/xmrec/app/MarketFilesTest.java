package io.xmrec.app;

import io.xmrec.core.data.MarketData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where the demo's data comes from when the XMarket files are not there. */
class MarketFilesTest {

    @Test
    void withoutTheFilesOrInternetTheDemoRunsOnGeneratedDataAndSaysSo(@TempDir Path cache) {
        StringWriter err = new StringWriter();
        Map<String, String> env = Map.of("XDG_CACHE_HOME", cache.toString(), "XMREC_DATA_URL", "http://127.0.0.1:9/");
        Map<String, MarketData> loaded = MarketFiles.loadOrGenerate(null, List.of("in", "us"), new PrintWriter(err, true), env);
        assertEquals(List.of("in", "us"), List.copyOf(loaded.keySet()));
        assertTrue(loaded.get("us").interactions().size() > 1000, "" + loaded.get("us").interactions().size());
        List<String> lines = err.toString().lines().toList();
        assertTrue(lines.subList(0, Math.min(3, lines.size())).stream().anyMatch(l -> l.contains("GENERATED data")),
                err.toString());
        // a directory the user named is never replaced by generated data
        StringWriter err2 = new StringWriter();
        assertThrows(IllegalArgumentException.class, () -> MarketFiles.loadOrGenerate(cache.resolve("none"),
                List.of("in"), new PrintWriter(err2, true), env));
    }
}
