package io.xmrec.core.sampling;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Draws distinct items of a pool outside an excluded set. Which set is excluded is the whole
 * difference between training and evaluation negatives, so this stays package-private behind
 * {@link TrainingNegatives} and {@link EvaluationNegatives}, whose names say which it is.
 */
final class DistinctSampler {

    private DistinctSampler() {
    }

    /**
     * Fills {@code out} with up to {@code count} distinct items of {@code pool} (sorted) that are not
     * in {@code excluded} (sorted); returns how many (fewer only when the pool is nearly all excluded).
     * The draws are positions in the pool, so the same pool, exclusions and random state give the
     * same items whatever numbers the items carry.
     */
    static int draw(int[] pool, int[] excluded, int count, SplittableRandom rnd, int[] out) {
        int excludedInPool = 0;
        for (int e : excluded) {
            if (Arrays.binarySearch(pool, e) >= 0) {
                excludedInPool++;
            }
        }
        int available = pool.length - excludedInPool;
        int want = Math.min(count, available);
        if (want <= 0) {
            return 0;
        }
        if (want * 4 > available) {
            return fromComplement(pool, excluded, want, rnd, out);
        }
        int got = 0;
        while (got < want) {
            int item = pool[rnd.nextInt(pool.length)];
            if (Arrays.binarySearch(excluded, item) >= 0 || contains(out, got, item)) {
                continue;
            }
            out[got++] = item;
        }
        return got;
    }

    /** Dense case: materialise the complement and take a partial Fisher-Yates sample of it. */
    private static int fromComplement(int[] pool, int[] excluded, int want, SplittableRandom rnd, int[] out) {
        int[] candidates = new int[pool.length];
        int c = 0;
        for (int item : pool) {
            if (Arrays.binarySearch(excluded, item) < 0) {
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
