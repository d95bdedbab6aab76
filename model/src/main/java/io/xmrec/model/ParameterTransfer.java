package io.xmrec.model;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;

import java.util.List;

/** Copies trained parameters between NCF networks by tensor name (pre-trained initialisations). */
public final class ParameterTransfer {

    private ParameterTransfer() {
    }

    /** MLP embeddings start from a trained GMF's (as in the reference implementation). */
    public static void mlpEmbeddingsFromGmf(NcfModel mlp, NcfModel gmf) {
        if (mlp.options().mlpDim() != gmf.options().gmfDim()) {
            return; // different widths: nothing sensible to copy, keep the random initialisation
        }
        copy(gmf, NetShape.GMF_USER, mlp, NetShape.MLP_USER);
        copy(gmf, NetShape.GMF_ITEM, mlp, NetShape.MLP_ITEM);
        copyIfBoth(gmf, NetShape.GMF_MARKET, mlp, NetShape.MLP_MARKET);
    }

    /** Copies a tensor when both networks have it (market vectors of market-aware stages). */
    private static void copyIfBoth(NcfModel from, String fromTensor, NcfModel to, String toTensor) {
        if (from.net().get(fromTensor) != null && to.net().get(toTensor) != null) {
            copy(from, fromTensor, to, toTensor);
        }
    }

    /** NMF from trained GMF and MLP: both branches copied, output weights averaged 0.5/0.5. */
    public static void nmfFromGmfAndMlp(NcfModel nmf, NcfModel gmf, NcfModel mlp) {
        copy(gmf, NetShape.GMF_USER, nmf, NetShape.GMF_USER);
        copy(gmf, NetShape.GMF_ITEM, nmf, NetShape.GMF_ITEM);
        copy(mlp, NetShape.MLP_USER, nmf, NetShape.MLP_USER);
        copy(mlp, NetShape.MLP_ITEM, nmf, NetShape.MLP_ITEM);
        copyIfBoth(gmf, NetShape.GMF_MARKET, nmf, NetShape.GMF_MARKET);
        copyIfBoth(mlp, NetShape.MLP_MARKET, nmf, NetShape.MLP_MARKET);
        for (int i = 1; i < nmf.options().mlpLayers().size(); i++) {
            copy(mlp, NetShape.mlpWeight(i), nmf, NetShape.mlpWeight(i));
            copy(mlp, NetShape.mlpBias(i), nmf, NetShape.mlpBias(i));
        }
        float[] wMlp = tensor(mlp, NetShape.OUT_W);
        float[] wGmf = tensor(gmf, NetShape.OUT_W);
        float[] w = tensor(nmf, NetShape.OUT_W);
        if (w.length != wMlp.length + wGmf.length) {
            throw new IllegalArgumentException("NMF output of width " + w.length + " cannot take MLP's " + wMlp.length
                    + " and GMF's " + wGmf.length);
        }
        for (int k = 0; k < wMlp.length; k++) {
            w[k] = 0.5f * wMlp[k];
        }
        for (int k = 0; k < wGmf.length; k++) {
            w[wMlp.length + k] = 0.5f * wGmf[k];
        }
        tensor(nmf, NetShape.OUT_B)[0] = 0.5f * (tensor(mlp, NetShape.OUT_B)[0] + tensor(gmf, NetShape.OUT_B)[0]);
        if (nmf.net().shape().itemBias() && gmf.net().shape().itemBias() && mlp.net().shape().itemBias()) {
            float[] b = tensor(nmf, NetShape.ITEM_BIAS);
            float[] bm = tensor(mlp, NetShape.ITEM_BIAS);
            float[] bg = tensor(gmf, NetShape.ITEM_BIAS);
            for (int k = 0; k < b.length; k++) {
                b[k] = 0.5f * (bm[k] + bg[k]);
            }
        }
    }

    /**
     * Warm start: copies into {@code to} the table rows of every user and item {@code from} also has
     * (matched by id; the others keep their initialisation), and with {@code dense} every dense tensor
     * whose size agrees. Returns how many user and item rows came over.
     */
    public static int[] warmStart(NcfModel to, NcfModel from, boolean dense) {
        int users = 0;
        int items = 0;
        for (String table : List.of(NetShape.GMF_USER, NetShape.MLP_USER, NetShape.GMF_ITEM, NetShape.MLP_ITEM,
                NetShape.ITEM_BIAS)) {
            float[] src = from.net().get(table);
            float[] dst = to.net().get(table);
            if (src == null || dst == null) {
                continue;
            }
            boolean user = NetShape.isUserTable(table);
            IdVocabulary fromIds = user ? from.users() : from.items();
            IdVocabulary toIds = user ? to.users() : to.items();
            int cols = src.length / Math.max(1, fromIds.size());
            if (toIds.size() * cols != dst.length) {
                continue;
            }
            int n = 0;
            for (int r = 0; r < toIds.size(); r++) {
                int f = fromIds.indexOf(toIds.id(r));
                if (f >= 0) {
                    System.arraycopy(src, f * cols, dst, r * cols, cols);
                    n++;
                }
            }
            if (user) {
                users = Math.max(users, n);
            } else {
                items = Math.max(items, n);
            }
        }
        if (dense) {
            to.net().copyDenseFrom(from.net());
        }
        return new int[] {users, items};
    }

    /** Copies a tensor present in both models with equal size (e.g. a layer of a market head); false if it cannot. */
    public static boolean copyIfSameShape(NcfModel from, NcfModel to, String tensor) {
        float[] s = from.net().get(tensor);
        float[] d = to.net().get(tensor);
        if (s == null || d == null || s.length != d.length) {
            return false;
        }
        System.arraycopy(s, 0, d, 0, s.length);
        return true;
    }

    static void copy(NcfModel from, String fromTensor, NcfModel to, String toTensor) {
        float[] src = tensor(from, fromTensor);
        float[] dst = tensor(to, toTensor);
        if (src.length != dst.length) {
            throw new IllegalArgumentException("cannot copy " + fromTensor + " (" + src.length + " values) into "
                    + toTensor + " (" + dst.length + "): the models were built on different vocabularies or widths");
        }
        System.arraycopy(src, 0, dst, 0, src.length);
    }

    static float[] tensor(NcfModel m, String name) {
        float[] t = m.net().get(name);
        if (t == null) {
            throw new IllegalArgumentException(m.architecture().label() + " has no tensor " + name);
        }
        return t;
    }
}
