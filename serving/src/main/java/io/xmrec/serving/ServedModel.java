package io.xmrec.serving;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetKernel;
import io.xmrec.core.net.NetShape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * A market's model as a shop serves it, immutable: the network, the user and item rows it knows,
 * the market's catalogue (items sold in the market) with their popularity, and what it was trained
 * on. Scores in plain Java through the same {@link NetKernel} that trains the networks, so a served
 * score is exactly a trained model's score. Updates make new instances ({@link ModelRecords#apply}),
 * sharing what did not change, so readers never see a half-applied update.
 */
public final class ServedModel {

    /** One recommended item and its score. */
    public record Scored(String item, float score) {
    }

    private final ModelMeta meta;
    private final Net net;
    private final IdVocabulary users;
    private final IdVocabulary items;
    private final int[] catalogue;
    private final int[] popularity;
    private volatile int[] popularOrder;
    private volatile Net averageUser;

    /**
     * @param catalogue  item rows sold in the market, ascending (empty: every item of the vocabulary)
     * @param popularity interactions per catalogue item, aligned with it (empty: unknown, all zero)
     */
    public ServedModel(ModelMeta meta, Net net, IdVocabulary users, IdVocabulary items, int[] catalogue, int[] popularity) {
        if (net.users() != users.size() || net.items() != items.size()) {
            throw new IllegalArgumentException("model " + meta.market() + " v" + meta.version() + ": network of "
                    + net.users() + " users and " + net.items() + " items for vocabularies of " + users.size() + " and "
                    + items.size());
        }
        int[] cat = catalogue.length == 0 ? all(items.size()) : catalogue;
        for (int k = 0; k < cat.length; k++) {
            if (cat[k] < 0 || cat[k] >= items.size() || (k > 0 && cat[k] <= cat[k - 1])) {
                throw new IllegalArgumentException("model " + meta.market() + " v" + meta.version()
                        + ": catalogue rows must be ascending rows of the item vocabulary, found " + cat[k] + " at " + k);
            }
        }
        if (popularity.length != 0 && popularity.length != cat.length) {
            throw new IllegalArgumentException("model " + meta.market() + " v" + meta.version() + ": " + popularity.length
                    + " popularity counts for " + cat.length + " catalogue items");
        }
        this.meta = meta;
        this.net = net;
        this.users = users;
        this.items = items;
        this.catalogue = cat;
        this.popularity = popularity.length == 0 ? new int[cat.length] : popularity;
    }

    private static int[] all(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    public ModelMeta meta() {
        return meta;
    }

    public String market() {
        return meta.market();
    }

    public long version() {
        return meta.version();
    }

    public long trunkVersion() {
        return meta.trunkVersion();
    }

    /** The network (shared with later versions where unchanged: never modify it). */
    public Net net() {
        return net;
    }

    public IdVocabulary users() {
        return users;
    }

    public IdVocabulary items() {
        return items;
    }

    /** Item rows sold in this market, ascending (the array itself: do not modify). */
    public int[] catalogue() {
        return catalogue;
    }

    /** Interactions of each catalogue item in the market's training data (aligned with {@link #catalogue()}). */
    public int[] popularity() {
        return popularity;
    }

    public boolean sells(int itemRow) {
        return Arrays.binarySearch(catalogue, itemRow) >= 0;
    }

    /** Scores of item rows for a user row. */
    public float[] score(int userRow, int[] itemRows) {
        float[] out = new float[itemRows.length];
        NetKernel.forScoring(net.shape()).scoreUser(net, userRow, itemRows, 0, itemRows.length, out, 0);
        return out;
    }

    /** Scores of item rows for the average user (the mean of the user rows): what an unknown user gets. */
    public float[] scoreAverageUser(int[] itemRows) {
        Net avg = averageUserNet();
        float[] out = new float[itemRows.length];
        NetKernel.forScoring(avg.shape()).scoreUser(avg, 0, itemRows, 0, itemRows.length, out, 0);
        return out;
    }

    /** Scores of items (ids) for a user (id); unknown ids are refused with their name. */
    public float[] score(String user, List<String> itemIds) {
        int u = userRow(user);
        int[] idx = new int[itemIds.size()];
        for (int k = 0; k < idx.length; k++) {
            idx[k] = items.indexOf(itemIds.get(k));
            if (idx[k] < 0) {
                throw new IllegalArgumentException("item " + itemIds.get(k) + " is not in the " + market() + " model v" + version());
            }
        }
        return score(u, idx);
    }

    /** A user's row; refused with the reason when the model does not know the user. */
    public int userRow(String user) {
        int u = users.indexOf(user);
        if (u < 0) {
            throw new IllegalArgumentException("user " + user + " is not in the " + market() + " model v" + version());
        }
        return u;
    }

    /**
     * The {@code k} best catalogue items for a user row ({@code -1}: the average user), leaving out the
     * rows {@code exclude} accepts; ties go to the lower row, so the order is deterministic.
     */
    public List<Scored> recommend(int userRow, int k, IntPredicate exclude) {
        return recommend(userRow, k, exclude, new int[0]);
    }

    /**
     * Catalogues up to this size are ranked exhaustively by the full network; larger ones through
     * candidate retrieval ({@link #retrieve}): every XMarket market is far below it, so its answers are
     * the exhaustive ones.
     */
    public static final int EXHAUSTIVE_UP_TO = 20_000;

    /** Candidates the full network ranks after retrieval (at least 20 per item asked for). */
    public static final int CANDIDATES = 1_000;

    /**
     * As {@link #recommend(int, int, IntPredicate)}, with {@code extra} item rows (sold in the market
     * since this model was made, known to it) as candidates too. Over a catalogue larger than
     * {@link #EXHAUSTIVE_UP_TO}, the full network ranks the items {@link #retrieve} finds.
     */
    public List<Scored> recommend(int userRow, int k, IntPredicate exclude, int[] extra) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        if (catalogue.length + extra.length > EXHAUSTIVE_UP_TO && userRow >= 0 && net.shape().hasGmf()) {
            int[] cand = retrieve(userRow, Math.max(CANDIDATES, 20 * k), exclude, extra);
            return top(cand, score(userRow, cand), k);
        }
        return exhaustive(userRow, k, exclude, extra);
    }

