package io.xmrec.serving;

import java.util.Arrays;

/**
 * The {@code k} best of a stream of (item row, score) pairs, kept in a bounded heap whose root is the
 * worst kept: a higher score is better, a NaN score is worst, and ties go to the lower row, so the
 * selection and its order are deterministic. One pass, O(n log k); serving's exhaustive ranking and
 * candidate retrieval both select with it.
 */
final class TopK {

    private final int[] rows;
    private final float[] scores;
    private int size;

    TopK(int k) {
        rows = new int[Math.max(0, k)];
        scores = new float[rows.length];
    }

    /** Offers one pair: kept while fewer than k are, or when it is better than the worst kept. */
    void offer(int row, float score) {
        if (size < rows.length) {
            rows[size] = row;
            scores[size] = score;
            up(size++);
        } else if (size > 0 && better(row, score, rows[0], scores[0])) {
            rows[0] = row;
            scores[0] = score;
            down();
        }
    }

    int size() {
        return size;
    }

    /** The rows kept, best first; their scores go to {@code scoresOut} in the same order. */
    int[] best(float[] scoresOut) {
        Integer[] order = new Integer[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> better(rows[a], scores[a], rows[b], scores[b]) ? -1
                : better(rows[b], scores[b], rows[a], scores[a]) ? 1 : 0);
        int[] out = new int[size];
        for (int i = 0; i < size; i++) {
            out[i] = rows[order[i]];
            scoresOut[i] = scores[order[i]];
        }
        return out;
    }

    /** Whether (ra, sa) ranks before (rb, sb). */
    static boolean better(int ra, float sa, int rb, float sb) {
        if (sa > sb || (Float.isNaN(sb) && !Float.isNaN(sa))) {
            return true;
        }
        if (sa < sb || (Float.isNaN(sa) && !Float.isNaN(sb))) {
            return false;
        }
        return ra < rb;
    }

    private void up(int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!better(rows[parent], scores[parent], rows[i], scores[i])) {
                return; // the worst stays on top
            }
            swap(parent, i);
            i = parent;
        }
    }

    private void down() {
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            int worst = i;
            if (l < size && better(rows[worst], scores[worst], rows[l], scores[l])) {
                worst = l;
            }
            if (l + 1 < size && better(rows[worst], scores[worst], rows[l + 1], scores[l + 1])) {
                worst = l + 1;
            }
            if (worst == i) {
                return;
            }
            swap(worst, i);
            i = worst;
        }
    }

    private void swap(int a, int b) {
        int t = rows[a];
        rows[a] = rows[b];
        rows[b] = t;
        float f = scores[a];
        scores[a] = scores[b];
        scores[b] = f;
    }
}
