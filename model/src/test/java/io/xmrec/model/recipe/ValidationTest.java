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
}
