package io.xmrec.core.serving;

import io.xmrec.core.dataset.IdVocabulary;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * A published market model scored in plain Java from its named float tensors, so consumers need
 * no deep-learning runtime. The network is read off the tensor names: GMF ({@code gmf_user_W},
 * {@code gmf_item_W}), MLP ({@code mlp_user_W}, {@code mlp_item_W}, {@code mlp_1_W/b} ...), their
 * fusion (MLP first, then GMF), an optional market head ({@code head_1_W/b} ...), and the sigmoid
 * output ({@code out_W/b}); dense weights are {@code [in, out]} row-major, hidden layers ReLU.
 */
public final class ServedModel {

    /** A tensor: shape and row-major values. */
    public record Tensor(int[] shape, float[] values) {
        public Tensor {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            if (n != values.length) {
                throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " has " + values.length
                        + " values");
            }
        }

        int rows() {
            return shape[0];
        }

        int cols() {
            return shape.length > 1 ? shape[1] : 1;
        }
    }

    /** One recommended item and its score. */
    public record Scored(String item, float score) {
    }

    private final String market;
    private final long version;
    private final IdVocabulary users;
    private final IdVocabulary items;
    // package-private: UserFoldIn runs the same network backwards
    final Tensor gmfUser;
    final Tensor gmfItem;
    final Tensor mlpUser;
    final Tensor mlpItem;
    final List<Tensor[]> mlp = new ArrayList<>();
    final List<Tensor[]> head = new ArrayList<>();
    final Tensor outW;
    final Tensor outB;
    final int maxWidth;

    public ServedModel(String market, long version, List<String> users, List<String> items, Map<String, Tensor> t) {
        this.market = market;
        this.version = version;
        this.users = IdVocabulary.ofOrdered(users);
        this.items = IdVocabulary.ofOrdered(items);
        this.gmfUser = t.get("gmf_user_W");
        this.gmfItem = t.get("gmf_item_W");
        this.mlpUser = t.get("mlp_user_W");
        this.mlpItem = t.get("mlp_item_W");
        if ((gmfUser == null) != (gmfItem == null) || (mlpUser == null) != (mlpItem == null)
                || (gmfUser == null && mlpUser == null)) {
            throw new IllegalArgumentException("model of " + market + " has no complete GMF or MLP embedding pair: "
                    + t.keySet());
        }
        for (Tensor e : new Tensor[] {gmfUser, mlpUser}) {
            if (e != null && e.rows() != users.size()) {
                throw new IllegalArgumentException("user table has " + e.rows() + " rows for " + users.size() + " users");
            }
        }
        for (Tensor e : new Tensor[] {gmfItem, mlpItem}) {
            if (e != null && e.rows() != items.size()) {
                throw new IllegalArgumentException("item table has " + e.rows() + " rows for " + items.size() + " items");
            }
        }
        collect(t, "mlp_", mlp);
        collect(t, "head_", head);
        this.outW = require(t, "out_W");
        this.outB = require(t, "out_b");
        int width = (mlpUser != null ? (mlp.isEmpty() ? 2 * mlpUser.cols() : mlp.get(mlp.size() - 1)[0].cols()) : 0)
                + (gmfUser != null ? gmfUser.cols() : 0);
        for (Tensor[] l : head) {
            check(l[0].rows() == width, "head layer input " + l[0].rows() + " != " + width);
            width = l[0].cols();
        }
        check(outW.rows() == width && outW.cols() == 1, "output weights " + Arrays.toString(outW.shape())
                + " do not take width " + width);
        int w = outW.rows();
        for (List<Tensor[]> layers : List.of(mlp, head)) {
            for (Tensor[] l : layers) {
                w = Math.max(w, Math.max(l[0].rows(), l[0].cols()));
            }
        }
        int emb = (mlpUser != null ? 2 * mlpUser.cols() : 0) + (gmfUser != null ? gmfUser.cols() : 0);
        this.maxWidth = Math.max(w, emb) + (gmfUser != null ? gmfUser.cols() : 0); // MLP output + GMF appended
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("inconsistent model: " + what);
        }
    }

    private static Tensor require(Map<String, Tensor> t, String name) {
        Tensor x = t.get(name);
        if (x == null) {
            throw new IllegalArgumentException("model has no tensor " + name);
        }
        return x;
    }

    private static void collect(Map<String, Tensor> t, String prefix, List<Tensor[]> into) {
        for (int i = 1; t.containsKey(prefix + i + "_W"); i++) {
            into.add(new Tensor[] {t.get(prefix + i + "_W"), require(t, prefix + i + "_b")});
        }
    }

    public String market() {
        return market;
    }

    public long version() {
        return version;
    }

    public IdVocabulary users() {
        return users;
    }

    public IdVocabulary items() {
        return items;
    }

    /** Scores of items (vocabulary indices) for one user (index). */
    public float[] score(int user, int[] itemIdx) {
        float[] out = new float[itemIdx.length];
        double[] a = new double[maxWidth];
        double[] b = new double[maxWidth];
        for (int k = 0; k < itemIdx.length; k++) {
            out[k] = (float) forward(user, itemIdx[k], a, b);
        }
        return out;
    }

    /** Scores of items (ids) for a user (id); unknown ids are refused with their name. */
    public float[] score(String user, Collection<String> itemIds) {
        int u = userIndex(user);
        int[] idx = new int[itemIds.size()];
        int k = 0;
        for (String i : itemIds) {
            int x = items.indexOf(i);
            if (x < 0) {
                throw new IllegalArgumentException("item " + i + " is not in the " + market + " model");
            }
            idx[k++] = x;
        }
        return score(u, idx);
    }

    public int userIndex(String user) {
        int u = users.indexOf(user);
        if (u < 0) {
            throw new IllegalArgumentException("user " + user + " is not in the " + market + " model");
        }
        return u;
    }

    /** The k best items for a user, leaving out {@code exclude} (e.g. what the user already has). */
    public List<Scored> recommend(String user, int k, Set<String> exclude) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        int u = userIndex(user);
        PriorityQueue<Scored> best = new PriorityQueue<>((x, y) -> Float.compare(x.score(), y.score()));
        double[] a = new double[maxWidth];
        double[] b = new double[maxWidth];
        for (int i = 0; i < items.size(); i++) {
            String id = items.id(i);
            if (exclude.contains(id)) {
                continue;
            }
            float s = (float) forward(u, i, a, b);
            if (best.size() < k) {
                best.add(new Scored(id, s));
            } else if (s > best.peek().score()) {
                best.poll();
                best.add(new Scored(id, s));
            }
        }
        List<Scored> out = new ArrayList<>(best);
        out.sort((x, y) -> Float.compare(y.score(), x.score()));
        return out;
    }

    private double forward(int u, int i, double[] a, double[] b) {
        int n = 0;
        if (mlpUser != null) {
            int d = mlpUser.cols();
            for (int k = 0; k < d; k++) {
                a[k] = mlpUser.values()[u * d + k];
                a[d + k] = mlpItem.values()[i * d + k];
            }
            n = 2 * d;
            for (Tensor[] l : mlp) {
                n = dense(l, a, n, b);
                double[] t = a;
                a = b;
                b = t;
            }
        }
        if (gmfUser != null) {
            int d = gmfUser.cols();
            for (int k = 0; k < d; k++) {
                a[n + k] = (double) gmfUser.values()[u * d + k] * gmfItem.values()[i * d + k];
            }
            n += d;
        }
        for (Tensor[] l : head) {
            n = dense(l, a, n, b);
            double[] t = a;
            a = b;
            b = t;
        }
        double z = outB.values()[0];
        for (int k = 0; k < n; k++) {
            z += a[k] * outW.values()[k];
        }
        return 1 / (1 + Math.exp(-z));
    }

    /** ReLU(in W + b) into {@code out}; returns the output width. */
    private static int dense(Tensor[] l, double[] in, int n, double[] out) {
        Tensor w = l[0];
        int cols = w.cols();
        float[] wv = w.values();
        float[] bv = l[1].values();
        for (int o = 0; o < cols; o++) {
            out[o] = bv[o];
        }
        for (int r = 0; r < n; r++) {
            double x = in[r];
            if (x != 0) {
                int row = r * cols;
                for (int o = 0; o < cols; o++) {
                    out[o] += x * wv[row + o];
                }
            }
        }
        for (int o = 0; o < cols; o++) {
            if (out[o] < 0) {
                out[o] = 0;
            }
        }
        return cols;
    }
}
