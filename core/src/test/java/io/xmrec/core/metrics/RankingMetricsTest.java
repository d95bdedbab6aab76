package io.xmrec.core.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RankingMetricsTest {

    @Test
    void rankCountsCandidatesScoredAtLeastAsHigh() {
        float[] c = {0.1f, 0.9f, 0.5f, 0.7f};
        assertEquals(3, RankingMetrics.pessimisticRank(0.6f, c, 0, 4));
        assertEquals(1, RankingMetrics.pessimisticRank(0.95f, c, 0, 4));
        assertEquals(5, RankingMetrics.pessimisticRank(0.0f, c, 0, 4));
        assertEquals(2, RankingMetrics.pessimisticRank(0.6f, c, 1, 3)); // sub-range
    }

    @Test
    void tiesAndNaNNeverFavourTheHeldOutItem() {
        assertEquals(4, RankingMetrics.pessimisticRank(0.5f, new float[] {0.5f, 0.5f, 0.5f}, 0, 3));
        assertEquals(2, RankingMetrics.pessimisticRank(0.5f, new float[] {Float.NaN, 0.1f}, 0, 2));
        assertEquals(3, RankingMetrics.pessimisticRank(Float.NaN, new float[] {0.1f, 0.2f}, 0, 2));
    }

    @Test
    void handComputedMetrics() {
        assertEquals(1.0, RankingMetrics.ndcg(1, 10), 1e-12);
        assertEquals(0.5, RankingMetrics.ndcg(3, 10), 1e-12); // 1/log2(4)
        assertEquals(1 / (Math.log(11) / Math.log(2)), RankingMetrics.ndcg(10, 10), 1e-12);
        assertEquals(0.0, RankingMetrics.ndcg(11, 10));
        assertEquals(1.0, RankingMetrics.hitRate(10, 10));
        assertEquals(0.0, RankingMetrics.hitRate(11, 10));
        assertEquals(0.25, RankingMetrics.reciprocalRank(4), 1e-12);
        RankSummary s = RankSummary.of(new int[] {1, 3, 11, 2}, 10);
        assertEquals(0.75, s.hitRate(), 1e-12);
        assertEquals((1 + 0.5 + 0 + 1 / (Math.log(3) / Math.log(2))) / 4, s.ndcg(), 1e-12);
        assertEquals((1 + 1 / 3.0 + 1 / 11.0 + 0.5) / 4, s.mrr(), 1e-12);
    }

    @Test
    void constantScorerGetsZeroAndPerfectScorerGetsOne() {
        float[] constant = new float[99];
        java.util.Arrays.fill(constant, 0.3f);
        int[] ranks = new int[50];
        int[] perfect = new int[50];
        float[] low = new float[99];
        for (int u = 0; u < 50; u++) {
            ranks[u] = RankingMetrics.pessimisticRank(0.3f, constant, 0, 99);
            perfect[u] = RankingMetrics.pessimisticRank(1f, low, 0, 99);
        }
        assertEquals(0.0, RankSummary.of(ranks, 10).hitRate());
        assertEquals(0.0, RankSummary.of(ranks, 10).ndcg());
        assertEquals(1.0, RankSummary.of(perfect, 10).hitRate());
        assertEquals(1.0, RankSummary.of(perfect, 10).ndcg());
    }
}
