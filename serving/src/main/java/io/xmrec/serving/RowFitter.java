package io.xmrec.serving;

import io.xmrec.core.net.Adam;
import io.xmrec.core.net.Gradient;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetKernel;
import io.xmrec.core.net.NetShape;
import io.xmrec.core.sampling.TrainingNegatives;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Fits the table rows of some users (or items) to their interactions with every other parameter
 * of a network fixed: "fold-in" of a user or item the network has never seen (starting from the
 * average row), and the re-fit of a known one after new interactions (starting from its current
 * row). Binary cross-entropy through the whole network, head included, with fresh training
 * negatives every step (items the user has not trained on; for an item, users of the market who
 * did not interact with it), full-batch Adam on the fitted rows only. The rows are trained in a
 * small network that shares every other tensor with the model, so nothing of the model changes.
 */
public final class RowFitter {

    /** Settings: Adam steps, step size, negatives per positive, seed. */
    public record Options(int steps, double learningRate, int negatives, long seed) {
        public Options {
            if (steps < 0 || !(learningRate > 0) || negatives < 1) {
                throw new IllegalArgumentException("row-fitting options out of range: " + this);
            }
        }

        /** Offline fold-in: 60 steps of 0.05. */
        public static Options defaults() {
            return new Options(60, 0.05, 4, 42);
        }

        /**
         * In the stream: 20 steps of 0.15, three times cheaper (a micro-batch may bring a hundred new
         * users); bench/results/new-users-20steps.md measures what it costs in quality.
         */
        public static Options streaming() {
            return new Options(20, 0.15, 4, 42);
        }
    }

    /** One user's or item's rows: GMF and MLP vectors (empty without that branch) and, for items, the bias. */
    public record Rows(float[] gmf, float[] mlp, float bias) {

        /** Writes these rows as user row {@code row} of the network. */
        public void writeUser(Net net, int row) {
            NetShape s = net.shape();
            if (s.hasGmf()) {
                System.arraycopy(gmf, 0, net.get(NetShape.GMF_USER), row * s.gmfDim(), s.gmfDim());
            }
            if (s.hasMlp()) {
                System.arraycopy(mlp, 0, net.get(NetShape.MLP_USER), row * s.mlpDim(), s.mlpDim());
            }
        }

        /** Writes these rows (bias included) as item row {@code row} of the network. */
        public void writeItem(Net net, int row) {
            NetShape s = net.shape();
            if (s.hasGmf()) {
                System.arraycopy(gmf, 0, net.get(NetShape.GMF_ITEM), row * s.gmfDim(), s.gmfDim());
            }
            if (s.hasMlp()) {
                System.arraycopy(mlp, 0, net.get(NetShape.MLP_ITEM), row * s.mlpDim(), s.mlpDim());
            }
            if (s.itemBias()) {
                net.get(NetShape.ITEM_BIAS)[row] = bias;
            }
        }
    }

    private final Options o;

    public RowFitter(Options options) {
        this.o = options;
    }

    public Options options() {
        return o;
    }

    /** The average user's rows: where a fold-in starts, and what a user with no usable interaction gets. */
    public static Rows averageUser(Net net) {
        NetShape s = net.shape();
        return new Rows(s.hasGmf() ? ServedModel.meanRow(net.get(NetShape.GMF_USER), net.users(), s.gmfDim()) : new float[0],
                s.hasMlp() ? ServedModel.meanRow(net.get(NetShape.MLP_USER), net.users(), s.mlpDim()) : new float[0], 0f);
    }

    /** The average item's rows (bias included). */
    public static Rows averageItem(Net net) {
        NetShape s = net.shape();
        float bias = s.itemBias() ? ServedModel.meanRow(net.get(NetShape.ITEM_BIAS), net.items(), 1)[0] : 0f;
        return new Rows(s.hasGmf() ? ServedModel.meanRow(net.get(NetShape.GMF_ITEM), net.items(), s.gmfDim()) : new float[0],
                s.hasMlp() ? ServedModel.meanRow(net.get(NetShape.MLP_ITEM), net.items(), s.mlpDim()) : new float[0], bias);
    }

