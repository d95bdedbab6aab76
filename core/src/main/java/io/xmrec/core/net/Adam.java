package io.xmrec.core.net;

/**
 * Adam on a net's trainable tensors, as DL4J computes it: {@code m = b1 m + (1 - b1) g},
 * {@code v = b2 v + (1 - b2) g^2}, {@code w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)},
 * with L2 added to the gradient of every weight and table ({@code g += l2 w}; biases are not
 * regularised). Dense mode updates every row of the tables at every step (their moments decay,
 * as in DL4J and PyTorch), so a step costs the size of the tables; sparse (lazy) mode updates only
 * the rows the batch touched, their moments and L2 included, so a step costs what the batch
 * touches (large tables, and fine-tuning a few users' or items' rows).
 */
public final class Adam {

    private static final float B1 = 0.9f;
    private static final float B2 = 0.999f;
    private static final float EPS = 1e-8f;
    private static final float TINY = 1e-30f;

    private final double lr;
    private final float l2;
    private final boolean sparseTables;
    private final float[][] m;
    private final float[][] v;
    private final boolean[] regularised;
    /** Tensors whose rows only a touching batch changes (sparse mode): nothing there decays into subnormals. */
    private final boolean[] lazy;
    private long t;
    /** Per dense weight tensor, the positions held at zero ({@link #keepZeroWeights}); null: none. */
    private final int[][] heldAtZero;
    /** Lazy updates' buffers: the touched rows' weights, moments and (of a gradient that is not compact) gradients. */
    private float[] bw = new float[0];
    private float[] bm = new float[0];
    private float[] bv = new float[0];
    private float[] bg = new float[0];

    public Adam(Net net, boolean[] trainable, double lr, double l2, boolean sparseTables) {
        this.lr = lr;
        this.l2 = (float) l2;
        this.sparseTables = sparseTables;
        this.m = new float[net.tensors()][];
        this.v = new float[net.tensors()][];
        this.regularised = new boolean[net.tensors()];
        this.lazy = new boolean[net.tensors()];
        this.heldAtZero = new int[net.tensors()][];
        for (int k = 0; k < m.length; k++) {
            lazy[k] = sparseTables && (NetShape.isUserTable(net.name(k)) || NetShape.isItemTable(net.name(k)));
            if (trainable[k]) {
                m[k] = new float[net.values(k).length];
                v[k] = new float[net.values(k).length];
            }
            // market vectors start at one and stay free of L2, which would pull them to zero (no market at all)
            regularised[k] = !NetShape.isBias(net.name(k)) && !NetShape.isMarketTable(net.name(k));
        }
    }

    /**
     * Holds every weight of the dense layers that is exactly zero now at zero from here on (not the tables,
     * biases or market vectors): a network whose layers are block-diagonal by construction (a mean of two
     * networks, each half seeing only its own inputs) stays so when fine-tuned, and so scores at the cost of
     * its blocks. Their gradient is dropped before the moments, so they and their moments stay exactly zero.
     */
    public Adam keepZeroWeights(Net net) {
        for (int k = 0; k < m.length; k++) {
            String name = net.name(k);
            if (m[k] == null || NetShape.isUserTable(name) || NetShape.isItemTable(name) || NetShape.isMarketTable(name)
                    || NetShape.isBias(name)) {
                continue;
            }
            float[] w = net.values(k);
            int zeros = 0;
            for (float x : w) {
                zeros += x == 0f ? 1 : 0;
            }
            if (zeros > 0) {
                int[] at = new int[zeros];
                for (int i = 0, j = 0; i < w.length; i++) {
                    if (w[i] == 0f) {
                        at[j++] = i;
                    }
                }
                heldAtZero[k] = at;
            }
        }
        return this;
    }

    /** Steps taken. */
    public long steps() {
        return t;
    }

    /** Follows a net whose tables grew: moments of new rows start at zero. */
    public void resize(Net net) {
        for (int k = 0; k < m.length; k++) {
            if (m[k] != null && m[k].length != net.values(k).length) {
                m[k] = java.util.Arrays.copyOf(m[k], net.values(k).length);
                v[k] = java.util.Arrays.copyOf(v[k], net.values(k).length);
            }
        }
    }

