package io.xmrec.core.sampling;

import io.xmrec.core.dataset.IndexedMarket;

import java.util.SplittableRandom;

/**
 * One epoch of training samples of a market: every training interaction as a positive plus
 * {@code negatives} {@link TrainingNegatives} (items the user has not trained on), drawn from the
 * market's sorted item pool, in an order that keeps the tables' rows near the processor. The users
 * are taken in a random order and their samples shuffled within windows of {@link #WINDOW} samples,
 * so a window's batches touch the rows of a couple of thousand users, which stay in the cache while
 * the window lasts, instead of rows anywhere in the table: at ten times XMarket a shuffle over the
 * whole epoch made most of a step's time cache misses on user rows and their moments. Every sample
 * is still in one epoch once, and batches still mix users at random (a window holds ~64 batches).
 * Draw a new one every epoch so negatives and the order are re-sampled.
 */
public final class TrainingSamples {

    /** Samples shuffled together: their users' rows (a few MB with Adam's moments) fit in the cache. */
    public static final int WINDOW = 1 << 16;

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
        for (int r : Permutation.random(m.users(), rnd)) {
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
        // Fisher-Yates within each window of the filled prefix (a user who rated nearly every item gets fewer negatives)
        for (int from = 0; from < k; from += WINDOW) {
            int to = Math.min(k, from + WINDOW);
            for (int i = to - 1; i > from; i--) {
                int j = from + rnd.nextInt(i - from + 1);
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
