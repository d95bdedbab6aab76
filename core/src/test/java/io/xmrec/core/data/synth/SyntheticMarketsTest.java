package io.xmrec.core.data.synth;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.Markets;
import io.xmrec.core.data.XMarketReader;
import io.xmrec.core.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Synthetic markets: shaped like the profile, readable as XMarket files, a function of the seed. */
class SyntheticMarketsTest {

    private static final SyntheticProfile XMARKET = SyntheticProfile.xmarketElectronics();

    @Test
    void theProfileReadsBackAsWritten() {
        assertEquals(XMARKET.format(), SyntheticProfile.parse(XMARKET.format()).format());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SyntheticProfile.parse("reach 1\nmarket us\n  users\n"));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }

    @Test
    void theShippedProfileDescribesTheShippedFiles() {
        // a stale profile (fitted to other files, or before a change of the statistics) fails here
        for (String m : Markets.XMARKET) {
            MarketData real = TestData.market(m);
            MarketShape s = XMARKET.markets().get(m);
            assertEquals(real.interactions().size(), s.interactions(), m);
            assertEquals(real.interactions().stream().map(Interaction::user).distinct().count(), s.users(), m);
            assertEquals(real.interactions().stream().map(Interaction::item).distinct().count(), s.items(), m);
        }
    }

    @Test
    void generatedMarketsHaveTheProfilesShape() {
        Map<String, MarketData> gen = SyntheticMarkets.generate(XMARKET, new SyntheticMarkets.Options(Markets.XMARKET, 1, 1, 42));
        SyntheticProfile seen = SyntheticProfile.fit(gen.values());
        Set<String> users = new HashSet<>();
        for (String m : Markets.XMARKET) {
            MarketShape want = XMARKET.markets().get(m);
            MarketShape got = seen.markets().get(m);
            assertEquals(want.users(), got.users(), m);
            assertEquals(want.interactions(), got.interactions(), want.interactions() * 0.1, m + " interactions");
            assertEquals(want.items(), got.items(), want.items() * 0.2, m + " catalogue");
            assertEquals(want.degree()[0], got.degree()[0], m + " least reviews per user");
            assertEquals(want.ratings()[4], got.ratings()[4], 0.03, m + " share of 5 stars");
            if (want.users() > 1000) { // thin markets are noisy
                assertEquals(want.top10Share(), got.top10Share(), 0.08, m + " top tenth's share");
                assertEquals(want.popNdcg(), got.popNdcg(), 0.06, m + " popularity's nDCG");
            }
            for (Interaction x : gen.get(m).interactions()) {
                users.add(x.user());
            }
        }
        assertEquals(seen.markets().values().stream().mapToLong(MarketShape::users).sum(), users.size(),
                "users are not shared across markets");
        assertEquals(1 - XMARKET.reachShares()[0], 1 - seen.reachShares()[0], 0.05, "items sold in several markets");
        assertEquals(XMARKET.popCorrelation(), seen.popCorrelation(), 0.08, "popularity alike across markets");
    }

    @Test
    void theSameSeedWritesTheSameFilesAndAnyMarketCodeWorks(@TempDir Path a, @TempDir Path b, @TempDir Path c)
            throws IOException {
        List<String> markets = List.of("us", "es-b2b");
        SyntheticMarkets.write(XMARKET, new SyntheticMarkets.Options(markets, 0.2, 0.2, 7), a, l -> { });
        SyntheticMarkets.write(XMARKET, new SyntheticMarkets.Options(markets, 0.2, 0.2, 7), b, l -> { });
        SyntheticMarkets.write(XMARKET, new SyntheticMarkets.Options(markets, 0.2, 0.2, 8), c, l -> { });
        for (String m : markets) {
            byte[] first = Files.readAllBytes(a.resolve(m + "_5core.txt"));
            assertArrayEquals(first, Files.readAllBytes(b.resolve(m + "_5core.txt")), m);
            assertFalse(java.util.Arrays.equals(first, Files.readAllBytes(c.resolve(m + "_5core.txt"))), m);
            MarketData read = XMarketReader.strict().read(m, a.resolve(m + "_5core.txt"));
            assertTrue(read.interactions().size() > 1000, m + ": " + read.interactions().size());
        }
        // the markets share items
        Map<String, Set<String>> items = new HashMap<>();
        for (String m : markets) {
            items.put(m, new HashSet<>(XMarketReader.strict().read(m, a.resolve(m + "_5core.txt")).interactions().stream()
                    .map(Interaction::item).toList()));
        }
        Set<String> shared = new HashSet<>(items.get("us"));
        shared.retainAll(items.get("es-b2b"));
        assertTrue(shared.size() > 50, "shared items: " + shared.size());
        assertThrows(IllegalArgumentException.class,
                () -> new SyntheticMarkets.Options(new ArrayList<>(List.of("US")), 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new SyntheticMarkets.Options(List.of("us"), 0, 1, 1));
    }
}
