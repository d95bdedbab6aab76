package io.xmrec.core.net;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of a network of the NCF family, which is everything xmrec trains and serves: an
 * optional GMF branch (user and item vectors of {@code gmfDim}, multiplied element-wise), an
 * optional MLP branch (user and item vectors of {@code mlpDim}, concatenated, then ReLU layers
 * {@code mlpLayers[1..]}), the two fused (MLP output first, then GMF), an optional market head of
 * ReLU layers from the fused width through {@code headWidths} back to the fused width (FOREC), an
 * optional per-item bias, and a sigmoid output. A market-aware network (Bhargav et al., ECIR 2023)
 * also has one vector per market for each branch ({@code markets > 0}): the item vector is
 * multiplied element-wise by the vector of the user's market before it enters the branch, so
 * markets share users' and items' tables and the network but each sees the items its own way.
 * A market's served model has its vector folded into the item tables ({@code markets = 0}).
 *
 * <p>GMF is {@code gmfDim > 0, mlpDim = 0}; MLP the other way round; NMF (NeuMF) has both; FOREC is
 * NMF with a head. The tensor names of {@link #tensorNames()} are the one contract between
 * training, the model record and serving.
 *
 * @param gmfDim     width of the GMF vectors; 0 = no GMF branch
 * @param mlpDim     width of the MLP vectors; 0 = no MLP branch
 * @param mlpLayers  widths of the MLP from the concatenated vectors ({@code 2 * mlpDim}) to its output; empty without MLP
 * @param headWidths hidden widths of the market head; empty = no head
 * @param itemBias   whether a learned bias per item is added to the output's logit
 * @param markets    number of market vectors per branch (market-aware); 0 = none
 */
public record NetShape(int gmfDim, int mlpDim, List<Integer> mlpLayers, List<Integer> headWidths, boolean itemBias,
                       int markets) {

    public static final String GMF_USER = "gmf_user_W";
    public static final String GMF_ITEM = "gmf_item_W";
    public static final String MLP_USER = "mlp_user_W";
    public static final String MLP_ITEM = "mlp_item_W";
    public static final String OUT_W = "out_W";
    public static final String OUT_B = "out_b";
    public static final String ITEM_BIAS = "item_bias";
    public static final String GMF_MARKET = "gmf_market_W";
    public static final String MLP_MARKET = "mlp_market_W";

    public NetShape(int gmfDim, int mlpDim, List<Integer> mlpLayers, List<Integer> headWidths, boolean itemBias) {
        this(gmfDim, mlpDim, mlpLayers, headWidths, itemBias, 0);
    }

    public NetShape {
        if (markets < 0) {
            throw new IllegalArgumentException("the number of market vectors cannot be negative: " + markets);
        }
        mlpLayers = List.copyOf(mlpLayers);
        headWidths = List.copyOf(headWidths);
        if (gmfDim < 0 || mlpDim < 0 || (gmfDim == 0 && mlpDim == 0)) {
            throw new IllegalArgumentException("a network needs a GMF or an MLP branch (gmf " + gmfDim + ", mlp " + mlpDim + ")");
        }
        if (mlpDim > 0 && (mlpLayers.size() < 2 || mlpLayers.get(0) != 2 * mlpDim)) {
            throw new IllegalArgumentException("MLP layers " + mlpLayers + " must start with 2 * mlp dim = " + (2 * mlpDim)
                    + " and have at least one hidden layer");
        }
        if (mlpDim == 0 && !mlpLayers.isEmpty()) {
            throw new IllegalArgumentException("MLP layers " + mlpLayers + " given without an MLP branch");
        }
        for (int w : mlpLayers) {
            if (w < 1) {
                throw new IllegalArgumentException("MLP layer widths must be positive: " + mlpLayers);
            }
        }
        for (int w : headWidths) {
            if (w < 1) {
                throw new IllegalArgumentException("head widths must be positive: " + headWidths);
            }
        }
    }

    public static NetShape gmf(int dim) {
        return new NetShape(dim, 0, List.of(), List.of(), false);
    }

    public static NetShape mlp(int dim, List<Integer> layers) {
        return new NetShape(0, dim, layers, List.of(), false);
    }

    public static NetShape nmf(int gmfDim, int mlpDim, List<Integer> layers) {
        return new NetShape(gmfDim, mlpDim, layers, List.of(), false);
    }

    /** The same network with a market head of these hidden widths. */
    public NetShape withHead(List<Integer> widths) {
        return new NetShape(gmfDim, mlpDim, mlpLayers, widths, itemBias, markets);
    }

    public NetShape withItemBias(boolean on) {
        return new NetShape(gmfDim, mlpDim, mlpLayers, headWidths, on, markets);
    }

    /** The same network with a vector per market and branch ({@code 0}: not market-aware). */
    public NetShape withMarkets(int n) {
        return new NetShape(gmfDim, mlpDim, mlpLayers, headWidths, itemBias, n);
    }

    public boolean marketAware() {
        return markets > 0;
    }

    public boolean hasGmf() {
        return gmfDim > 0;
    }

    public boolean hasMlp() {
        return mlpDim > 0;
    }

    public boolean hasHead() {
        return !headWidths.isEmpty();
    }

    /** Number of dense MLP layers (the concatenated vectors are not a layer). */
    public int mlpDepth() {
        return hasMlp() ? mlpLayers.size() - 1 : 0;
    }

    /** Number of dense head layers: the hidden ones and the one back to the fused width. */
    public int headDepth() {
        return hasHead() ? headWidths.size() + 1 : 0;
    }

    /** Width of the fused vector: the MLP's output, then the GMF product. */
    public int fusedWidth() {
        return (hasMlp() ? mlpLayers.get(mlpLayers.size() - 1) : 0) + gmfDim;
    }

    /** Input and output width of the i-th (1-based) head layer. */
    public int[] headLayerWidths(int i) {
        List<Integer> w = new ArrayList<>();
        w.add(fusedWidth());
        w.addAll(headWidths);
        w.add(fusedWidth());
        return new int[] {w.get(i - 1), w.get(i)};
    }

    public static String mlpWeight(int i) {
        return "mlp_" + i + "_W";
    }

    public static String mlpBias(int i) {
        return "mlp_" + i + "_b";
    }

    public static String headWeight(int i) {
        return "head_" + i + "_W";
    }

    public static String headBias(int i) {
        return "head_" + i + "_b";
    }

    /** Whether a tensor is a user table (rows follow the user vocabulary). */
    public static boolean isUserTable(String name) {
        return name.equals(GMF_USER) || name.equals(MLP_USER);
    }

    /** Whether a tensor is an item table or the item bias (rows follow the item vocabulary). */
    public static boolean isItemTable(String name) {
        return name.equals(GMF_ITEM) || name.equals(MLP_ITEM) || name.equals(ITEM_BIAS);
    }

    /** Whether a tensor holds the market vectors of a market-aware network (rows follow the trained markets). */
    public static boolean isMarketTable(String name) {
        return name.equals(GMF_MARKET) || name.equals(MLP_MARKET);
    }

    /** Whether a tensor is a bias (no L2 on it, as in DL4J). */
    public static boolean isBias(String name) {
        return name.endsWith("_b") || name.equals(ITEM_BIAS);
    }

    /**
     * Every tensor of the network, in a fixed order, with its shape for {@code users} and {@code items}
     * rows: {@code [rows, cols]} for tables and weights ({@code [in, out]}), {@code [out]} for biases.
     */
    public Map<String, int[]> tensorShapes(int users, int items) {
        Map<String, int[]> t = new LinkedHashMap<>();
        if (hasGmf()) {
            t.put(GMF_USER, new int[] {users, gmfDim});
            t.put(GMF_ITEM, new int[] {items, gmfDim});
            if (markets > 0) {
                t.put(GMF_MARKET, new int[] {markets, gmfDim});
            }
        }
        if (hasMlp()) {
            t.put(MLP_USER, new int[] {users, mlpDim});
            t.put(MLP_ITEM, new int[] {items, mlpDim});
            if (markets > 0) {
                t.put(MLP_MARKET, new int[] {markets, mlpDim});
            }
            for (int i = 1; i < mlpLayers.size(); i++) {
                t.put(mlpWeight(i), new int[] {mlpLayers.get(i - 1), mlpLayers.get(i)});
                t.put(mlpBias(i), new int[] {mlpLayers.get(i)});
            }
        }
        for (int i = 1; i <= headDepth(); i++) {
            int[] w = headLayerWidths(i);
            t.put(headWeight(i), new int[] {w[0], w[1]});
            t.put(headBias(i), new int[] {w[1]});
        }
        t.put(OUT_W, new int[] {fusedWidth(), 1});
        t.put(OUT_B, new int[] {1});
        if (itemBias) {
            t.put(ITEM_BIAS, new int[] {items});
        }
        return t;
    }

    /** The tensor names, in order. */
    public List<String> tensorNames() {
        return new ArrayList<>(tensorShapes(0, 0).keySet());
    }

    /**
     * The shape of a network from its tensor shapes alone (a model record): branches from the
     * tables present, widths from the weights; null entries are not allowed.
     */
    public static NetShape fromTensorShapes(Map<String, int[]> shapes) {
        int gd = shapes.containsKey(GMF_USER) ? col(shapes, GMF_USER) : 0;
        int md = shapes.containsKey(MLP_USER) ? col(shapes, MLP_USER) : 0;
        List<Integer> layers = new ArrayList<>();
        if (md > 0) {
            layers.add(2 * md);
            for (int i = 1; shapes.containsKey(mlpWeight(i)); i++) {
                layers.add(col(shapes, mlpWeight(i)));
            }
        }
        List<Integer> head = new ArrayList<>();
        int n = 0;
        while (shapes.containsKey(headWeight(n + 1))) {
            n++;
        }
        for (int i = 1; i < n; i++) {
            head.add(col(shapes, headWeight(i)));
        }
        int[] market = shapes.containsKey(GMF_MARKET) ? shapes.get(GMF_MARKET) : shapes.get(MLP_MARKET);
        NetShape s = new NetShape(gd, md, layers, head, shapes.containsKey(ITEM_BIAS), market == null ? 0 : market[0]);
        if (n == 1) {
            throw new IllegalArgumentException("a head needs at least one hidden layer: only " + headWeight(1) + " found");
        }
        if (!s.tensorShapes(0, 0).keySet().equals(shapes.keySet())) {
            throw new IllegalArgumentException("tensors " + shapes.keySet() + " are not a network of the NCF family (expected "
                    + s.tensorNames() + ")");
        }
        return s;
    }

    private static int col(Map<String, int[]> shapes, String name) {
        int[] s = shapes.get(name);
        if (s.length != 2) {
            throw new IllegalArgumentException("tensor " + name + " should have 2 dimensions, has " + s.length);
        }
        return s[1];
    }

    /** The shape as an ordered map, for provenance. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("gmf_dim", gmfDim);
        m.put("mlp_dim", mlpDim);
        m.put("mlp_layers", mlpLayers);
        m.put("head_widths", headWidths);
        m.put("item_bias", itemBias);
        if (markets > 0) {
            m.put("markets", markets);
        }
        return m;
    }
}
