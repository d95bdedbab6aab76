package io.xmrec.experiments;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.Split;
import io.xmrec.core.holdout.UserSplit;
import io.xmrec.core.metrics.MarketEvaluation;
import io.xmrec.core.metrics.RankingMetrics;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The paper's analyses on top of an offline run: nDCG@10 by user group (users split into equal
 * groups from cold to warm by their number of training interactions, Figure 5a) and training on
 * a fraction of each target user's interactions (Figure 5b).
 */
public final class Analyses {

    private Analyses() {
    }

    /** Test metrics of one method on one group of users (group 1 is the coldest). */
    public record GroupResult(String method, int group, int users, int minTrain, int maxTrain, double ndcg, double hitRate) {
    }

    /**
     * Keeps {@code fraction} of every user's training interactions (at least one; a seeded random
     * choice per user, in their original order); validation and test items stay as they were.
     */
    public static MarketSplit keepFraction(MarketSplit split, double fraction, long seed) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("--target-fraction must be in (0, 1], got " + fraction);
        }
        if (fraction == 1) {
            return split;
        }
        List<UserSplit> out = new ArrayList<>();
        for (UserSplit u : split.users()) {
            List<Interaction> t = u.train();
            int keep = Math.max(1, (int) Math.round(fraction * t.size()));
            int[] idx = io.xmrec.core.sampling.Permutation.random(t.size(),
                    new SplittableRandom(seed * 31 + u.user().hashCode()));
            int[] chosen = java.util.Arrays.copyOf(idx, keep);
            java.util.Arrays.sort(chosen);
            List<Interaction> kept = new ArrayList<>(keep);
            for (int i : chosen) {
                kept.add(t.get(i));
            }
            out.add(new UserSplit(u.user(), List.copyOf(kept), u.validation(), u.test()));
        }
        return new MarketSplit(split.market(), List.copyOf(out), split.droppedUsers(), split.minInteractions());
    }

    /**
     * Splits the evaluated users into {@code groups} groups of equal size (sizes differ by at most
     * one) ordered by training interactions (ties by user id) and averages test nDCG@10 and HR@10
     * (sampled negatives) in each.
     */
    public static List<GroupResult> userGroups(String method, MarketEvaluation ev, Map<String, Integer> trainCounts,
                                               int groups, int k) {
        if (groups < 1) {
            throw new IllegalArgumentException("--user-groups must be at least 1, got " + groups);
        }
        int[] ranks = ev.ranks(Split.TEST, false);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < ev.users().size(); i++) {
            if (!trainCounts.containsKey(ev.users().get(i))) {
                throw new IllegalArgumentException("no training count for user " + ev.users().get(i));
            }
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingInt(i -> trainCounts.get(ev.users().get(i)))
                .thenComparing(i -> ev.users().get(i)));
        List<GroupResult> out = new ArrayList<>();
        int n = order.size();
        int start = 0;
        for (int g = 0; g < groups; g++) {
            int size = n / groups + (g < n % groups ? 1 : 0);
            double ndcg = 0;
            double hr = 0;
            int min = Integer.MAX_VALUE;
            int max = 0;
            for (int j = start; j < start + size; j++) {
                int i = order.get(j);
                ndcg += RankingMetrics.ndcg(ranks[i], k);
                hr += RankingMetrics.hitRate(ranks[i], k);
                int c = trainCounts.get(ev.users().get(i));
                min = Math.min(min, c);
                max = Math.max(max, c);
            }
            out.add(new GroupResult(method, g + 1, size, size == 0 ? 0 : min, max, size == 0 ? Double.NaN : ndcg / size,
                    size == 0 ? Double.NaN : hr / size));
            start += size;
        }
        return out;
    }
}
