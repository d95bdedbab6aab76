package io.xmrec.core.metrics;

import io.xmrec.core.holdout.Split;

import java.util.List;

/**
 * Per-user ranks of the held-out items of one market, for both splits and both candidate sets:
 * sampled (held-out item + fixed negatives, the paper's protocol) and full (every item of the
 * market the user has not trained on). Full ranks are null when full ranking was not asked for.
 */
public record MarketEvaluation(String market, List<String> users, int[] validSampled, int[] testSampled,
                               int[] validFull, int[] testFull) {

    public int[] ranks(Split split, boolean full) {
        if (split == Split.VALIDATION) {
            return full ? validFull : validSampled;
        }
        return full ? testFull : testSampled;
    }

    public boolean hasFull() {
        return validFull != null;
    }

    public RankSummary summary(Split split, boolean full, int k) {
        int[] r = ranks(split, full);
        return r == null ? null : RankSummary.of(r, k);
    }
}
