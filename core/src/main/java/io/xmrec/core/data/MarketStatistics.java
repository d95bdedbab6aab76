package io.xmrec.core.data;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What can be said about markets before training anything: sizes, the distribution of ratings,
 * and how alike two markets are. The FOREC paper (its Figure 2) compares markets by the cosine
 * similarity of their per-item purchase-count vectors (an interaction counts as a purchase; the
 * vectors run over the union of both markets' items); the overlap of the item catalogues says
 * how much of a target's catalogue a source covers at all.
 */
public final class MarketStatistics {

    /** Sizes of one market and how many of its ratings are 1, 2, 3, 4, 5 (index 0..4; other values in {@code otherRatings}). */
    public record Market(String market, int users, int items, int interactions, long[] ratings, long otherRatings) {
        public double meanRating() {
            double s = 0;
            long n = 0;
            for (int r = 0; r < 5; r++) {
                s += (r + 1) * (double) ratings[r];
                n += ratings[r];
            }
            return n == 0 ? Double.NaN : s / n;
        }
    }

    /**
     * One ordered pair: cosine similarity of the item purchase counts (symmetric), the share of
     * the target's items that the source also sells, and the share of the target's interactions
     * that are with such items.
     */
    public record Pair(String target, String source, double cosine, double itemCoverage, double interactionCoverage) {
    }

    private final Map<String, Market> markets = new LinkedHashMap<>();
    private final Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();

    private MarketStatistics() {
    }

    public static MarketStatistics of(Iterable<MarketData> data) {
        MarketStatistics s = new MarketStatistics();
        for (MarketData d : data) {
            Map<String, Integer> c = new HashMap<>();
            Set<String> users = new HashSet<>();
            long[] ratings = new long[5];
            long other = 0;
            for (Interaction i : d.interactions()) {
                c.merge(i.item(), 1, Integer::sum);
                users.add(i.user());
                int r = Math.round(i.rating());
                if (r >= 1 && r <= 5 && r == i.rating()) {
                    ratings[r - 1]++;
                } else {
                    other++;
                }
            }
            s.counts.put(d.market(), c);
            s.markets.put(d.market(), new Market(d.market(), users.size(), c.size(), d.interactions().size(), ratings, other));
        }
        return s;
    }

    public Map<String, Market> markets() {
        return markets;
    }

    public List<String> names() {
        return List.copyOf(markets.keySet());
    }

    /** Cosine similarity of two markets' item purchase-count vectors (1 for the same market). */
    public double cosine(String a, String b) {
        Map<String, Integer> x = counts(a);
        Map<String, Integer> y = counts(b);
        double dot = 0;
        for (Map.Entry<String, Integer> e : x.entrySet()) {
            Integer other = y.get(e.getKey());
            if (other != null) {
                dot += (double) e.getValue() * other;
            }
        }
        double nx = norm(x);
        double ny = norm(y);
        return nx == 0 || ny == 0 ? 0 : dot / (nx * ny);
    }

    public Pair pair(String target, String source) {
        Map<String, Integer> t = counts(target);
        Map<String, Integer> s = counts(source);
        int shared = 0;
        long sharedInteractions = 0;
        long all = 0;
        for (Map.Entry<String, Integer> e : t.entrySet()) {
            all += e.getValue();
            if (s.containsKey(e.getKey())) {
                shared++;
                sharedInteractions += e.getValue();
            }
        }
        return new Pair(target, source, cosine(target, source), t.isEmpty() ? 0 : (double) shared / t.size(),
                all == 0 ? 0 : (double) sharedInteractions / all);
    }

    /** Every ordered pair of different markets, by target then source. */
    public Map<String, Map<String, Pair>> pairs() {
        Map<String, Map<String, Pair>> out = new TreeMap<>();
        for (String t : markets.keySet()) {
            for (String s : markets.keySet()) {
                if (!t.equals(s)) {
                    out.computeIfAbsent(t, k -> new TreeMap<>()).put(s, pair(t, s));
                }
            }
        }
        return out;
    }

    private Map<String, Integer> counts(String market) {
        Map<String, Integer> c = counts.get(market);
        if (c == null) {
            throw new IllegalArgumentException("no data for market " + market + "; have " + markets.keySet());
        }
        return c;
    }

    private static double norm(Map<String, Integer> v) {
        double s = 0;
        for (int c : v.values()) {
            s += (double) c * c;
        }
        return Math.sqrt(s);
    }
}
