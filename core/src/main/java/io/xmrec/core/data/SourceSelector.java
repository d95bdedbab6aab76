package io.xmrec.core.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Chooses source markets for a target before any training, from cheap signals: the cosine
 * similarity of the markets' item purchase counts first, then how much of the target's
 * interactions are with items the source sells. (The paper leaves source selection open; how
 * close this gets to the best source chosen by training is what bench/source-scenarios.sh and
 * the README's results measure.)
 */
public final class SourceSelector {

    private SourceSelector() {
    }

    /** Every other market, best candidate first. */
    public static List<MarketStatistics.Pair> rank(MarketStatistics stats, String target) {
        List<MarketStatistics.Pair> out = new ArrayList<>();
        for (String s : stats.names()) {
            if (!s.equals(target)) {
                out.add(stats.pair(target, s));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no market besides " + target + " to choose a source from");
        }
        out.sort(Comparator.comparingDouble(MarketStatistics.Pair::cosine).reversed()
                .thenComparing(Comparator.comparingDouble(MarketStatistics.Pair::interactionCoverage).reversed())
                .thenComparing(MarketStatistics.Pair::source));
        return out;
    }

    /** The {@code n} best sources. */
    public static List<String> choose(MarketStatistics stats, String target, int n) {
        List<MarketStatistics.Pair> r = rank(stats, target);
        if (n < 1 || n > r.size()) {
            throw new IllegalArgumentException("cannot choose " + n + " sources for " + target + " from " + r.size()
                    + " other markets");
        }
        return r.subList(0, n).stream().map(MarketStatistics.Pair::source).toList();
    }
}
