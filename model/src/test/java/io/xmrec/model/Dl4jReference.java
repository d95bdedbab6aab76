package io.xmrec.model;

import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The same network as a DeepLearning4J computation graph in double precision: the independent
 * reference the hand-written kernels are checked against (GMF, MLP, NMF and FOREC shapes; DL4J has
 * no per-item bias, which the core tests check by finite differences instead). Its parameter names
 * are the tensor names of {@link NetShape}, as DL4J names a parameter {@code layer_param}.
 */
final class Dl4jReference {

    private final ComputationGraph graph;
    private final NetShape shape;

    private Dl4jReference(ComputationGraph graph, NetShape shape) {
        this.graph = graph;
        this.shape = shape;
    }

    /** A graph of the net's shape holding the net's values. */
    static Dl4jReference of(Net net) {
        NetShape s = net.shape();
        if (s.itemBias()) {
            throw new IllegalArgumentException("DL4J has no per-item bias");
        }
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).updater(new Sgd(0)).graphBuilder().addInputs("user", "item");
        String mlpTop = null;
        if (s.hasGmf()) {
            g.addLayer("gmf_user", embedding(net.users(), s.gmfDim()), "user");
            g.addLayer("gmf_item", embedding(net.items(), s.gmfDim()), "item");
            g.addVertex("gmf", new ElementWiseVertex(ElementWiseVertex.Op.Product), "gmf_user", "gmf_item");
        }
        if (s.hasMlp()) {
            g.addLayer("mlp_user", embedding(net.users(), s.mlpDim()), "user");
            g.addLayer("mlp_item", embedding(net.items(), s.mlpDim()), "item");
            g.addVertex("mlp_concat", new MergeVertex(), "mlp_user", "mlp_item");
            String prev = "mlp_concat";
            List<Integer> l = s.mlpLayers();
            for (int i = 1; i < l.size(); i++) {
                g.addLayer("mlp_" + i, new DenseLayer.Builder().nIn(l.get(i - 1)).nOut(l.get(i))
                        .activation(Activation.RELU).build(), prev);
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
            g.addLayer("head_" + i, new DenseLayer.Builder().nIn(w[0]).nOut(w[1]).activation(Activation.RELU).build(), last);
            last = "head_" + i;
        }
        g.addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.XENT).nIn(s.fusedWidth()).nOut(1)
                .activation(Activation.SIGMOID).build(), last);
        g.setOutputs("out");
        ComputationGraph graph = new ComputationGraph(g.build());
        graph.init();
        Dl4jReference r = new Dl4jReference(graph, s);
        for (Map.Entry<String, float[]> e : net.asMap().entrySet()) {
            INDArray p = graph.getParam(e.getKey());
            double[] d = new double[e.getValue().length];
            for (int k = 0; k < d.length; k++) {
                d[k] = e.getValue()[k];
            }
            p.assign(Nd4j.create(d, p.shape(), 'c'));
        }
        return r;
    }

    private static EmbeddingLayer embedding(int rows, int dim) {
        return new EmbeddingLayer.Builder().nIn(rows).nOut(dim).hasBias(false).activation(Activation.IDENTITY).build();
    }

    /** Mean BCE of the batch and, per tensor name, the gradient of that mean (DL4J's is summed: divided here). */
    Map<String, double[]> gradient(int[] users, int[] items, float[] labels, double[] lossOut) {
        int n = users.length;
        double[] u = new double[n];
        double[] i = new double[n];
        double[] y = new double[n];
        for (int k = 0; k < n; k++) {
            u[k] = users[k];
            i[k] = items[k];
            y[k] = labels[k];
        }
        graph.setInputs(Nd4j.create(u, new long[] {n, 1}, DataType.DOUBLE), Nd4j.create(i, new long[] {n, 1}, DataType.DOUBLE));
        graph.setLabels(Nd4j.create(y, new long[] {n, 1}, DataType.DOUBLE));
        graph.computeGradientAndScore();
        lossOut[0] = graph.score();
        Map<String, double[]> out = new LinkedHashMap<>();
        Map<String, INDArray> g = graph.gradient().gradientForVariable();
        for (String name : shape.tensorNames()) {
            INDArray a = g.get(name);
            out.put(name, a.dup('c').div(n).data().asDouble());
        }
        return out;
    }

    /** Scores of pairs. */
    double[] score(int[] users, int[] items) {
        int n = users.length;
        double[] u = new double[n];
        double[] i = new double[n];
        for (int k = 0; k < n; k++) {
            u[k] = users[k];
            i[k] = items[k];
        }
        return graph.output(false, Nd4j.create(u, new long[] {n, 1}, DataType.DOUBLE),
                Nd4j.create(i, new long[] {n, 1}, DataType.DOUBLE))[0].dup('c').data().asDouble();
    }
}
