package io.xmrec.core.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MarketStatisticsTest {

    private static MarketData market(String name, String... userItemRating) {
        List<Interaction> l = new ArrayList<>();
        for (int k = 0; k < userItemRating.length; k++) {
            String[] f = userItemRating[k].split(" ");
            l.add(new Interaction(f[0], f[1], Float.parseFloat(f[2]), k, k));
        }
        return new MarketData(name, null, null, l, 0);
    }

    @Test
    void cosineOfPurchaseCountsCoverageAndRatings() {
        MarketData a = market("a", "u1 x 5", "u2 x 4", "u1 y 5");
        MarketData b = market("b", "v1 x 1", "v1 z 2", "v2 z 2", "v3 z 3.5");
        MarketStatistics s = MarketStatistics.of(List.of(a, b));
        // a = (x:2, y:1, z:0), b = (x:1, y:0, z:3): 2 / (sqrt 5 * sqrt 10)
        assertEquals(2 / Math.sqrt(50), s.cosine("a", "b"), 1e-12);
        assertEquals(s.cosine("a", "b"), s.cosine("b", "a"), 1e-12);
        assertEquals(1.0, s.cosine("a", "a"), 1e-12);
        MarketStatistics.Pair ab = s.pair("a", "b");
        assertEquals(0.5, ab.itemCoverage(), 1e-12, "b sells x, not y");
        assertEquals(2.0 / 3, ab.interactionCoverage(), 1e-12, "two of a's three purchases are of x");
        assertEquals(0.5, s.pair("b", "a").itemCoverage(), 1e-12);
        assertEquals(0.25, s.pair("b", "a").interactionCoverage(), 1e-12);
        MarketStatistics.Market mb = s.markets().get("b");
        assertArrayEquals(new long[]{1, 2, 0, 0, 0}, mb.ratings());
        assertEquals(1, mb.otherRatings(), "3.5 is not a star rating");
        assertEquals(3, mb.users());
        assertEquals(2, mb.items());
        assertEquals(4.667, s.markets().get("a").meanRating(), 1e-3);
        assertEquals(2, s.pairs().size());
        assertThrows(IllegalArgumentException.class, () -> s.cosine("a", "zz"));
    }

    @Test
    void theSelectorPrefersTheMostSimilarMarketThenTheBetterCovering() {
        MarketData t = market("t", "u1 x 5", "u2 x 4", "u3 y 5", "u4 z 5");
        MarketData near = market("near", "a x 5", "b x 5", "c y 5");
        MarketData far = market("far", "a q 5", "b r 5");
        MarketData alsoFar = market("alsofar", "a q 5", "b z 5");
        MarketStatistics s = MarketStatistics.of(List.of(t, near, far, alsoFar));
        assertEquals(List.of("near", "alsofar", "far"), SourceSelector.rank(s, "t").stream()
                .map(MarketStatistics.Pair::source).toList());
        assertEquals(List.of("near"), SourceSelector.choose(s, "t", 1));
        assertThrows(IllegalArgumentException.class, () -> SourceSelector.choose(s, "t", 4));
    }
}
