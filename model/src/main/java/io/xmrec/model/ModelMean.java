package io.xmrec.model;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Two NMF networks as one whose logit is the mean of theirs, exactly: the tables side by side, the
 * MLP layers block-diagonal (each half sees only its own inputs; ReLU acts element by element), the
 * output layer each half's weights halved, the biases averaged. So an ensemble of two models is
 * again a network of the NCF family: the record codec, deltas, the fast path's row fits and serving
 * take it as they take any NMF, at the cost of its width (the sum of both).
 *
 * <p>Rows follow the vocabularies given (a data set's); a user or item one member lacks has zeros
 * there, as any id a model never saw. Both members must be NMF without a market head or market
 * vectors (a head's ReLU would cut the other half's negative GMF products) and have MLPs of the same
 * depth.
 */
public final class ModelMean {

    private ModelMean() {
    }

    /** The network scoring {@code sigmoid((logit_a + logit_b) / 2)} on these vocabularies. */
    public static NcfModel of(NcfModel a, NcfModel b, IdVocabulary users, IdVocabulary items) {
        NetShape sa = a.net().shape();
        NetShape sb = b.net().shape();
        for (NetShape s : List.of(sa, sb)) {
            if (!s.hasGmf() || !s.hasMlp() || s.hasHead() || s.marketAware()) {
                throw new IllegalArgumentException("a mean of networks needs NMF without a head or market vectors, got " + s);
            }
        }
        if (sa.mlpDepth() != sb.mlpDepth()) {
            throw new IllegalArgumentException("a mean of networks needs MLPs of the same depth: " + sa.mlpLayers() + " and "
                    + sb.mlpLayers());
        }
        List<Integer> layers = new ArrayList<>();
        for (int i = 0; i < sa.mlpLayers().size(); i++) {
            layers.add(sa.mlpLayers().get(i) + sb.mlpLayers().get(i));
        }
        boolean bias = sa.itemBias() || sb.itemBias();
        NetShape shape = new NetShape(sa.gmfDim() + sb.gmfDim(), sa.mlpDim() + sb.mlpDim(), layers, List.of(), bias);
        int[] ua = rows(users, a.users());
        int[] ub = rows(users, b.users());
        int[] ia = rows(items, a.items());
        int[] ib = rows(items, b.items());
        Map<String, float[]> t = new LinkedHashMap<>();
        t.put(NetShape.GMF_USER, sideBySide(a.net(), b.net(), NetShape.GMF_USER, ua, ub));
        t.put(NetShape.GMF_ITEM, sideBySide(a.net(), b.net(), NetShape.GMF_ITEM, ia, ib));
        t.put(NetShape.MLP_USER, sideBySide(a.net(), b.net(), NetShape.MLP_USER, ua, ub));
        t.put(NetShape.MLP_ITEM, sideBySide(a.net(), b.net(), NetShape.MLP_ITEM, ia, ib));
        for (int l = 1; l <= sa.mlpDepth(); l++) {
            int outA = sa.mlpLayers().get(l);
            int outB = sb.mlpLayers().get(l);
            int out = outA + outB;
            int in = layers.get(l - 1);
            float[] w = new float[in * out];
            float[] wa = a.net().get(NetShape.mlpWeight(l));
            float[] wb = b.net().get(NetShape.mlpWeight(l));
            int inA = sa.mlpLayers().get(l - 1);
            int inB = sb.mlpLayers().get(l - 1);
            for (int q = 0; q < inA; q++) {
                int to = l == 1 ? concatIndex(q, sa.mlpDim(), 0, sa.mlpDim() + sb.mlpDim()) : q;
                System.arraycopy(wa, q * outA, w, to * out, outA);
            }
            for (int q = 0; q < inB; q++) {
                int to = l == 1 ? concatIndex(q, sb.mlpDim(), sa.mlpDim(), sa.mlpDim() + sb.mlpDim()) : inA + q;
                System.arraycopy(wb, q * outB, w, to * out + outA, outB);
            }
            t.put(NetShape.mlpWeight(l), w);
            t.put(NetShape.mlpBias(l), concat(a.net().get(NetShape.mlpBias(l)), b.net().get(NetShape.mlpBias(l))));
        }
        // the fused vector is the MLP's output, then the GMF product: [mlp a, mlp b, gmf a, gmf b]
        int ha = sa.mlpLayers().get(sa.mlpLayers().size() - 1);
        int hb = sb.mlpLayers().get(sb.mlpLayers().size() - 1);
        float[] ow = new float[shape.fusedWidth()];
        float[] oa = a.net().get(NetShape.OUT_W);
        float[] ob = b.net().get(NetShape.OUT_W);
        for (int q = 0; q < oa.length; q++) {
            ow[q < ha ? q : ha + hb + (q - ha)] = oa[q] / 2;
        }
        for (int q = 0; q < ob.length; q++) {
            ow[q < hb ? ha + q : ha + hb + sa.gmfDim() + (q - hb)] = ob[q] / 2;
        }
        t.put(NetShape.OUT_W, ow);
        t.put(NetShape.OUT_B, new float[] {(a.net().get(NetShape.OUT_B)[0] + b.net().get(NetShape.OUT_B)[0]) / 2});
        if (bias) {
            float[] v = new float[items.size()];
            for (int r = 0; r < v.length; r++) {
                v[r] = (itemBias(a.net(), ia[r]) + itemBias(b.net(), ib[r])) / 2;
            }
            t.put(NetShape.ITEM_BIAS, v);
        }
        Net net = Net.of(shape, users.size(), items.size(), t);
        NcfOptions o = a.options().toBuilder().gmfDim(shape.gmfDim()).mlpDim(shape.mlpDim()).mlpLayers(layers)
                .itemBias(bias).build();
        Set<String> markets = new LinkedHashSet<>(a.markets());
        markets.addAll(b.markets());
        return new NcfModel(NcfArchitecture.NMF, net, users, items, o, List.copyOf(markets),
                new NcfModel.Training(Set.copyOf(shape.tensorNames()), a.learningRate(), a.l2()));
    }

    /** Where input {@code q} of a member's first MLP layer (its user half, then its item half) lands in the joined input. */
    private static int concatIndex(int q, int memberDim, int offset, int joinedDim) {
        return q < memberDim ? offset + q : joinedDim + offset + (q - memberDim);
    }

    /** For each row of {@code to}, the row of the same id in {@code from}, or -1. */
    private static int[] rows(IdVocabulary to, IdVocabulary from) {
        int[] out = new int[to.size()];
        for (int r = 0; r < out.length; r++) {
            out[r] = from.indexOf(to.id(r));
        }
        return out;
    }

    /** A table whose rows are a's row then b's row of the same id (zeros where a member lacks it). */
    private static float[] sideBySide(Net a, Net b, String table, int[] ra, int[] rb) {
        int da = a.tensorShape(a.index(table))[1];
        int db = b.tensorShape(b.index(table))[1];
        float[] va = a.get(table);
        float[] vb = b.get(table);
        float[] out = new float[ra.length * (da + db)];
        for (int r = 0; r < ra.length; r++) {
            if (ra[r] >= 0) {
                System.arraycopy(va, ra[r] * da, out, r * (da + db), da);
            }
            if (rb[r] >= 0) {
                System.arraycopy(vb, rb[r] * db, out, r * (da + db) + da, db);
            }
        }
        return out;
    }

    private static float itemBias(Net n, int row) {
        return row < 0 || !n.shape().itemBias() ? 0 : n.get(NetShape.ITEM_BIAS)[row];
    }

    private static float[] concat(float[] x, float[] y) {
        float[] out = java.util.Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }
}
