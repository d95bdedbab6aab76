package io.xmrec.core.sampling;

import java.util.SplittableRandom;

/** A random order of {@code 0..n-1} (Fisher-Yates from the last place down, one draw per place). */
public final class Permutation {

    private Permutation() {
    }

    public static int[] random(int n, SplittableRandom rnd) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