    /** The current rows of user row {@code u}. */
    public static Rows userRows(Net net, int u) {
        NetShape s = net.shape();
        return new Rows(row(net.get(NetShape.GMF_USER), u, s.gmfDim()), row(net.get(NetShape.MLP_USER), u, s.mlpDim()), 0f);
    }

    /** The current rows of item row {@code i}. */
    public static Rows itemRows(Net net, int i) {
        NetShape s = net.shape();
        return new Rows(row(net.get(NetShape.GMF_ITEM), i, s.gmfDim()), row(net.get(NetShape.MLP_ITEM), i, s.mlpDim()),
                s.itemBias() ? net.get(NetShape.ITEM_BIAS)[i] : 0f);
    }

    private static float[] row(float[] table, int r, int cols) {
        return table == null ? new float[0] : Arrays.copyOfRange(table, r * cols, (r + 1) * cols);
    }

    /**
     * Fits users' rows.
     *
     * @param positives per user, the item rows of their training interactions (repeats allowed)
     * @param pool      the market's item rows, sorted: where negatives come from
     * @param start     per user where to start (current rows to re-fit; {@link #averageUser} to fold in)
     * @param ids       per user an id that seeds the negatives (the same user fits the same way)
     */
    public List<Rows> fitUsers(Net net, int[][] positives, int[] pool, List<Rows> start, List<String> ids) {
        return fit(net, true, positives, pool, start, ids, null);
    }

    /**
     * Fits items' rows: positives are the user rows who interacted with each item, negatives other
     * users of {@code userPool} (sorted user rows of the market), {@code negatives[k]} of them for item
     * {@code k} per step whatever its number of buyers. That is how training sees an item: a positive for
     * each of its buyers, and a negative about as often as any other item (the negatives of all
     * positives spread over the catalogue: {@link #negativesPerItem}); so an item with many buyers
     * ends with a higher bias than one with a few, as it would after training. Negatives in
     * proportion to an item's buyers would give every item the same odds, and a new item bought by
     * hundreds would score like one bought once.
     */
    public List<Rows> fitItems(Net net, int[][] buyers, int[] userPool, List<Rows> start, List<String> ids,
                               int[] negatives) {
        if (negatives.length != buyers.length || Arrays.stream(negatives).anyMatch(k -> k < 1)) {
            throw new IllegalArgumentException("negatives per item must be at least 1, one per item: "
                    + Arrays.toString(negatives));
        }
        return fit(net, false, buyers, userPool, start, ids, negatives);
    }

