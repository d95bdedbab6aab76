package io.xmrec.core.metrics;

/**
 * Mean HR@k, nDCG@k and MRR over users' ranks of their held-out item.
 *
 * @param users number of users averaged
 */
public record RankSummary(int users, int k, double hitRate, double ndcg, double mrr) {

    public static RankSummary of(int[] ranks, int k) {
        double hr = 0;
        double nd = 0;
        double rr = 0;
        for (int r : ranks) {
            hr += RankingMetrics.hitRate(r, k);
            nd += RankingMetrics.ndcg(r, k);
            rr += RankingMetrics.reciprocalRank(r);
        }
        int n = ranks.length;
        return n == 0 ? new RankSummary(0, k, Double.NaN, Double.NaN, Double.NaN)
                : new RankSummary(n, k, hr / n, nd / n, rr / n);
    }
}
