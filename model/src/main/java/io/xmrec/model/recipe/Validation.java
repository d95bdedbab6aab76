package io.xmrec.model.recipe;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.holdout.Split;
import io.xmrec.core.metrics.OfflineEvaluator;
import io.xmrec.core.metrics.RankingMetrics;
import io.xmrec.core.metrics.Scorer;
import io.xmrec.core.sampling.EvaluationNegatives;
import io.xmrec.model.NcfModel;

import java.util.ArrayList;
import java.util.Comparator;
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
     * The users early stopping watches per market at most: a seeded sample of them beyond. XMarket's markets have up
     * to a few thousand users, all watched; at 100x its size a market has hundreds of thousands, and scoring each of
     * them against 99 negatives after every epoch cost about what the epoch did. 20,000 users give the mean nDCG@10
     * to about +-0.004 (95%), finer than the epochs' differences that early stopping acts on.
     */
    public static final int WATCHED_PER_MARKET = 20_000;

    /**
     * Mean validation nDCG@10 over the users of the given markets of {@code ds} that early stopping
     * watches: every user but those the per-market choice is made on ({@link Choice#decides}), at most
     * {@link #WATCHED_PER_MARKET} per market. Their negatives are drawn once, as item indices.
     */
    public static ToDoubleFunction<NcfModel> pooled(CrossMarketDataset ds, List<IndexedMarket> markets, long seed,
                                                    int negatives) {
        List<IndexedMarket> watched = new ArrayList<>();
        List<int[][]> negs = new ArrayList<>();
        for (IndexedMarket m : markets) {
            IndexedMarket w = m.rows(watchedRows(m, seed));
            int[][] n = new int[w.users()][];
            for (int r = 0; r < n.length; r++) {
                n[r] = EvaluationNegatives.draw(w, r, Split.VALIDATION, negatives, seed);
            }
            watched.add(w);
            negs.add(n);
        }
        return model -> {
            double sum = 0;
            int users = 0;
            for (int k = 0; k < watched.size(); k++) {
                double market = 0; // summed per market, then over markets: as before the sample, to the last bit
                for (int rank : OfflineEvaluator.validationRanks(model, watched.get(k), negs.get(k))) {
                    market += RankingMetrics.ndcg(rank, 10);
                    users++;
                }
                sum += market;
            }
            return users == 0 ? Double.NaN : sum / users;
        };
    }

    /**
     * The rows of a market's users early stopping watches, in row order: those the choice is not made on, and of
     * them, beyond {@link #WATCHED_PER_MARKET}, the ones whose seeded hash is smallest (the same users whatever else
     * the data set holds).
     */
    static int[] watchedRows(IndexedMarket m, long seed) {
        List<Integer> rows = new ArrayList<>();
        for (int r = 0; r < m.users(); r++) {
            if (!Choice.decides(m.market(), m.userId(r))) {
                rows.add(r);
            }
        }
        if (rows.size() > WATCHED_PER_MARKET) {
            long[] h = new long[m.users()];
            for (int r : rows) {
                h[r] = mix(seed ^ m.userId(r).hashCode() * 0x9E3779B97F4A7C15L);
            }
            rows.sort(Comparator.comparingLong((Integer r) -> h[r]).thenComparingInt(r -> r));
            rows = new ArrayList<>(rows.subList(0, WATCHED_PER_MARKET));
            rows.sort(null);
        }
        return rows.stream().mapToInt(Integer::intValue).toArray();
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    /**
     * The sum of validation nDCG@10 over a market's users that early stopping watches (those the choice
     * is not made on), and their number.
     */
    private static double[] watched(Scorer model, IndexedMarket m, IdVocabulary items, EvaluationNegatives negs) {
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
