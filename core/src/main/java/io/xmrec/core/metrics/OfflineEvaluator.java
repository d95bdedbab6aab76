package io.xmrec.core.metrics;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.holdout.Split;
import io.xmrec.core.sampling.EvaluationNegatives;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ranks each user's held-out validation and test items with a scorer.
 *
 * <p>Sampled: the held-out item against its fixed negatives. Full: against every item of the
 * market's pool except the user's training items; the held-out item stays a candidate even when
 * the user also trained on it (the files repeat (user, item) pairs), and for the validation split
 * the test item is an ordinary candidate. Ties rank the held-out item last.
 */
public final class OfflineEvaluator {

    /** Scored pairs per scorer call. */
    private static final int PAIRS_PER_CALL = 1 << 20;

    private OfflineEvaluator() {
    }

    /**
     * Evaluates one market.
     *
     * @param items the item vocabulary the scorer's indices refer to
     * @param full  whether to rank against the full item pool too
     */
    public static MarketEvaluation evaluate(Scorer scorer, IndexedMarket m, IdVocabulary items,
                                            EvaluationNegatives negatives, boolean full) {
        int n = m.users();
        int[][] negs = new int[n * 2][];
        for (int r = 0; r < n; r++) {
            negs[2 * r] = indices(negatives, m, Split.VALIDATION, r, items);
            negs[2 * r + 1] = indices(negatives, m, Split.TEST, r, items);
        }
        int[] vs = new int[n];
        int[] ts = new int[n];
        int[] vf = full ? new int[n] : null;
        int[] tf = full ? new int[n] : null;
        if (full) {
            rankAgainstPool(scorer, m, negs, vs, ts, vf, tf);
        } else {
            rankSampled(scorer, m, new Split[] {Split.VALIDATION, Split.TEST}, negs, new int[][] {vs, ts});
        }
        List<String> users = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            users.add(m.userId(r));
        }
        return new MarketEvaluation(m.market(), users, vs, ts, vf, tf);
    }

    /**
     * Validation nDCG@K of one market against its sampled negatives, scoring the validation items
     * only (what early stopping needs, at half the cost of {@link #evaluate}).
     */
    public static RankSummary validation(Scorer scorer, IndexedMarket m, IdVocabulary items, EvaluationNegatives negatives,
                                         int k) {
        return RankSummary.of(validationRanks(scorer, m, items, negatives), k);
    }

    /**
     * Each user's rank of the validation item among its sampled negatives (1 = first), by the market's
     * user row: what a paired comparison of two models on validation needs.
     */
    public static int[] validationRanks(Scorer scorer, IndexedMarket m, IdVocabulary items, EvaluationNegatives negatives) {
        int n = m.users();
        int[][] negs = new int[n][];
        for (int r = 0; r < n; r++) {
            negs[r] = indices(negatives, m, Split.VALIDATION, r, items);
        }
        return validationRanks(scorer, m, negs);
    }

    /** The same, with each user row's negatives given as item indices ({@code negs[row]}). */
    public static int[] validationRanks(Scorer scorer, IndexedMarket m, int[][] negs) {
        int n = m.users();
        int[] ranks = new int[n];
        rankSampled(scorer, m, new Split[] {Split.VALIDATION}, negs, new int[][] {ranks});
        return ranks;
    }

    private static int[] indices(EvaluationNegatives negatives, IndexedMarket m, Split split, int row, IdVocabulary items) {
        String[] ids = negatives.get(m.market(), split, m.userId(row));
        if (ids == null) {
            throw new IllegalArgumentException("no evaluation negatives for user " + m.userId(row) + " of market "
                    + m.market() + " (" + split.label() + "): the negatives file does not match this data");
        }
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = items.indexOf(ids[i]);
            if (out[i] < 0) {
                throw new IllegalArgumentException("evaluation negative " + ids[i] + " of user " + m.userId(row)
                        + " is not an item of the model");
            }
        }
        return out;
    }

    /**
     * Scores the held-out items of {@code splits} and their negatives only, many users per scorer call:
     * {@code negs[splits.length * user + s]} are user's negatives of {@code splits[s]}, whose rank goes to
     * {@code ranks[s][user]}.
     */
    private static void rankSampled(Scorer scorer, IndexedMarket m, Split[] splits, int[][] negs, int[][] ranks) {
        int n = m.users();
        int ns = splits.length;
        int r = 0;
        while (r < n) {
            int from = r;
            int pairs = 0;
            while (r < n) {
                int add = 0;
                for (int s = 0; s < ns; s++) {
                    add += negs[ns * r + s].length + 1;
                }
                if (pairs > 0 && pairs + add > PAIRS_PER_CALL) {
                    break;
                }
                pairs += add;
                r++;
            }
            int[] us = new int[pairs];
            int[] is = new int[pairs];
            int k = 0;
            for (int q = from; q < r; q++) {
                int u = m.userIndex(q);
                for (int s = 0; s < ns; s++) {
                    us[k] = u;
                    is[k++] = splits[s] == Split.VALIDATION ? m.validationItem(q) : m.testItem(q);
                    for (int item : negs[ns * q + s]) {
                        us[k] = u;
                        is[k++] = item;
                    }
                }
            }
            float[] sc = scorer.score(us, is);
            k = 0;
            for (int q = from; q < r; q++) {
                for (int s = 0; s < ns; s++) {
                    int len = negs[ns * q + s].length;
                    ranks[s][q] = RankingMetrics.pessimisticRank(sc[k], sc, k + 1, k + 1 + len);
                    k += 1 + len;
                }
            }
        }
    }

    /** Scores every pool item once per user; sampled and full ranks of both splits come from those scores. */
    private static void rankAgainstPool(Scorer scorer, IndexedMarket m, int[][] negs, int[] vs, int[] ts,
                                        int[] vf, int[] tf) {
        int[] pool = m.itemPool();
        int p = pool.length;
        int usersPerCall = Math.max(1, PAIRS_PER_CALL / p);
        float[] cand = new float[p];
        for (int from = 0; from < m.users(); from += usersPerCall) {
            int to = Math.min(m.users(), from + usersPerCall);
            int[] us = new int[(to - from) * p];
            int[] is = new int[us.length];
            for (int q = from; q < to; q++) {
                Arrays.fill(us, (q - from) * p, (q - from + 1) * p, m.userIndex(q));
                System.arraycopy(pool, 0, is, (q - from) * p, p);
            }
            float[] sc = scorer.score(us, is);
            for (int q = from; q < to; q++) {
                int base = (q - from) * p;
                int[] trained = Arrays.stream(m.trainItems(q)).sorted().distinct().toArray();
                for (int s = 0; s < 2; s++) {
                    int held = s == 0 ? m.validationItem(q) : m.testItem(q);
                    float pos = sc[base + Arrays.binarySearch(pool, held)];
                    int c = 0;
                    for (int j = 0; j < p; j++) {
                        int item = pool[j];
                        if (item != held && Arrays.binarySearch(trained, item) < 0) {
                            cand[c++] = sc[base + j];
                        }
                    }
                    (s == 0 ? vf : tf)[q] = RankingMetrics.pessimisticRank(pos, cand, 0, c);
                    int[] ng = negs[2 * q + s];
                    for (int j = 0; j < ng.length; j++) {
                        int at = Arrays.binarySearch(pool, ng[j]);
                        if (at < 0) {
                            throw new IllegalArgumentException("evaluation negative of user " + m.userId(q)
                                    + " is not an item of market " + m.market() + ": the negatives file does not match this data");
                        }
                        cand[j] = sc[base + at];
                    }
                    (s == 0 ? vs : ts)[q] = RankingMetrics.pessimisticRank(pos, cand, 0, ng.length);
                }
            }
        }
    }
}
