package io.xmrec.core.testing;

import io.xmrec.core.data.DataDirectory;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.XMarketReader;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where tests find the real XMarket files: {@code XMREC_DATA_DIR}, else the build's fallback
 * ({@code ../shared/xmarket} next to the checkout). Missing data skips a test locally but fails
 * it on CI ({@code CI} set), so CI can never pass by silently skipping.
 */
public final class TestData {

    private TestData() {
    }

    public static Path dir() {
        String env = System.getenv(DataDirectory.ENV_DATA_DIR);
        Path p = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("xmrec.test.data", "../shared/xmarket"));
        if (!Files.isRegularFile(p.resolve("in_5core.txt"))) {
            String msg = "XMarket files not found in " + p.toAbsolutePath() + "; set XMREC_DATA_DIR";
            if (System.getenv("CI") != null) {
                throw new IllegalStateException(msg);
            }
            Assumptions.abort(msg);
        }
        return p;
    }

    public static MarketData market(String market) {
        return XMarketReader.strict().read(market, dir().resolve(market + "_5core.txt"));
    }
}
