package io.xmrec.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The fast embedding must compute exactly what DL4J's own EmbeddingLayer computes. */
class IndexEmbeddingTest {

    private static ComputationGraph graph(boolean fast) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(5).dataType(DataType.DOUBLE).updater(new Sgd(0.1)).graphBuilder().addInputs("in");
        if (fast) {
            g.addLayer("emb", IndexEmbedding.of(30, 4, 0.5), "in");
        } else {
            g.addLayer("emb", new EmbeddingLayer.Builder().nIn(30).nOut(4).hasBias(false)
                    .activation(Activation.IDENTITY).weightInit(new NormalDistribution(0, 0.5)).build(), "in");
        }
        g.addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.XENT).nIn(4).nOut(1)
                .activation(Activation.SIGMOID).build(), "emb");
        g.setOutputs("out");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }

    @Test
    void forwardAndGradientsMatchDl4jsEmbeddingLayerIncludingRepeatedRows() {
        ComputationGraph fast = graph(true);
        ComputationGraph reference = graph(false);
        reference.setParams(fast.params().dup());
        INDArray idx = Nd4j.create(new double[] {3, 7, 3, 29, 0, 7, 7}, new long[] {7, 1}, DataType.DOUBLE);
        INDArray y = Nd4j.create(new double[] {1, 0, 1, 0, 1, 1, 0}, new long[] {7, 1}, DataType.DOUBLE);
        assertArrayEquals(reference.outputSingle(idx).toDoubleVector(), fast.outputSingle(idx).toDoubleVector(), 1e-12);
        for (ComputationGraph g : new ComputationGraph[] {fast, reference}) {
            g.setInputs(idx);
            g.setLabels(y);
            g.computeGradientAndScore();
        }
        assertEquals(reference.score(), fast.score(), 1e-12);
        assertArrayEquals(reference.gradient().gradient().toDoubleVector(), fast.gradient().gradient().toDoubleVector(), 1e-12);
    }

    @Test
    void outOfRangeOrFractionalIndexIsAClearError() {
        ComputationGraph fast = graph(true);
        Exception e = assertThrows(Exception.class,
                () -> fast.outputSingle(Nd4j.create(new double[] {30}, new long[] {1, 1}, DataType.DOUBLE)));
        assertEquals(true, e.getMessage().contains("not a whole number in [0, 30)"), e.getMessage());
        assertThrows(Exception.class, () -> fast.outputSingle(Nd4j.create(new double[] {1.5}, new long[] {1, 1}, DataType.DOUBLE)));
    }
}
