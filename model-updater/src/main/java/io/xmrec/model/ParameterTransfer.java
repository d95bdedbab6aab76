package io.xmrec.model;

import org.deeplearning4j.nn.api.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Copies trained parameters between NCF graphs by layer name (pre-trained initialisations). */
public final class ParameterTransfer {

    private ParameterTransfer() {
    }

    /** MLP embeddings start from a trained GMF's (as in the reference implementation). */
    public static void mlpEmbeddingsFromGmf(NcfModel mlp, NcfModel gmf) {
        if (mlp.options().mlpDim() != gmf.options().gmfDim()) {
            return; // different widths: nothing sensible to copy, keep the random initialisation
        }
        copy(gmf, NcfNetworks.GMF_USER, mlp, NcfNetworks.MLP_USER, "W");
        copy(gmf, NcfNetworks.GMF_ITEM, mlp, NcfNetworks.MLP_ITEM, "W");
    }

    /** NMF from trained GMF and MLP: both branches copied, output weights averaged 0.5/0.5. */
    public static void nmfFromGmfAndMlp(NcfModel nmf, NcfModel gmf, NcfModel mlp) {
        copy(gmf, NcfNetworks.GMF_USER, nmf, NcfNetworks.GMF_USER, "W");
        copy(gmf, NcfNetworks.GMF_ITEM, nmf, NcfNetworks.GMF_ITEM, "W");
        copy(mlp, NcfNetworks.MLP_USER, nmf, NcfNetworks.MLP_USER, "W");
        copy(mlp, NcfNetworks.MLP_ITEM, nmf, NcfNetworks.MLP_ITEM, "W");
        for (int i = 1; i < nmf.options().mlpLayers().size(); i++) {
            copy(mlp, NcfNetworks.mlpLayer(i), nmf, NcfNetworks.mlpLayer(i), "W");
            copy(mlp, NcfNetworks.mlpLayer(i), nmf, NcfNetworks.mlpLayer(i), "b");
        }
        INDArray wMlp = layer(mlp, NcfNetworks.OUT).getParam("W");
        INDArray wGmf = layer(gmf, NcfNetworks.OUT).getParam("W");
        INDArray w = Nd4j.vstack(wMlp, wGmf).muli(0.5);
        INDArray b = layer(mlp, NcfNetworks.OUT).getParam("b").add(layer(gmf, NcfNetworks.OUT).getParam("b")).muli(0.5);
        layer(nmf, NcfNetworks.OUT).setParam("W", w);
        layer(nmf, NcfNetworks.OUT).setParam("b", b);
    }

    /**
     * Warm start: copies into {@code to} the embedding rows of every user and item {@code from}
     * also has (matched by id; the others keep their initialisation), and with {@code dense} the
     * MLP layers and the output where their shapes agree. Returns how many user and item rows came over.
     */
    public static int[] warmStart(NcfModel to, NcfModel from, boolean dense) {
        int users = 0;
        int items = 0;
        for (String table : new String[] {NcfNetworks.GMF_USER, NcfNetworks.MLP_USER, NcfNetworks.GMF_ITEM,
                NcfNetworks.MLP_ITEM}) {
            Layer src = from.graph().getLayer(table);
            Layer dst = to.graph().getLayer(table);
            if (src == null || dst == null) {
                continue;
            }
            boolean user = table.endsWith("user");
            var fromIds = user ? from.users() : from.items();
            var toIds = user ? to.users() : to.items();
            INDArray s = src.getParam("W");
            INDArray d = dst.getParam("W");
            if (s.columns() != d.columns()) {
                continue;
            }
            int n = 0;
            for (int r = 0; r < toIds.size(); r++) {
                int f = fromIds.indexOf(toIds.id(r));
                if (f >= 0) {
                    d.putRow(r, s.getRow(f));
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
            for (int i = 1; i < to.options().mlpLayers().size(); i++) {
                copyIfSameShape(from, to, NcfNetworks.mlpLayer(i));
            }
            copyIfSameShape(from, to, NcfNetworks.OUT);
        }
        return new int[] {users, items};
    }

    /** Copies every parameter of a layer present in both models with equal shapes (e.g. a market head). */
    public static boolean copyIfSameShape(NcfModel from, NcfModel to, String layer) {
        Layer s = from.graph().getLayer(layer);
        Layer d = to.graph().getLayer(layer);
        if (s == null || d == null || !s.paramTable().keySet().equals(d.paramTable().keySet())) {
            return false;
        }
        for (String p : s.paramTable().keySet()) {
            if (!java.util.Arrays.equals(s.getParam(p).shape(), d.getParam(p).shape())) {
                return false;
            }
        }
        for (String p : s.paramTable().keySet()) {
            d.getParam(p).assign(s.getParam(p));
        }
        return true;
    }

    static void copy(NcfModel from, String fromLayer, NcfModel to, String toLayer, String param) {
        INDArray src = layer(from, fromLayer).getParam(param);
        INDArray dst = layer(to, toLayer).getParam(param);
        if (!java.util.Arrays.equals(src.shape(), dst.shape())) {
            throw new IllegalArgumentException("cannot copy " + fromLayer + "." + param + " " + src.shapeInfoToString()
                    + " into " + toLayer + "." + param + " " + dst.shapeInfoToString()
                    + ": the models were built on different vocabularies or widths");
        }
        dst.assign(src);
    }

    static Layer layer(NcfModel m, String name) {
        Layer l = m.graph().getLayer(name);
        if (l == null) {
            throw new IllegalArgumentException(m.architecture().label() + " has no layer " + name);
        }
        return l;
    }
}
