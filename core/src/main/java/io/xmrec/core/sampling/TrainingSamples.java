package io.xmrec.core.sampling;

import io.xmrec.core.dataset.IndexedMarket;

import java.util.SplittableRandom;

/**
 * One epoch of training samples of a market: every training interaction as a positive plus
 * {@code negatives} {@link TrainingNegatives} (items the user has not trained on), drawn from the
 * market's sorted item pool, then shuffled. Draw a new one every epoch so negatives are re-sampled.
 */
public final class TrainingSamples {

    private final int[] users;
    private final int[] items;
    private final float[] labels;

    private TrainingSamples(int[] users, int[] items, float[] labels) {
        this.users = users;
        this.items = items;
        this.labels = labels;
    }

    /** Draws one epoch of samples for a market. */
    public static TrainingSamples draw(IndexedMarket m, int negatives, SplittableRandom rnd) {
        int n = m.trainInteractions() * (1 + negatives);
        int[] users = new int[n];
        int[] items = new int[n];
        float[] labels = new float[n];
        int k = 0;
        int[] negs = new int[negatives];
        for (int r = 0; r < m.users(); r++) {
            int u = m.userIndex(r);
            for (int pos : m.trainItems(r)) {
                users[k] = u;
                items[k] = pos;
                labels[k] = 1f;
                k++;
                int got = TrainingNegatives.draw(m, r, negatives, rnd, negs);
                for (int j = 0; j < got; j++) {
                    users[k] = u;
                    items[k] = negs[j];
                    labels[k] = 0f;
                    k++;
                }
            }
        }
        // Fisher-Yates over the filled prefix (a user who rated nearly every item gets fewer negatives).
        for (int i = k - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int tu = users[i];
            users[i] = users[j];
            users[j] = tu;
            int ti = items[i];
            items[i] = items[j];
            items[j] = ti;
            float tl = labels[i];
            labels[i] = labels[j];
            labels[j] = tl;
        }
        if (k < n) {
            users = java.util.Arrays.copyOf(users, k);
            items = java.util.Arrays.copyOf(items, k);
            labels = java.util.Arrays.copyOf(labels, k);
        }
        return new TrainingSamples(users, items, labels);
    }

    public int size() {
        return users.length;
    }

    public int[] users() {
        return users;
    }

    public int[] items() {
        return items;
    }

    public float[] labels() {
        return labels;
    }
}
