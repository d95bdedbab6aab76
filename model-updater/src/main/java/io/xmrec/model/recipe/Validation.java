package io.xmrec.model.recipe;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.metrics.OfflineEvaluator;
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
 */
public final class Validation {

    private Validation() {
    }

    /** The validation of a recipe's stage on its data set. */
    public static ToDoubleFunction<NcfModel> of(Recipe recipe, CrossMarketDataset ds, long seed, int negatives) {
        return recipe.scope() == Recipe.Scope.SHARED ? pooled(ds, ds.markets(), seed, negatives)
                : pooled(ds, List.of(ds.target()), seed, negatives);
    }

    /** Mean validation nDCG@10 over the users of the given markets of {@code ds}. */
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
                var s = OfflineEvaluator.validation(model, m, ds.items(), negs, 10);
                sum += s.ndcg() * s.users();
                users += s.users();
            }
            return users == 0 ? Double.NaN : sum / users;
        };
    }
}
