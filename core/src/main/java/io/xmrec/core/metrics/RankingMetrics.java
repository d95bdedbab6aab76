package io.xmrec.core.metrics;

/**
 * Ranking metrics for a single relevant (held-out) item.
 *
 * <p>Ties are broken pessimistically: the held-out item ranks after every candidate whose score
 * is equal to (or, being NaN, not comparable with) its own, so a constant scorer earns nothing.
 */
public final class RankingMetrics {

    private RankingMetrics() {
    }

    /**
     * The 1-based rank of the held-out item among {@code candidates} other candidates.
     *
     * @param positive       score of the held-out item
     * @param candidates     scores of the other candidates (the held-out item itself excluded)
     * @param from           first candidate index to look at
     * @param to             one past the last
     */
    public static int pessimisticRank(float positive, float[] candidates, int from, int to) {
        if (Float.isNaN(positive)) {
            return to - from + 1;
        }
        int ahead = 0;
        for (int i = from; i < to; i++) {
            float c = candidates[i];
            // !(c < positive) counts ties and NaN candidates as ahead of the positive.
            if (!(c < positive)) {
                ahead++;
            }
        }
        return ahead + 1;
    }

    public static double hitRate(int rank, int k) {
        return rank <= k ? 1.0 : 0.0;
    }

    /** nDCG@k with one relevant item: 1/log2(rank+1) within the cut-off, else 0. */
    public static double ndcg(int rank, int k) {
        return rank <= k ? 1.0 / (Math.log(rank + 1) / Math.log(2)) : 0.0;
    }

    public static double reciprocalRank(int rank) {
        return 1.0 / rank;
    }
}
