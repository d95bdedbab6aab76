package io.xmrec.model.recipe;

import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.metrics.Scorer;

/**
 * The popularity baseline: an item's score is how often it occurs in the market's training
 * interactions, whoever the user. A learned recommender has to beat it to be worth anything.
 */
public final class PopularityScorer implements Scorer {

    private final float[] counts;

    public PopularityScorer(IndexedMarket market, int items) {
        counts = new float[items];
        for (int r = 0; r < market.users(); r++) {
            for (int i : market.trainItems(r)) {
                counts[i]++;
            }
        }
    }

    @Override
    public float[] score(int[] users, int[] items) {
        float[] out = new float[items.length];
        for (int k = 0; k < items.length; k++) {
            out[k] = counts[items[k]];
        }
        return out;
    }
}