    /** One update of {@code net} with gradient {@code g}, which is then cleared. */
    public void step(Net net, Gradient g) {
        t++;
        float alpha = (float) (lr * Math.sqrt(1 - Math.pow(B2, t)) / (1 - Math.pow(B1, t)));
        for (int k = 0; k < m.length; k++) {
            float[] gk = g.values(k);
            if (m[k] == null || gk == null) {
                continue;
            }
            float[] w = net.values(k);
            float reg = regularised[k] ? l2 : 0f;
            boolean table = g.isUserTable(k) || g.isItemTable(k);
            if (table && sparseTables) {
                updateRows(w, gk, m[k], v[k], g.cols(k), g.touched(g.isUserTable(k)), g.compact(), alpha, reg);
            } else {
                if (table && g.compact()) {
                    throw new IllegalStateException("dense updates of " + net.name(k) + " need a gradient of the whole table, not a compact one");
                }
                if (heldAtZero[k] != null) {
                    for (int i : heldAtZero[k]) {
                        gk[i] = 0f;
                    }
                }
                update(w, gk, m[k], v[k], 0, w.length, alpha, reg);
            }
        }
        g.clear();
        if ((t & 255) == 0) {
            flushTiny(net);
        }
    }

    /**
     * Moments of rows no batch touches decay geometrically towards subnormal floats, on which
     * every arithmetic operation is ~100x slower, and with L2 so do those rows' weights (Adam scales
     * the tiny decay gradient up to a full step); zeroing such values now and then keeps the
     * (vectorised) update loop free of both the subnormals and a per-element branch.
     */
    private void flushTiny(Net net) {
        for (int k = 0; k < m.length; k++) {
            if (m[k] == null || lazy[k]) {
                continue;
            }
            float[] mk = m[k];
            float[] vk = v[k];
            float[] w = net.values(k);
            for (int i = 0; i < mk.length; i++) {
                if (Math.abs(w[i]) < TINY) {
                    w[i] = 0f;
                }
                if (Math.abs(mk[i]) < TINY) {
                    mk[i] = 0f;
                }
                if (vk[i] < TINY) {
                    vk[i] = 0f;
                }
            }
        }
    }

    /**
     * {@link #update} of the touched rows of a lazy table, in three passes: the rows' weights and moments
     * copied into contiguous buffers, one update over the buffers, and the rows copied back. A row of a
     * typical table is 8-32 floats, too short for the JIT's vectorised loop (row by row it ran scalar, at
     * 5 ns a value); the whole batch's rows are one long loop that it vectorises. Before the copies,
     * {@link TouchedRows#prefetch} reads the first and last value of every row, so that the cache misses
     * of rows far apart in a large table overlap instead of coming one after the other
     * (bench/results/scale-trunk.md). The values computed are those of the row-by-row update.
     */
    private void updateRows(float[] w, float[] g, float[] m, float[] v, int c, TouchedRows rows, boolean compact,
                            float alpha, float reg) {
        int n = rows.size();
        int len = n * c;
        if (bw.length < len) {
            int cap = Math.max(len, 2 * bw.length);
            bw = new float[cap];
            bm = new float[cap];
            bv = new float[cap];
        }
        if (!compact && bg.length < len) {
            bg = new float[bw.length];
        }
        rows.prefetch(c, w, m, v);
        copyRows(rows, c, w, bw, true);
        copyRows(rows, c, m, bm, true);
        copyRows(rows, c, v, bv, true);
        if (!compact) {
            copyRows(rows, c, g, bg, true);
        }
        // a compact gradient holds the k-th touched row in slot k: already in the buffers' order
        update(bw, compact ? g : bg, bm, bv, 0, n * c, alpha, reg);
        copyRows(rows, c, w, bw, false);
        copyRows(rows, c, m, bm, false);
        copyRows(rows, c, v, bv, false);
    }

    /** The touched rows of width {@code c} from a table into a buffer, in touched order ({@code in}), or back. */
    private static void copyRows(TouchedRows rows, int c, float[] table, float[] buffer, boolean in) {
        for (int r = 0; r < rows.size(); r++) {
            if (in) {
                System.arraycopy(table, rows.row(r) * c, buffer, r * c, c);
            } else {
                System.arraycopy(buffer, r * c, table, rows.row(r) * c, c);
            }
        }
    }

    private static void update(float[] w, float[] g, float[] m, float[] v, int from, int to, float alpha, float reg) {
        for (int i = from; i < to; i++) {
            float gi = g[i] + reg * w[i];
            float mi = B1 * m[i] + (1 - B1) * gi;
            float vi = B2 * v[i] + (1 - B2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            w[i] -= alpha * mi / ((float) Math.sqrt(vi) + EPS);
        }
    }
}
