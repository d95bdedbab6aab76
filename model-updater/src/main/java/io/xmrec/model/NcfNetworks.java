package io.xmrec.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;

/**
 * Builds the DL4J computation graphs of GMF, MLP and NMF. Inputs are "user" and "item", each a
 * column of vocabulary indices; the output "out" is the sigmoid probability of an interaction.
 * Layer names are stable: saved models, parameter transfer and later forks rely on them.
 */
public final class NcfNetworks {

    public static final String USER = "user";
    public static final String ITEM = "item";
    public static final String GMF_USER = "gmf_user";
    public static final String GMF_ITEM = "gmf_item";
    public static final String GMF_PRODUCT = "gmf";
    public static final String MLP_USER = "mlp_user";
    public static final String MLP_ITEM = "mlp_item";
    public static final String MLP_CONCAT = "mlp_concat";
    public static final String FUSE = "fuse";
    public static final String OUT = "out";

    private NcfNetworks() {
    }

    /** Name of the i-th MLP layer, 1-based. */
    public static String mlpLayer(int i) {
        return "mlp_" + i;
    }

    public static ComputationGraph build(NcfArchitecture arch, int users, int items, NcfOptions o) {
        return build(arch, users, items, o, DataType.FLOAT);
    }

    /** As {@link #build(NcfArchitecture, int, int, NcfOptions)} in a chosen precision (DOUBLE for gradient checks). */
    public static ComputationGraph build(NcfArchitecture arch, int users, int items, NcfOptions o, DataType type) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(o.seed())
                .dataType(type)
                .updater(new Adam(o.learningRateFor(arch)))
                .l2(o.l2())
                .weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs(USER, ITEM);
        String last;
        int lastWidth;
        switch (arch) {
            case GMF -> {
                addGmf(g, users, items, o);
                last = GMF_PRODUCT;
                lastWidth = o.gmfDim();
            }
            case MLP -> {
                last = addMlp(g, users, items, o);
                lastWidth = lastMlpWidth(o);
            }
            case NMF -> {
                addGmf(g, users, items, o);
                String mlp = addMlp(g, users, items, o);
                // MLP part first, then GMF: the NMF output weights are [w_mlp ; w_gmf].
                g.addVertex(FUSE, new MergeVertex(), mlp, GMF_PRODUCT);
                last = FUSE;
                lastWidth = lastMlpWidth(o) + o.gmfDim();
            }
            default -> throw new IllegalArgumentException(arch + " is not built from scratch: fork it with ForecFork");
        }
        g.addLayer(OUT, new OutputLayer.Builder(LossFunctions.LossFunction.XENT)
                .nIn(lastWidth).nOut(1).activation(Activation.SIGMOID).build(), last);
        g.setOutputs(OUT);
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }

    static int lastMlpWidth(NcfOptions o) {
        List<Integer> l = o.mlpLayers();
        return l.get(l.size() - 1);
    }

    private static void addGmf(ComputationGraphConfiguration.GraphBuilder g, int users, int items, NcfOptions o) {
        g.addLayer(GMF_USER, embedding(users, o.gmfDim(), o), USER);
        g.addLayer(GMF_ITEM, embedding(items, o.gmfDim(), o), ITEM);
        g.addVertex(GMF_PRODUCT, new ElementWiseVertex(ElementWiseVertex.Op.Product), GMF_USER, GMF_ITEM);
    }

    private static String addMlp(ComputationGraphConfiguration.GraphBuilder g, int users, int items, NcfOptions o) {
        g.addLayer(MLP_USER, embedding(users, o.mlpDim(), o), USER);
        g.addLayer(MLP_ITEM, embedding(items, o.mlpDim(), o), ITEM);
        g.addVertex(MLP_CONCAT, new MergeVertex(), MLP_USER, MLP_ITEM);
        String prev = MLP_CONCAT;
        List<Integer> l = o.mlpLayers();
        for (int i = 1; i < l.size(); i++) {
            String name = mlpLayer(i);
            g.addLayer(name, new DenseLayer.Builder().nIn(l.get(i - 1)).nOut(l.get(i))
                    .activation(Activation.RELU).build(), prev);
            prev = name;
        }
        return prev;
    }

    private static IndexEmbedding embedding(int n, int dim, NcfOptions o) {
        return IndexEmbedding.of(n, dim, o.embeddingStd());
    }
}