    /**
     * How often training draws an item as a negative per epoch: {@code negatives} per positive over
     * {@code interactions} positives, spread evenly over {@code items} (at least one).
     */
    public int negativesPerItem(long interactions, int items) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE / 2, Math.round((double) o.negatives() * interactions
                / Math.max(1, items))));
    }

    /** {@code perEntity[k]} negatives for entity k per step, or (null) {@link Options#negatives()} per positive. */
    private List<Rows> fit(Net net, boolean users, int[][] positives, int[] pool, List<Rows> start, List<String> ids,
                           int[] perEntity) {
        int n = positives.length;
        if (start.size() != n || ids.size() != n) {
            throw new IllegalArgumentException(n + " entities to fit with " + start.size() + " starts and " + ids.size() + " ids");
        }
        NetShape s = net.shape();
        // a network of just the fitted rows on this side, sharing every other tensor
        Map<String, float[]> t = new LinkedHashMap<>(net.asMap());
        List<String> fitted = new ArrayList<>();
        if (s.hasGmf()) {
            String name = users ? NetShape.GMF_USER : NetShape.GMF_ITEM;
            t.put(name, stack(start, n, s.gmfDim(), Rows::gmf));
            fitted.add(name);
        }
        if (s.hasMlp()) {
            String name = users ? NetShape.MLP_USER : NetShape.MLP_ITEM;
            t.put(name, stack(start, n, s.mlpDim(), Rows::mlp));
            fitted.add(name);
        }
        if (!users && s.itemBias()) {
            float[] b = new float[n];
            for (int k = 0; k < n; k++) {
                b[k] = start.get(k).bias();
            }
            t.put(NetShape.ITEM_BIAS, b);
            fitted.add(NetShape.ITEM_BIAS);
        }
        Net small = Net.of(s, users ? n : net.users(), users ? net.items() : n, t);
        // the samples of one step: each entity's positives and their negatives
        int total = 0;
        int[][] own = new int[n][];
        int[] negatives = new int[n];
        for (int k = 0; k < n; k++) {
            own[k] = Arrays.stream(positives[k]).sorted().distinct().toArray();
            if (own[k].length < pool.length) {
                negatives[k] = perEntity != null ? Math.min(perEntity[k], pool.length - own[k].length)
                        : positives[k].length * o.negatives();
                total += positives[k].length + negatives[k];
            }
        }
        if (total == 0 || o.steps() == 0) {
            return copyOut(small, users, n, s);
        }
        int[] side = new int[total];  // the fitted entity's row in the small net
        int[] other = new int[total]; // the other side's row in the full net
        float[] y = new float[total];
        boolean[] trainable = Gradient.only(small, fitted);
        Gradient g = new Gradient(small, trainable);
        Adam adam = new Adam(small, trainable, o.learningRate(), 0, true);
        NetKernel kernel = new NetKernel(s, Math.min(total, 8192));
        long h = o.seed();
        for (String id : ids) {
            h = h * 0x9E3779B97F4A7C15L + id.hashCode();
        }
        SplittableRandom rnd = new SplittableRandom(h);
        int[] negs = new int[perEntity != null ? Arrays.stream(negatives).max().orElse(0) : o.negatives()];
        for (int step = 0; step < o.steps(); step++) {
            int m = 0;
            for (int k = 0; k < n; k++) {
                if (own[k].length >= pool.length) {
                    continue; // nothing to contrast against: keeps its start
                }
                for (int p : positives[k]) {
                    side[m] = k;
                    other[m] = p;
                    y[m++] = 1f;
                    if (perEntity == null) { // a user: fresh negatives for each positive, as in training
                        m = negatives(k, TrainingNegatives.draw(pool, own[k], o.negatives(), rnd, negs), negs, side, other, y, m);
                    }
                }
                if (perEntity != null) {
                    m = negatives(k, TrainingNegatives.draw(pool, own[k], negatives[k], rnd, negs), negs, side, other, y, m);
                }
            }
            int[] us = users ? side : other;
            int[] is = users ? other : side;
            // chunks hold whole entities, so each row's gradient comes from one batch (Adam ignores its scale)
            int from = 0;
            while (from < m) {
                int to = Math.min(m, from + kernel.capacity());
                if (to < m) {
                    while (to > from + 1 && side[to - 1] == side[to]) {
                        to--;
                    }
                }
                kernel.lossAndGradient(small, us, is, y, from, to - from, g);
                from = to;
            }
            adam.step(small, g);
        }
        return copyOut(small, users, n, s);
    }

    /** Appends {@code got} negatives of entity {@code k} to the step's samples from {@code m}; the new end. */
    private static int negatives(int k, int got, int[] negs, int[] side, int[] other, float[] y, int m) {
        for (int j = 0; j < got; j++) {
            side[m] = k;
            other[m] = negs[j];
            y[m++] = 0f;
        }
        return m;
    }

    private static float[] stack(List<Rows> start, int n, int cols, java.util.function.Function<Rows, float[]> part) {
        float[] out = new float[n * cols];
        for (int k = 0; k < n; k++) {
            float[] r = part.apply(start.get(k));
            if (r.length != cols) {
                throw new IllegalArgumentException("a start row has " + r.length + " values for a table of width " + cols);
            }
            System.arraycopy(r, 0, out, k * cols, cols);
        }
        return out;
    }

    private static List<Rows> copyOut(Net small, boolean users, int n, NetShape s) {
        List<Rows> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            out.add(users ? userRows(small, k) : itemRows(small, k));
        }
        return out;
    }
}
