package io.xmrec.serving;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class TopKTest {

    @Test
    void keepsTheSameItemsInTheSameOrderAsSortingEverything() {
        Random r = new Random(11);
        for (int trial = 0; trial < 200; trial++) {
            int n = r.nextInt(60);
            int k = 1 + r.nextInt(12);
            float[] s = new float[n];
            for (int i = 0; i < n; i++) {
                // few distinct values, so ties are common; now and then a NaN
                s[i] = r.nextInt(20) == 0 ? Float.NaN : r.nextInt(6);
            }
            Integer[] all = new Integer[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            Comparator<Integer> order = (a, b) -> TopK.better(a, s[a], b, s[b]) ? -1 : TopK.better(b, s[b], a, s[a]) ? 1 : 0;
            Arrays.sort(all, order);
            TopK top = new TopK(k);
            for (int i = n - 1; i >= 0; i--) { // offered in another order than the rows'
                top.offer(i, s[i]);
            }
            float[] scores = new float[top.size()];
            int[] best = top.best(scores);
            int[] expected = Arrays.stream(all).limit(k).mapToInt(Integer::intValue).toArray();
            assertArrayEquals(expected, best, "n " + n + ", k " + k + ", scores " + Arrays.toString(s));
            for (int i = 0; i < best.length; i++) {
                assertEquals(s[best[i]], scores[i], 0f);
            }
        }
    }

    @Test
    void breaksTiesToTheLowerRowAndPutsNanLast() {
        TopK top = new TopK(3);
        top.offer(9, Float.NaN);
        top.offer(7, 1f);
        top.offer(3, 1f);
        top.offer(5, 2f);
        top.offer(1, 0.5f);
        float[] scores = new float[3];
        assertArrayEquals(new int[] {5, 3, 7}, top.best(scores));
        assertArrayEquals(new float[] {2f, 1f, 1f}, scores);
    }

    @Test
    void keepsNothingWhenAskedForNothing() {
        TopK top = new TopK(0);
        top.offer(1, 1f);
        assertEquals(0, top.size());
        assertEquals(0, top.best(new float[0]).length);
    }
}
