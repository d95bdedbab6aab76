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
