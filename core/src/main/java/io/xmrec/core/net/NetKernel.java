package io.xmrec.core.net;

/**
 * Forward and backward passes of a {@link NetShape} network over a batch of (user, item) pairs,
 * in plain Java. One instance is one thread's workspace (not thread-safe); it is sized for batches
 * of up to {@code capacity} pairs and is reused for every batch.
 *
 * <p>Activations are kept column-major, one {@code float[capacity]} per unit, so every inner loop
 * runs over the batch with unit stride on arrays at offset 0, which the JIT vectorises. The loss is
 * the mean binary cross-entropy of the batch (the logit's gradient is {@code (p - y) / n}); the
 * gradient of every trainable tensor is added to a {@link Gradient}. Tensors that are not trainable
 * get no gradient, and the backward pass stops below the lowest trainable tensor.
 *
 * <p>A market-aware shape needs each user's market ({@link #userMarkets}): its item vectors are
 * multiplied by that market's vector in each branch.
 */
public final class NetKernel {

    private final NetShape s;
    private final int cap;
    private final int gd;
    private final int md;
    private final int[] mw; // MLP widths, [0] = 2 * md
    private final int fw;
    private final int[][] hw; // head layer i (0-based): {in, out}

    // the tables, and tensor indices in the net
    private final TablePair gmfTables;
    private final TablePair mlpTables;
    private final int[] iMlpW;
    private final int[] iMlpB;
    private final int[] iHeadW;
    private final int[] iHeadB;
    private final int iOutW;
    private final int iOutB;
    private final int iIb;
    /** Market row of each user row (market-aware shapes only). */
    private int[] userMarket;

    // activations: mlp[l][unit][k], l = 0 the concatenated vectors; gmf product; head[j] (0 = fused)
    private final float[][][] mlp;
    private final float[][] gmf;
    private final float[][][] head;
    private final boolean[] fusedRelu;
    private final float[] logit;
    private final float[] prob;
    // deltas, the same layout (allocated by the first backward pass: scoring needs none)
    private float[][][] dMlp;
    private float[][] dGmf;
    private float[][][] dHead;
    private float[] dz;

    /** The batch of the last forward pass. */
    private TablePair.Rows rows;

    public NetKernel(NetShape shape, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("batch capacity must be positive");
        }
        this.s = shape;
        this.cap = capacity;
        this.gd = shape.gmfDim();
        this.md = shape.mlpDim();
        this.mw = shape.mlpLayers().stream().mapToInt(Integer::intValue).toArray();
        this.fw = shape.fusedWidth();
        int hd = shape.headDepth();
        this.hw = new int[hd][];
        for (int j = 0; j < hd; j++) {
            hw[j] = shape.headLayerWidths(j + 1);
        }
        java.util.List<String> names = shape.tensorNames();
        gmfTables = new TablePair(gd, names.indexOf(NetShape.GMF_USER), names.indexOf(NetShape.GMF_ITEM),
                names.indexOf(NetShape.GMF_MARKET));
        mlpTables = new TablePair(md, names.indexOf(NetShape.MLP_USER), names.indexOf(NetShape.MLP_ITEM),
                names.indexOf(NetShape.MLP_MARKET));
        int layers = shape.mlpDepth();
        iMlpW = new int[layers + 1];
        iMlpB = new int[layers + 1];
        for (int l = 1; l <= layers; l++) {
            iMlpW[l] = names.indexOf(NetShape.mlpWeight(l));
            iMlpB[l] = names.indexOf(NetShape.mlpBias(l));
        }
        iHeadW = new int[hd + 1];
        iHeadB = new int[hd + 1];
        for (int j = 1; j <= hd; j++) {
            iHeadW[j] = names.indexOf(NetShape.headWeight(j));
            iHeadB[j] = names.indexOf(NetShape.headBias(j));
        }
        iOutW = names.indexOf(NetShape.OUT_W);
        iOutB = names.indexOf(NetShape.OUT_B);
        iIb = names.indexOf(NetShape.ITEM_BIAS);

