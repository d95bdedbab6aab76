package io.xmrec.core.sampling;

import io.xmrec.core.dataset.IndexedMarket;

import java.util.SplittableRandom;

/** Draws negatives for a user: items of the market's pool the user never rated. */
public final class NegativeSampler {

    private NegativeSampler() {
    }

    /**
     * Fills {@code out} with up to {@code count} distinct negatives for market row {@code row};
     * returns how many were drawn (fewer only when the user rated almost the whole pool).
     */
    public static int distinctNegatives(IndexedMarket m, int row, int count, SplittableRandom rnd, int[] out) {
        int[] pool = m.itemPool();
        int available = pool.length - m.ratedItems(row).length;
        int want = Math.min(count, available);
        if (want <= 0) {
            return 0;
        }
        if (want * 4 > available) {
            return fromComplement(m, row, want, rnd, out);
        }
        int got = 0;
        while (got < want) {
            int item = pool[rnd.nextInt(pool.length)];
            if (m.rated(row, item) || contains(out, got, item)) {
                continue;
            }
            out[got++] = item;
        }
        return got;
    }

    /** Dense case: materialise the complement and take a partial Fisher-Yates sample of it. */
    private static int fromComplement(IndexedMarket m, int row, int want, SplittableRandom rnd, int[] out) {
        int[] pool = m.itemPool();
        int[] candidates = new int[pool.length];
        int c = 0;
        for (int item : pool) {
            if (!m.rated(row, item)) {
                candidates[c++] = item;
            }
        }
        for (int i = 0; i < want; i++) {
            int j = i + rnd.nextInt(c - i);
            int t = candidates[i];
            candidates[i] = candidates[j];
            candidates[j] = t;
            out[i] = candidates[i];
        }
        return want;
    }

    private static boolean contains(int[] a, int n, int v) {
        for (int i = 0; i < n; i++) {
            if (a[i] == v) {
                return true;
            }
        }
        return false;
    }
}