    /** The full network on every catalogue item (and {@code extra}) not excluded: the exact top {@code k}. */
    public List<Scored> exhaustive(int userRow, int k, IntPredicate exclude, int[] extra) {
        int[] cand = new int[catalogue.length + extra.length];
        int n = 0;
        for (int i : catalogue) {
            if (!exclude.test(i)) {
                cand[n++] = i;
            }
        }
        for (int i : extra) {
            if (i >= 0 && i < items.size() && !sells(i) && !exclude.test(i)) {
                cand[n++] = i;
            }
        }
        cand = Arrays.copyOf(cand, n);
        float[] s = userRow < 0 ? scoreAverageUser(cand) : score(userRow, cand);
        return top(cand, s, k);
    }

    /**
     * Candidate retrieval: the {@code n} items (catalogue and {@code extra}, minus the excluded) with the
     * highest GMF part of the score, an inner product of the user's GMF row with each item's (weighted
     * by the output layer's GMF weights where no market head sits between them) plus the item's bias:
     * one pass over the item table at dimension 16, instead of the whole network per item. Its recall
     * against the exhaustive top k is measured in bench/results/scale-serving.md.
     */
    public int[] retrieve(int userRow, int n, IntPredicate exclude, int[] extra) {
        NetShape s = net.shape();
        int d = s.gmfDim();
        float[] user = net.get(NetShape.GMF_USER);
        float[] table = net.get(NetShape.GMF_ITEM);
        float[] bias = s.itemBias() ? net.get(NetShape.ITEM_BIAS) : null;
        float[] q = new float[d];
        float[] out = net.get(NetShape.OUT_W);
        int gmfAt = s.fusedWidth() - d; // the fused vector is the MLP's output, then the GMF product
        for (int c = 0; c < d; c++) {
            q[c] = user[userRow * d + c] * (s.hasHead() ? 1f : out[gmfAt + c]);
        }
        TopK best = new TopK(Math.min(n, catalogue.length + extra.length));
        for (int pass = 0; pass < 2; pass++) {
            int[] rows = pass == 0 ? catalogue : extra;
            for (int row : rows) {
                if (pass == 1 && (row < 0 || row >= items.size() || sells(row))) {
                    continue;
                }
                if (exclude.test(row)) {
                    continue;
                }
                int at = row * d;
                float v = bias == null ? 0f : bias[row];
                for (int c = 0; c < d; c++) {
                    v += q[c] * table[at + c];
                }
                best.offer(row, v);
            }
        }
        return best.best(new float[best.size()]);
    }

    /** The {@code k} most popular catalogue items (by interactions in the market's training data), minus the excluded. */
    public List<Scored> popular(int k, IntPredicate exclude) {
        int[] order = popularOrder();
        List<Scored> out = new ArrayList<>(k);
        for (int pos : order) {
            if (out.size() >= k) {
                break;
            }
            int row = catalogue[pos];
            if (!exclude.test(row)) {
                out.add(new Scored(items.id(row), popularity[pos]));
            }
        }
        return out;
    }

    private int[] popularOrder() {
        int[] o = popularOrder;
        if (o == null) {
            Integer[] boxed = new Integer[catalogue.length];
            for (int i = 0; i < boxed.length; i++) {
                boxed[i] = i;
            }
            Arrays.sort(boxed, (a, b) -> popularity[a] != popularity[b] ? Integer.compare(popularity[b], popularity[a])
                    : Integer.compare(catalogue[a], catalogue[b]));
            o = new int[boxed.length];
            for (int i = 0; i < o.length; i++) {
                o[i] = boxed[i];
            }
            popularOrder = o;
        }
        return o;
    }

    private List<Scored> top(int[] rows, float[] s, int k) {
        TopK best = new TopK(Math.min(k, rows.length));
        for (int p = 0; p < rows.length; p++) {
            best.offer(rows[p], s[p]);
        }
        float[] scores = new float[best.size()];
        int[] order = best.best(scores);
        List<Scored> out = new ArrayList<>(order.length);
        for (int i = 0; i < order.length; i++) {
            out.add(new Scored(items.id(order[i]), scores[i]));
        }
        return out;
    }