        mlp = new float[mw.length][][];
        for (int l = 0; l < mw.length; l++) {
            mlp[l] = new float[mw[l]][capacity];
        }
        gmf = new float[gd][capacity];
        head = new float[hd + 1][][];
        fusedRelu = new boolean[fw];
        head[0] = fused(mlp, gmf);
        for (int q = 0; q < fw - gd; q++) {
            fusedRelu[q] = mw.length > 1;
        }
        for (int j = 1; j <= hd; j++) {
            head[j] = new float[hw[j - 1][1]][capacity];
        }
        logit = new float[capacity];
        prob = new float[capacity];
    }

    /** The fused vector: the MLP's output units followed by the GMF units (the same arrays, no copy). */
    private float[][] fused(float[][][] mlpUnits, float[][] gmfUnits) {
        float[][] fused = new float[fw][];
        int top = mw.length == 0 ? 0 : mw[mw.length - 1];
        for (int q = 0; q < top; q++) {
            fused[q] = mlpUnits[mw.length - 1][q];
        }
        for (int q = 0; q < gd; q++) {
            fused[top + q] = gmfUnits[q];
        }
        return fused;
    }

    private void allocateDeltas() {
        dMlp = new float[mw.length][][];
        for (int l = 0; l < mw.length; l++) {
            dMlp[l] = new float[mw[l]][cap];
        }
        dGmf = new float[gd][cap];
        dHead = new float[head.length][][];
        dHead[0] = fused(dMlp, dGmf);
        for (int j = 1; j < head.length; j++) {
            dHead[j] = new float[hw[j - 1][1]][cap];
        }
        dz = new float[cap];
    }

    /** Pairs a scoring kernel of {@link #forScoring} takes per forward pass. */
    public static final int SCORING_CAPACITY = 1024;

    private static final ThreadLocal<java.util.Map<NetShape, NetKernel>> SCORING =
            ThreadLocal.withInitial(java.util.HashMap::new);

    /** This thread's scoring kernel for a shape (a kernel is a workspace: one per thread, reused). */
    public static NetKernel forScoring(NetShape shape) {
        return SCORING.get().computeIfAbsent(shape, s -> new NetKernel(s, SCORING_CAPACITY));
    }

    public NetShape shape() {
        return s;
    }

    /**
     * The market row of every user row, which a market-aware shape needs before any pass (the array
     * is kept, not copied: it must cover every user row of the nets this kernel runs).
     */
    public NetKernel userMarkets(int[] marketOfUser) {
        for (int m : marketOfUser) {
            if (m < 0 || m >= s.markets()) {
                throw new IllegalArgumentException("market row " + m + " outside the network's " + s.markets() + " markets");
            }
        }
        this.userMarket = marketOfUser;
        return this;
    }

    public int capacity() {
        return cap;
    }

    /**
     * Scores pairs {@code (users[from + k], items[from + k])} for {@code k < count} into
     * {@code out[outFrom + k]}: the sigmoid output, any batch size (processed in chunks of the capacity).
     */
    public void score(Net net, int[] users, int[] items, int from, int count, float[] out, int outFrom) {
        for (int at = 0; at < count; at += cap) {
            int len = Math.min(cap, count - at);
            forward(net, users, items, from + at, len);
            System.arraycopy(prob, 0, out, outFrom + at, len);
        }
    }

    /** Scores of {@code items[from..from+count)} for one user (the serving path), into {@code out}. */
    public void scoreUser(Net net, int user, int[] items, int from, int count, float[] out, int outFrom) {
        int[] us = new int[Math.min(cap, count)];
        java.util.Arrays.fill(us, user);
        for (int at = 0; at < count; at += cap) {
            int len = Math.min(cap, count - at);
            int[] is = java.util.Arrays.copyOfRange(items, from + at, from + at + len);
            forward(net, us, is, 0, len);
            System.arraycopy(prob, 0, out, outFrom + at, len);
        }
    }

    /**
     * One forward and backward pass of a batch of at most {@link #capacity()} samples; adds the
     * gradient of the mean binary cross-entropy to {@code g} for the tensors it trains and returns
     * that mean loss (with DL4J's clipping of the probability to [1e-5, 1 - 1e-5]).
     */
    public double lossAndGradient(Net net, int[] users, int[] items, float[] labels, int from, int count, Gradient g) {
        if (count > cap) {
            throw new IllegalArgumentException("batch of " + count + " is larger than the kernel's capacity " + cap);
        }
        if (dz == null) {
            allocateDeltas();
        }
        forward(net, users, items, from, count);
        double loss = 0;
        float inv = 1f / count;
        for (int k = 0; k < count; k++) {
            float y = labels[from + k];
            double p = Math.min(1 - 1e-5, Math.max(1e-5, prob[k]));
            loss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
            dz[k] = (prob[k] - y) * inv;
        }
        g.reserve(count);
        g.prefetch(users, items, from, count);
        backward(net, g);
        return loss / count;
    }

    /** The mean binary cross-entropy of a batch, without gradients. */
    public double loss(Net net, int[] users, int[] items, float[] labels, int count) {
        double loss = 0;
        for (int at = 0; at < count; at += cap) {
            int len = Math.min(cap, count - at);
            forward(net, users, items, at, len);
            for (int k = 0; k < len; k++) {
                float y = labels[at + k];
                double p = Math.min(1 - 1e-5, Math.max(1e-5, prob[k]));
                loss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
            }
        }
        return loss / count;
    }

    private void forward(Net net, int[] us, int[] is, int from, int count) {
        int users = net.users();
        int itemsN = net.items();
        for (int k = 0; k < count; k++) {
            int u = us[from + k];
            int i = is[from + k];
            if (u < 0 || u >= users || i < 0 || i >= itemsN) {
                throw new IllegalArgumentException("user " + u + " or item " + i + " outside the network's " + users
                        + " users and " + itemsN + " items");
            }
        }
        if (s.marketAware() && (userMarket == null || userMarket.length < users)) {
            throw new IllegalStateException("a market-aware network needs the market of each of its " + users
                    + " users: call userMarkets first");
        }
        this.rows = new TablePair.Rows(us, is, from, count, userMarket);
        if (md > 0) {
            mlpTables.concat(net, rows, mlp[0]);
            for (int l = 1; l < mw.length; l++) {
                DenseOps.dense(mlp[l - 1], mw[l - 1], net.values(iMlpW[l]), net.values(iMlpB[l]), mlp[l], mw[l], count);
            }
        }
        if (gd > 0) {
            gmfTables.product(net, rows, gmf);
        }
        for (int j = 1; j < head.length; j++) {
            DenseOps.dense(head[j - 1], hw[j - 1][0], net.values(iHeadW[j]), net.values(iHeadB[j]), head[j], hw[j - 1][1], count);
        }
        float[][] top = head[head.length - 1];
        float[] ow = net.values(iOutW);
        java.util.Arrays.fill(logit, 0, count, net.values(iOutB)[0]);
        for (int q = 0; q < fw; q++) {
            float w = ow[q];
            float[] x = top[q];
            for (int k = 0; k < count; k++) {
                logit[k] += w * x[k];
            }
        }
        if (iIb >= 0) {
            float[] ib = net.values(iIb);
            for (int k = 0; k < count; k++) {
                logit[k] += ib[is[from + k]];
            }
        }
        for (int k = 0; k < count; k++) {
            prob[k] = (float) (1 / (1 + Math.exp(-logit[k])));
        }
    }

    private void backward(Net net, Gradient g) {
        boolean[] t = g.trainable();
        int count = rows.count();
        int hd = head.length - 1;
        // what lies below each stage decides how far deltas must travel
        boolean gmfBelow = gmfTables.trains(t);
        boolean mlpBelow = mlpTables.trains(t);
        boolean tables = gmfBelow || mlpBelow;
        boolean[] mlpLayerBelow = new boolean[mw.length + 1]; // mlpLayerBelow[l]: something at or below layer l trains
        mlpLayerBelow[0] = mlpBelow;
        for (int l = 1; l < mw.length; l++) {
            mlpLayerBelow[l] = mlpLayerBelow[l - 1] || t[iMlpW[l]] || t[iMlpB[l]];
        }
        boolean fusedBelow = gmfBelow || (mw.length > 1 && mlpLayerBelow[mw.length - 1]) || (mw.length == 1 && mlpBelow);
        boolean[] headBelow = new boolean[hd + 1]; // headBelow[j]: something at or below head layer j (0 = fused) trains
        headBelow[0] = fusedBelow;
        for (int j = 1; j <= hd; j++) {
            headBelow[j] = headBelow[j - 1] || t[iHeadW[j]] || t[iHeadB[j]];
        }
        float[][] top = head[hd];
        float[] ow = net.values(iOutW);
        if (t[iOutW]) {
            float[] gw = g.values(iOutW);
            for (int q = 0; q < fw; q++) {
                gw[q] += DenseOps.dot(top[q], dz, count);
            }
        }
        if (t[iOutB]) {
            g.values(iOutB)[0] += DenseOps.sum(dz, count);
        }
        if (iIb >= 0 && t[iIb]) {
            float[] gib = g.values(iIb);
            for (int k = 0; k < count; k++) {
                gib[g.touchItem(rows.items()[rows.from() + k])] += dz[k];
            }
        }
        if (!headBelow[hd]) {
            return;
        }
        // delta of the top (head output, or the fused vector), through its ReLU where it has one
        float[][] dTop = dHead[hd];
        for (int q = 0; q < fw; q++) {
            float w = ow[q];
            float[] d = dTop[q];
            float[] x = top[q];
            boolean relu = hd > 0 || fusedRelu[q];
            if (relu) {
                for (int k = 0; k < count; k++) {
                    d[k] = x[k] > 0 ? w * dz[k] : 0f;
                }
            } else {
                for (int k = 0; k < count; k++) {
                    d[k] = w * dz[k];
                }
            }
        }
        for (int j = hd; j >= 1; j--) {
            int in = hw[j - 1][0];
            int out = hw[j - 1][1];
            if (t[iHeadW[j]]) {
                DenseOps.denseWeightGradient(head[j - 1], in, dHead[j], out, count, g.values(iHeadW[j]));
            }
            if (t[iHeadB[j]]) {
                float[] gb = g.values(iHeadB[j]);
                for (int o = 0; o < out; o++) {
                    gb[o] += DenseOps.sum(dHead[j][o], count);
                }
            }
            if (headBelow[j - 1]) {
                boolean[] relu = j - 1 == 0 ? fusedRelu : null;
                DenseOps.denseInputGradient(dHead[j], out, net.values(iHeadW[j]), dHead[j - 1], head[j - 1], in, count, relu);
            }
        }
        if (!tables && !(mw.length > 1 && mlpLayerBelow[mw.length - 1])) {
            return;
        }
        if (gmfBelow) {
            gmfTables.productGradient(net, rows, dGmf, g);
        }
        if (md == 0) {
            return;
        }
        for (int l = mw.length - 1; l >= 1; l--) {
            if (!mlpLayerBelow[l]) {
                return;
            }
            if (t[iMlpW[l]]) {
                DenseOps.denseWeightGradient(mlp[l - 1], mw[l - 1], dMlp[l], mw[l], count, g.values(iMlpW[l]));
            }
            if (t[iMlpB[l]]) {
                float[] gb = g.values(iMlpB[l]);
                for (int o = 0; o < mw[l]; o++) {
                    gb[o] += DenseOps.sum(dMlp[l][o], count);
                }
            }
            if (mlpLayerBelow[l - 1]) {
                DenseOps.denseInputGradient(dMlp[l], mw[l], net.values(iMlpW[l]), dMlp[l - 1], mlp[l - 1], mw[l - 1], count,
                        l - 1 == 0 ? DenseOps.NO_RELU : null);
            }
        }
        if (mlpBelow) {
            mlpTables.concatGradient(net, rows, dMlp[0], g);
        }
    }
}
