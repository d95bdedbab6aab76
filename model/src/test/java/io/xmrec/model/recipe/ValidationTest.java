package io.xmrec.model.recipe;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.Split;
import io.xmrec.core.metrics.OfflineEvaluator;
import io.xmrec.core.sampling.EvaluationNegatives;
import io.xmrec.core.testing.TestData;
import io.xmrec.model.NcfArchitecture;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Early stopping watches the target for a market's own stage and all markets pooled for a shared stage,
 * on the half of each market's users the per-market choice is not made on.
 */
class ValidationTest {

    @Test
    void aSharedStageIsValidatedOnEveryMarketsUsersPooledAMarketsStageOnTheTarget() {
        LeaveOneOutSplitter s = new LeaveOneOutSplitter(7);
        CrossMarketDataset ds = CrossMarketDataset.of(List.of(s.split(TestData.market("in")), s.split(TestData.market("jp"))));
        NcfModel m = NcfModel.fresh(NcfArchitecture.GMF, ds.users(), ds.items(), NcfOptions.defaults(), List.of("in", "jp"));
        double[] per = new double[2];
        int[] users = new int[2];
        for (int k = 0; k < 2; k++) {
            var market = ds.markets().get(k);
            var negs = EvaluationNegatives.empty().sample(market, ds.items(), 99, 42);
            int[] ranks = OfflineEvaluator.evaluate(m, market, ds.items(), negs, false).ranks(Split.VALIDATION, false);
            double sum = 0;
            for (int r = 0; r < ranks.length; r++) {
                // the users the per-market choice is made on are never watched by early stopping
                if (!Choice.decides(market.market(), market.userId(r))) {
                    sum += io.xmrec.core.metrics.RankingMetrics.ndcg(ranks[r], 10);
                    users[k]++;
                }
            }
            assertTrue(users[k] > ranks.length / 3 && users[k] < 2 * ranks.length / 3, users[k] + " of " + ranks.length);
            per[k] = sum / users[k];
        }
        double pooled = (per[0] * users[0] + per[1] * users[1]) / (users[0] + users[1]);
        Recipe shared = Recipes.get("gmf++");
        Recipe own = Recipes.get("gmf");
        assertEquals(pooled, Validation.of(shared, ds, 42, 99).applyAsDouble(m), 1e-12);
        assertEquals(per[0], Validation.of(own, ds, 42, 99).applyAsDouble(m), 1e-12);
        assertNotEquals(per[0], pooled);
    }

    @Test
    void aLargeMarketIsWatchedOnASeededSampleOfItsUsersTheSameWhateverElseItHolds() {
        LeaveOneOutSplitter s = new LeaveOneOutSplitter(7);
        CrossMarketDataset big = CrossMarketDataset.of(List.of(s.split("zz", users(0, 50_000))));
        int[] rows = Validation.watchedRows(big.target(), 42);
        assertEquals(Validation.WATCHED_PER_MARKET, rows.length);
        for (int k = 0; k < rows.length; k++) {
            assertTrue(k == 0 || rows[k] > rows[k - 1], "in row order");
            assertTrue(!Choice.decides("zz", big.target().userId(rows[k])), "never a user the choice is made on");
        }
        // more users: those sampled before and still among the smallest hashes stay; none of the others comes in
        CrossMarketDataset bigger = CrossMarketDataset.of(List.of(s.split("zz", users(0, 60_000))));
        java.util.Set<String> before = new java.util.HashSet<>();
        for (int r : rows) {
            before.add(big.target().userId(r));
        }
        int kept = 0;
        for (int r : Validation.watchedRows(bigger.target(), 42)) {
            String u = bigger.target().userId(r);
            kept += before.contains(u) ? 1 : 0;
            assertTrue(before.contains(u) || Integer.parseInt(u.substring(1)) >= 50_000, "a new user or one sampled before: " + u);
        }
        assertTrue(kept > Validation.WATCHED_PER_MARKET * 0.7, kept + " kept");
        assertNotEquals(java.util.Arrays.toString(rows), java.util.Arrays.toString(Validation.watchedRows(big.target(), 7)),
                "another seed, another sample");
    }

    private static List<io.xmrec.core.data.Interaction> users(int from, int to) {
        List<io.xmrec.core.data.Interaction> out = new java.util.ArrayList<>();
        long seq = 0;
        for (int u = from; u < to; u++) {
            for (int k = 0; k < 7; k++) {
                out.add(new io.xmrec.core.data.Interaction("u" + u, "i" + ((u * 7 + k * 13) % 500), 5f, k, seq++));
            }
        }
        return out;
    }
}
