package io.xmrec.model.recipe;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.metrics.OfflineEvaluator;
import io.xmrec.core.metrics.RankingMetrics;
import io.xmrec.core.metrics.Scorer;
import io.xmrec.core.sampling.EvaluationNegatives;
import io.xmrec.model.NcfModel;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * What early stopping watches: validation nDCG@10 against the protocol's evaluation negatives. A
 * stage that serves one market (NMF, FOREC's fine-tuning) is validated on that market; a trunk that
 * serves several markets (the continual updater's, an offline trunk kept in the trunk cache) on the
 * users of all its markets pooled, so it does not depend on which market is the target. An offline
 * run without the cache trains its trunk for its target and validates it there, as the paper does.
 * Early stopping never watches the half of a market's users the per-market choice is made on
 * ({@link Choice#decides}): choosing among models on the items their epochs were picked on would
 * favour the model with the most selection behind it (the single-market NMF: three early-stopped
 * stages), not the one that ranks best.
 */
public final class Validation {

    private Validation() {
    }

    /** The validation of a recipe's stage on its data set. */
    public static ToDoubleFunction<NcfModel> of(Recipe recipe, CrossMarketDataset ds, long seed, int negatives) {
        return recipe.scope() == Recipe.Scope.SHARED ? pooled(ds, ds.markets(), seed, negatives)
                : pooled(ds, List.of(ds.target()), seed, negatives);
    }

    /**
     * Mean validation nDCG@10 over the users of the given markets of {@code ds} that early stopping
     * watches: every user but those the per-market choice is made on ({@link Choice#decides}).
     */
    public static ToDoubleFunction<NcfModel> pooled(CrossMarketDataset ds, List<IndexedMarket> markets, long seed,
                                                    int negatives) {
        EvaluationNegatives negs = EvaluationNegatives.empty();
        for (IndexedMarket m : markets) {
            negs.sample(m, ds.items(), negatives, seed);
        }
        return model -> {
            double sum = 0;
            int users = 0;
            for (IndexedMarket m : markets) {
                double[] s = watched(model, m, ds.items(), negs);
                sum += s[0];
                users += (int) s[1];
            }
            return users == 0 ? Double.NaN : sum / users;
        };
    }

    /**
     * The sum of validation nDCG@10 over a market's users that early stopping watches (those the choice
     * is not made on), and their number.
     */
    public static double[] watched(Scorer model, IndexedMarket m, IdVocabulary items, EvaluationNegatives negs) {
        int[] ranks = OfflineEvaluator.validationRanks(model, m, items, negs);
        double sum = 0;
        int n = 0;
        for (int r = 0; r < ranks.length; r++) {
            if (!Choice.decides(m.market(), m.userId(r))) {
                sum += RankingMetrics.ndcg(ranks[r], 10);
                n++;
            }
        }
        return new double[] {sum, n};
    }

    /** Mean validation nDCG@10 over a market's users that early stopping watches. */
    public static double watchedMean(Scorer model, IndexedMarket m, IdVocabulary items, EvaluationNegatives negs) {
        double[] s = watched(model, m, items, negs);
        return s[1] == 0 ? Double.NaN : s[0] / s[1];
    }
}
