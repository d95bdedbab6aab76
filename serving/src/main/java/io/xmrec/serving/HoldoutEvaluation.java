package io.xmrec.serving;

import io.xmrec.core.holdout.Split;
import io.xmrec.core.metrics.RankingMetrics;
import io.xmrec.core.metrics.RankSummary;
import io.xmrec.core.sampling.EvaluationNegatives;

import java.util.Arrays;
import java.util.List;

/**
 * The one definition of a live model's holdout score, shared by the updater (its log and rollback
 * guard) and the live evaluator: the offline protocol on the stream's current split. Each eligible
 * user's validation (or test) item is ranked among 99 evaluation negatives drawn, with the seed of
 * (seed, market, user, split), from the market's items (everything sold in it, sorted by id) minus
 * everything the user rated, exactly as {@link EvaluationNegatives} draws them offline, so at the
 * end of a replay the live and offline numbers are of the same users against the same negatives.
 * Ties rank the held-out item last. A user the model does not know is scored as the average user
 * (what the model would answer for them); an item it does not know scores below everything.
 */
public final class HoldoutEvaluation {

    /** A user's held-out items and every item they rated (training and held out). */
    public record UserHoldout(String user, String valid, String test, List<String> rated) {
    }

    /** Ranks of every user for both splits, and how many users the model did not know. */
    public record Result(int users, int[] validRanks, int[] testRanks, int unknownUsers) {
        public RankSummary valid() {
            return RankSummary.of(validRanks, 10);
        }

        public RankSummary test() {
            return RankSummary.of(testRanks, 10);
        }
    }

    private final long seed;
    private final int negatives;

    public HoldoutEvaluation(long seed, int negatives) {
        this.seed = seed;
        this.negatives = negatives;
    }

    /**
     * Evaluates a model on users' holdouts.
     *
     * @param pool the market's items, sorted ids (the catalogue of the market's stream)
     */
    public Result evaluate(ServedModel m, String[] pool, List<UserHoldout> users) {
        int n = users.size();
        int[] vr = new int[n];
        int[] tr = new int[n];
        int unknown = 0;
        for (int k = 0; k < n; k++) {
            UserHoldout h = users.get(k);
            int[] rated = h.rated().stream().mapToInt(i -> Arrays.binarySearch(pool, i)).filter(i -> i >= 0)
                    .sorted().distinct().toArray();
            int u = m.users().indexOf(h.user());
            if (u < 0) {
                unknown++;
            }
            vr[k] = rank(m, u, h, Split.VALIDATION, h.valid(), pool, rated);
            tr[k] = rank(m, u, h, Split.TEST, h.test(), pool, rated);
        }
        return new Result(n, vr, tr, unknown);
    }

    /**
     * Prequential: the rank of a user's newest item (not trained on yet) among 99 negatives of the
     * pool minus everything the user rated, drawn for this interaction ({@code salt}: e.g. the user's
     * event count), under a model that has not seen it.
     */
    public int rankNew(ServedModel m, String[] pool, String user, String item, List<String> rated, long salt) {
        return rankAmong(m, user, item, negativesNew(m.market(), pool, user, rated, salt));
    }

    /** The negatives {@link #rankNew} ranks an interaction against. */
    public String[] negativesNew(String market, String[] pool, String user, List<String> rated, long salt) {
        int[] r = rated.stream().mapToInt(i -> Arrays.binarySearch(pool, i)).filter(i -> i >= 0).sorted().distinct().toArray();
        return negatives(market, user, Split.TEST, pool, r, salt);
    }

    private int rank(ServedModel m, int u, UserHoldout h, Split split, String held, String[] pool, int[] rated) {
        return rank(m, u, held, negatives(m.market(), h.user(), split, pool, rated, 0));
    }

    private String[] negatives(String market, String user, Split split, String[] pool, int[] rated, long salt) {
        return EvaluationNegatives.drawForUser(seed + salt * 0x9E3779B97F4A7C15L, market, user, split, pool, rated, negatives);
    }

    /** The rank (1 = first) of {@code held} among {@code negs} for a user under a model, as every live rank is taken. */
    public static int rankAmong(ServedModel m, String user, String held, String[] negs) {
        return rank(m, m.users().indexOf(user), held, negs);
    }

    private static int rank(ServedModel m, int u, String held, String[] negs) {
        int[] rows = new int[negs.length + 1];
        rows[0] = m.items().indexOf(held);
        if (rows[0] < 0) {
            return negs.length + 1; // the model has never seen the item: it cannot rank it above anything
        }
        boolean[] missing = new boolean[rows.length];
        for (int i = 0; i < negs.length; i++) {
            int r = m.items().indexOf(negs[i]);
            missing[i + 1] = r < 0;
            rows[i + 1] = r < 0 ? rows[0] : r;
        }
        float[] s = u < 0 ? m.scoreAverageUser(rows) : m.score(u, rows);
        for (int i = 1; i < s.length; i++) {
            if (missing[i]) {
                s[i] = Float.NEGATIVE_INFINITY; // an unknown negative scores below everything
            }
        }
        return RankingMetrics.pessimisticRank(s[0], s, 1, s.length);
    }
}