    /**
     * This model with rows for more users ({@link RowFitter} output), appended after the known ones
     * (which keep their rows); the same version: for in-process use, not a published update.
     */
    public ServedModel withUsers(List<String> ids, List<RowFitter.Rows> rows) {
        if (ids.size() != rows.size()) {
            throw new IllegalArgumentException(ids.size() + " users with " + rows.size() + " rows");
        }
        IdVocabulary grown = users.appended(ids);
        Net n = net.withRows(grown.size(), net.items());
        NetShape s = n.shape();
        for (int k = 0; k < ids.size(); k++) {
            int row = users.size() + k;
            if (s.hasGmf()) {
                System.arraycopy(rows.get(k).gmf(), 0, n.get(NetShape.GMF_USER), row * s.gmfDim(), s.gmfDim());
            }
            if (s.hasMlp()) {
                System.arraycopy(rows.get(k).mlp(), 0, n.get(NetShape.MLP_USER), row * s.mlpDim(), s.mlpDim());
            }
        }
        return new ServedModel(meta, n, grown, items, catalogue, popularity);
    }

    /**
     * The prior score of a cold item (one the market sells but no model row has yet: no training
     * interaction so far) for a user row ({@code -1}: the average user): the score of the mean item,
     * the mean of the catalogue's item rows and item biases. Every cold item gets the same score.
     */
    public float scoreMeanItem(int userRow) {
        Net mean = meanItemNet();
        NetShape s = mean.shape();
        Map<String, float[]> t = new LinkedHashMap<>(mean.asMap());
        Net users = userRow < 0 ? averageUserNet() : net;
        int row = userRow < 0 ? 0 : userRow;
        if (s.hasGmf()) {
            t.put(NetShape.GMF_USER, Arrays.copyOfRange(users.get(NetShape.GMF_USER), row * s.gmfDim(), (row + 1) * s.gmfDim()));
        }
        if (s.hasMlp()) {
            t.put(NetShape.MLP_USER, Arrays.copyOfRange(users.get(NetShape.MLP_USER), row * s.mlpDim(), (row + 1) * s.mlpDim()));
        }
        Net one = Net.of(s, 1, 1, t);
        float[] out = new float[1];
        NetKernel.forScoring(s).scoreUser(one, 0, new int[]{0}, 0, 1, out, 0);
        return out[0];
    }

    private volatile Net meanItem;

    /** A one-item network whose item rows are the mean of the catalogue's (user rows: a placeholder). */
    private Net meanItemNet() {
        Net a = meanItem;
        if (a == null) {
            NetShape shape = net.shape();
            Map<String, float[]> t = new LinkedHashMap<>(net.asMap());
            if (shape.hasGmf()) {
                t.put(NetShape.GMF_ITEM, meanRow(net.get(NetShape.GMF_ITEM), catalogue, shape.gmfDim()));
                t.put(NetShape.GMF_USER, new float[shape.gmfDim()]);
            }
            if (shape.hasMlp()) {
                t.put(NetShape.MLP_ITEM, meanRow(net.get(NetShape.MLP_ITEM), catalogue, shape.mlpDim()));
                t.put(NetShape.MLP_USER, new float[shape.mlpDim()]);
            }
            if (shape.itemBias()) {
                t.put(NetShape.ITEM_BIAS, meanRow(net.get(NetShape.ITEM_BIAS), catalogue, 1));
            }
            a = Net.of(shape, 1, 1, t);
            meanItem = a;
        }
        return a;
    }

    /** The mean of some rows of a row-major table of {@code cols} columns (zeros for none). */
    private static float[] meanRow(float[] table, int[] rows, int cols) {
        double[] s = new double[cols];
        for (int r : rows) {
            for (int c = 0; c < cols; c++) {
                s[c] += table[r * cols + c];
            }
        }
        float[] out = new float[cols];
        for (int c = 0; c < cols; c++) {
            out[c] = rows.length == 0 ? 0f : (float) (s[c] / rows.length);
        }
        return out;
    }

    /** A one-user network whose user rows are the mean of this model's, everything else shared. */
    private Net averageUserNet() {
        Net a = averageUser;
        if (a == null) {
            NetShape shape = net.shape();
            Map<String, float[]> t = new LinkedHashMap<>(net.asMap());
            if (shape.hasGmf()) {
                t.put(NetShape.GMF_USER, meanRow(net.get(NetShape.GMF_USER), net.users(), shape.gmfDim()));
            }
            if (shape.hasMlp()) {
                t.put(NetShape.MLP_USER, meanRow(net.get(NetShape.MLP_USER), net.users(), shape.mlpDim()));
            }
            a = Net.of(shape, 1, net.items(), t);
            averageUser = a;
        }
        return a;
    }

    /** The mean row of a row-major table of {@code rows} rows of {@code cols} (zeros for an empty table). */
    public static float[] meanRow(float[] table, int rows, int cols) {
        return meanRow(table, all(rows), cols);
    }
}
