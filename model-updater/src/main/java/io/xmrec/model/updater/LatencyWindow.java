package io.xmrec.model.updater;

import java.util.Arrays;

/** The last {@code size} latencies in milliseconds, for their median and 99th percentile in seconds. */
final class LatencyWindow {

    private final long[] millis;
    private long count;

    LatencyWindow(int size) {
        millis = new long[size];
    }

    synchronized void add(long ms) {
        millis[(int) (count++ % millis.length)] = ms;
    }

    /** {median, 99th percentile} in seconds (nearest rank); NaN when nothing was added. */
    synchronized double[] percentiles() {
        int n = (int) Math.min(count, millis.length);
        if (n == 0) {
            return new double[] {Double.NaN, Double.NaN};
        }
        long[] a = Arrays.copyOf(millis, n);
        Arrays.sort(a);
        return new double[] {a[(n - 1) / 2] / 1e3, a[(int) Math.min(n - 1, Math.ceil(0.99 * n) - 1)] / 1e3};
    }
}
