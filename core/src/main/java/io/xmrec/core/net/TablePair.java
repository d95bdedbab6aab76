package io.xmrec.core.net;

/**
 * One branch's embedding tables in {@link NetKernel}: a user table and an item table of width {@code d}
 * (and, in a market-aware shape, a table of market vectors that multiply the item rows), looked up
 * for a batch into column-major units, and their gradients scattered back into the rows the batch
 * touched. GMF multiplies the user and item rows ({@link #product}); the MLP concatenates them
 * ({@link #concat}).
 */
final class TablePair {

    /** The rows a batch looks up: pairs {@code from .. from + count} of {@code users} and {@code items}. */
    record Rows(int[] users, int[] items, int from, int count, int[] marketOfUser) {
    }

    private final int d;
    private final int user;
    private final int item;
    private final int market;

    /** Tensor indices in the net; {@code market} is -1 in a shape that is not market-aware, all are -1 when {@code d} is 0. */
    TablePair(int d, int user, int item, int market) {
        this.d = d;
        this.user = user;
        this.item = item;
        this.market = market;
    }

    /** Whether any of the tables trains. */
    boolean trains(boolean[] trainable) {
        return d > 0 && (trainable[user] || trainable[item] || (market >= 0 && trainable[market]));
    }

    boolean marketTrains(boolean[] trainable) {
        return market >= 0 && trainable[market];
    }

    /**
     * Reads the first and last value of the batch's rows in both tables before the lookups, so that the
     * cache misses of rows far apart in a large table overlap (see {@link TouchedRows#prefetch}).
     */
    private static void prefetch(Rows r, float[] users, float[] items, int d) {
        float sum = 0;
        int[] us = r.users();
        int[] is = r.items();
        for (int k = r.from(); k < r.from() + r.count(); k++) {
            int ur = us[k] * d;
            int ir = is[k] * d;
            sum += users[ur] + users[ur + d - 1] + items[ir] + items[ir + d - 1];
        }
        TouchedRows.keep(sum);
    }

    /** {@code out[q][k]} = the user row, {@code out[d + q][k]} = the item row (times the market's vector). */
    void concat(Net net, Rows r, float[][] out) {
        float[] mu = net.values(user);
        float[] mi = net.values(item);
        prefetch(r, mu, mi, d);
        float[] mm = market >= 0 ? net.values(market) : null;
        for (int k = 0; k < r.count(); k++) {
            int ur = r.users()[r.from() + k] * d;
            int ir = r.items()[r.from() + k] * d;
            for (int q = 0; q < d; q++) {
                out[q][k] = mu[ur + q];
                out[d + q][k] = mi[ir + q];
            }
            if (mm != null) {
                int mr = r.marketOfUser()[r.users()[r.from() + k]] * d;
                for (int q = 0; q < d; q++) {
                    out[d + q][k] *= mm[mr + q];
                }
            }
        }
    }

    /** {@code out[q][k]} = user row times item row (times the market's vector), element by element. */
    void product(Net net, Rows r, float[][] out) {
        float[] gu = net.values(user);
        float[] gi = net.values(item);
        float[] gm = market >= 0 ? net.values(market) : null;
        prefetch(r, gu, gi, d);
        for (int k = 0; k < r.count(); k++) {
            int ur = r.users()[r.from() + k] * d;
            int ir = r.items()[r.from() + k] * d;
            for (int q = 0; q < d; q++) {
                out[q][k] = gu[ur + q] * gi[ir + q];
            }
            if (gm != null) {
                int mr = r.marketOfUser()[r.users()[r.from() + k]] * d;
                for (int q = 0; q < d; q++) {
                    out[q][k] *= gm[mr + q];
                }
            }
        }
    }

    /** Adds the gradient of {@link #product} given the deltas of its units to the trainable tables' rows. */
    void productGradient(Net net, Rows r, float[][] delta, Gradient g) {
        boolean[] t = g.trainable();
        float[] gu = net.values(user);
        float[] gi = net.values(item);
        float[] gm = market >= 0 ? net.values(market) : null;
        float[] ggu = t[user] ? g.values(user) : null;
        float[] ggi = t[item] ? g.values(item) : null;
        float[] ggm = marketTrains(t) ? g.values(market) : null;
        for (int k = 0; k < r.count(); k++) {
            int u = r.users()[r.from() + k];
            int i = r.items()[r.from() + k];
            int ur = u * d;
            int ir = i * d;
            // the rows' places in the gradient (themselves, or their slots in a compact one)
            int gur = ggu != null ? g.touchUser(u) * d : 0;
            int gir = ggi != null ? g.touchItem(i) * d : 0;
            if (gm == null) {
                for (int q = 0; q < d; q++) {
                    float dq = delta[q][k];
                    if (ggu != null) {
                        ggu[gur + q] += dq * gi[ir + q];
                    }
                    if (ggi != null) {
                        ggi[gir + q] += dq * gu[ur + q];
                    }
                }
            } else {
                // product of three: each factor's gradient is the delta times the other two
                int mr = r.marketOfUser()[u] * d;
                for (int q = 0; q < d; q++) {
                    float dq = delta[q][k];
                    float uq = gu[ur + q];
                    float iq = gi[ir + q];
                    float mq = gm[mr + q];
                    if (ggu != null) {
                        ggu[gur + q] += dq * iq * mq;
                    }
                    if (ggi != null) {
                        ggi[gir + q] += dq * uq * mq;
                    }
                    if (ggm != null) {
                        ggm[mr + q] += dq * uq * iq;
                    }
                }
            }
        }
    }

    /** Adds the gradient of {@link #concat} given the deltas of its units to the trainable tables' rows. */
    void concatGradient(Net net, Rows r, float[][] delta, Gradient g) {
        boolean[] t = g.trainable();
        float[] gmu = t[user] ? g.values(user) : null;
        float[] gmi = t[item] ? g.values(item) : null;
        float[] mm = market >= 0 ? net.values(market) : null;
        float[] mi = net.values(item);
        float[] gmm = marketTrains(t) ? g.values(market) : null;
        for (int k = 0; k < r.count(); k++) {
            int u = r.users()[r.from() + k];
            int i = r.items()[r.from() + k];
            int ir = i * d;
            int mr = mm == null ? 0 : r.marketOfUser()[u] * d;
            if (gmu != null) {
                int gur = g.touchUser(u) * d;
                for (int q = 0; q < d; q++) {
                    gmu[gur + q] += delta[q][k];
                }
            }
            if (gmi != null) {
                int gir = g.touchItem(i) * d;
                if (mm == null) {
                    for (int q = 0; q < d; q++) {
                        gmi[gir + q] += delta[d + q][k];
                    }
                } else {
                    for (int q = 0; q < d; q++) {
                        gmi[gir + q] += delta[d + q][k] * mm[mr + q];
                    }
                }
            }
            if (gmm != null) {
                for (int q = 0; q < d; q++) {
                    gmm[mr + q] += delta[d + q][k] * mi[ir + q];
                }
            }
        }
    }
}
