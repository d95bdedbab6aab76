package io.xmrec.core.sampling;

import io.xmrec.core.dataset.IndexedMarket;

import java.util.SplittableRandom;

/**
 * Negatives for training: items of the market's pool the user has not trained on. A user's
 * validation and test items are deliberately not excluded: a deployed model cannot know a user's
 * future purchases, and excluding them would teach the model which items are held out (every other
 * candidate pushed down as a negative, epoch after epoch, the held-out ones never). Evaluation
 * negatives, which exclude everything the user rated, are {@link EvaluationNegatives}.
 */
public final class TrainingNegatives {

    /** How the provenance of a run names this policy. */
    public static final String POLICY = "training items only: a user's validation and test items can be training negatives";

    private TrainingNegatives() {
    }

    /**
     * Fills {@code out} with up to {@code count} distinct training negatives for market row
     * {@code row}; returns how many were drawn (fewer only when the user trained on almost the whole pool).
     */
    public static int draw(IndexedMarket m, int row, int count, SplittableRandom rnd, int[] out) {
        return DistinctSampler.draw(m.itemPool(), m.trainedItems(row), count, rnd, out);
    }

    /**
     * Training negatives outside a market data set (the streaming updater): distinct items of
     * {@code pool} (sorted) not in {@code trained} (sorted), the items the user has in training.
     */
    public static int draw(int[] pool, int[] trained, int count, SplittableRandom rnd, int[] out) {
        return DistinctSampler.draw(pool, trained, count, rnd, out);
    }
}
