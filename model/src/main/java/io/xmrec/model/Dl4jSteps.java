package io.xmrec.model;

import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A network's training steps on DeepLearning4J: a computation graph of the model's
 * {@link NetShape} in float precision whose parameters are named as the shape's tensors (DL4J
 * names a parameter {@code layer_param}), started from the model's values, stepped by DL4J's Adam
 * with the model's learning rate and L2 (on weights and tables, set per layer; not on biases, the
 * item bias or market vectors, as the kernel), and copied back into the model's network by {@link #sync}. Layers whose
 * tensors the model does not train (a FOREC fork's trunk) get no updates. The logit is a dense
 * layer of width 1 plus, with an item bias, a one-wide embedding of the item; a loss layer applies
 * the sigmoid and the binary cross-entropy.
 */
final class Dl4jSteps implements Engine.Steps {

    private static final String ITEM_BIAS_LAYER = "item_bias";
    /** The loss is measured on every this many batches (a sample of the epoch's, see {@link #step}). */
    static final int LOSS_EVERY = 16;

    private final NcfModel model;
    private final ComputationGraph graph;
    private final int[] userMarket;
    private final List<String> tensors;
    private long steps;

    private Dl4jSteps(NcfModel model, ComputationGraph graph) {
        this.model = model;
        this.graph = graph;
        this.userMarket = model.net().shape().marketAware() ? model.userMarkets() : null;
        this.tensors = model.net().shape().tensorNames();
    }

    static Dl4jSteps open(NcfModel model, boolean[] trainable, int batch) {
        Net net = model.net();
        NetShape s = net.shape();
        java.util.Set<String> train = new java.util.HashSet<>();
        for (int k = 0; k < trainable.length; k++) {
            if (trainable[k]) {
                train.add(net.name(k));
            }
        }
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(model.options().seed()).dataType(DataType.FLOAT)
                .updater(new Adam(model.learningRate(), 0.9, 0.999, 1e-8))
                .graphBuilder();
        double l2 = model.l2();
        List<String> inputs = new ArrayList<>(List.of("user", "item"));
        if (s.marketAware()) {
            inputs.add("market");
        }
        g.addInputs(inputs.toArray(new String[0]));
        String mlpTop = null;
        if (s.hasGmf()) {
            g.addLayer("gmf_user", layer(embedding(net.users(), s.gmfDim()), train, l2, NetShape.GMF_USER), "user");
            g.addLayer("gmf_item", layer(embedding(net.items(), s.gmfDim()), train, l2, NetShape.GMF_ITEM), "item");
            if (s.marketAware()) {
                g.addLayer("gmf_market", layer(embedding(s.markets(), s.gmfDim()), train, 0, NetShape.GMF_MARKET),
                        "market");
                g.addVertex("gmf", new ElementWiseVertex(ElementWiseVertex.Op.Product), "gmf_user", "gmf_item",
                        "gmf_market");
            } else {
                g.addVertex("gmf", new ElementWiseVertex(ElementWiseVertex.Op.Product), "gmf_user", "gmf_item");
            }
        }
        if (s.hasMlp()) {
            g.addLayer("mlp_user", layer(embedding(net.users(), s.mlpDim()), train, l2, NetShape.MLP_USER), "user");
            g.addLayer("mlp_item", layer(embedding(net.items(), s.mlpDim()), train, l2, NetShape.MLP_ITEM), "item");
            String item = "mlp_item";
            if (s.marketAware()) {
                g.addLayer("mlp_market", layer(embedding(s.markets(), s.mlpDim()), train, 0, NetShape.MLP_MARKET),
                        "market");
                g.addVertex("mlp_item_market", new ElementWiseVertex(ElementWiseVertex.Op.Product), "mlp_item",
                        "mlp_market");
                item = "mlp_item_market";
            }
            g.addVertex("mlp_concat", new MergeVertex(), "mlp_user", item);
            String prev = "mlp_concat";
            List<Integer> l = s.mlpLayers();
            for (int i = 1; i < l.size(); i++) {
                g.addLayer("mlp_" + i, layer(new DenseLayer.Builder().nIn(l.get(i - 1)).nOut(l.get(i))
                        .activation(Activation.RELU), train, l2, NetShape.mlpWeight(i), NetShape.mlpBias(i)), prev);
                prev = "mlp_" + i;
            }
            mlpTop = prev;
        }
        String last;
        if (s.hasGmf() && s.hasMlp()) {
            g.addVertex("fuse", new MergeVertex(), mlpTop, "gmf");
            last = "fuse";
        } else {
            last = s.hasGmf() ? "gmf" : mlpTop;
        }
        for (int i = 1; i <= s.headDepth(); i++) {
            int[] w = s.headLayerWidths(i);
            g.addLayer("head_" + i, layer(new DenseLayer.Builder().nIn(w[0]).nOut(w[1]).activation(Activation.RELU), train,
                    l2, NetShape.headWeight(i), NetShape.headBias(i)), last);
            last = "head_" + i;
        }
        g.addLayer("out", layer(new DenseLayer.Builder().nIn(s.fusedWidth()).nOut(1).activation(Activation.IDENTITY), train,
                l2, NetShape.OUT_W, NetShape.OUT_B), last);
        last = "out";
        if (s.itemBias()) {
            g.addLayer(ITEM_BIAS_LAYER, layer(embedding(net.items(), 1), train, 0, NetShape.ITEM_BIAS), "item");
            g.addVertex("logit", new ElementWiseVertex(ElementWiseVertex.Op.Add), "out", ITEM_BIAS_LAYER);
            last = "logit";
        }
        g.addLayer("loss", new LossLayer.Builder(LossFunctions.LossFunction.XENT).activation(Activation.SIGMOID).build(),
                last);
        g.setOutputs("loss");
        ComputationGraph graph = new ComputationGraph(g.build());
        graph.init();
        for (Map.Entry<String, float[]> e : net.asMap().entrySet()) {
            INDArray p = graph.getParam(paramName(e.getKey()));
            if (p == null || p.length() != e.getValue().length) {
                throw new IllegalStateException("the DL4J graph has no parameter " + paramName(e.getKey()) + " of "
                        + e.getValue().length + " values");
            }
            p.assign(Nd4j.create(e.getValue(), p.shape(), 'c'));
        }
        return new Dl4jSteps(model, graph);
    }

    /** DL4J's name of a tensor (layer, then parameter). */
    private static String paramName(String tensor) {
        return tensor.equals(NetShape.ITEM_BIAS) ? ITEM_BIAS_LAYER + "_W" : tensor;
    }

    private static EmbeddingLayer.Builder embedding(int rows, int dim) {
        return new EmbeddingLayer.Builder().nIn(rows).nOut(dim).hasBias(false).activation(Activation.IDENTITY);
    }

    /**
     * A layer that trains only if the model trains its tensors; one whose tensors it does not train
     * gets no update at all (no updater, no L2).
     */
    private static org.deeplearning4j.nn.conf.layers.Layer layer(BaseLayer.Builder<?> b, java.util.Set<String> train,
                                                                 double l2, String... names) {
        boolean any = false;
        boolean all = true;
        for (String n : names) {
            any |= train.contains(n);
            all &= train.contains(n);
        }
        if (any != all) {
            throw new IllegalArgumentException("DL4J trains a layer's tensors together: " + List.of(names)
                    + " are trainable only in part");
        }
        if (!any) {
            // gradients flow through to the layers below, its own parameters stay (a NoOp updater would not keep them)
            return new org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop(b.build());
        }
        if (l2 > 0) {
            b.l2(l2); // the weights' only: DL4J leaves biases alone unless told, as the kernel's Adam does
        }
        return b.build();
    }

    @Override
    public double step(int[] users, int[] items, float[] labels, int from, int count) {
        float[] u = new float[count];
        float[] i = new float[count];
        float[] y = new float[count];
        float[] m = userMarket == null ? null : new float[count];
        for (int k = 0; k < count; k++) {
            u[k] = users[from + k];
            i[k] = items[from + k];
            y[k] = labels[from + k];
            if (m != null) {
                m[k] = userMarket[users[from + k]];
            }
        }
        long[] col = {count, 1};
        INDArray[] in = m == null
                ? new INDArray[] {Nd4j.create(u, col, 'c'), Nd4j.create(i, col, 'c')}
                : new INDArray[] {Nd4j.create(u, col, 'c'), Nd4j.create(i, col, 'c'), Nd4j.create(m, col, 'c')};
        var batch = new org.nd4j.linalg.dataset.MultiDataSet(in, new INDArray[] {Nd4j.create(y, col, 'c')});
        // the loss of the batch before the step, as the kernel reports it (DL4J's own score of a fit is not the mean
        // binary cross-entropy): a forward pass more, so only on every LOSS_EVERY-th batch
        double loss = steps++ % LOSS_EVERY == 0 ? graph.score(batch, false) - graph.calcRegularizationScore(true) : Double.NaN;
        graph.fit(batch);
        return loss;
    }

    @Override
    public void sync() {
        Net net = model.net();
        for (String t : tensors) {
            float[] values = graph.getParam(paramName(t)).dup('c').data().asFloat();
            System.arraycopy(values, 0, net.get(t), 0, values.length);
        }
    }

    @Override
    public void close() {
        graph.clear();
    }
}
