package io.xmrec.model;

import io.xmrec.core.dataset.CrossMarketDataset;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NmfKernelTest {

    @BeforeAll
    static void threads() {
        NativeThreads.apply(1);
    }

    private static INDArray column(int[] v) {
        double[] d = new double[v.length];
        for (int k = 0; k < v.length; k++) {
            d[k] = v[k];
        }
        return Nd4j.create(d, new long[] {v.length, 1}, DataType.DOUBLE);
    }

    @Test
    void lossAndGradientEqualDl4jsOnTheSameNetwork() {
        CrossMarketDataset d = MamlTrainerTest.twoMarkets();
        NcfOptions o = NcfOptions.defaults().withL2(0).withEmbeddingStd(0.3);
        ComputationGraph g = NcfNetworks.build(NcfArchitecture.NMF, d.users().size(), d.items().size(), o, DataType.DOUBLE);
        NmfKernel kernel = new NmfKernel(d.users().size(), d.items().size(), o);
        assertEquals(g.numParams(), kernel.size());
        double[] theta = kernel.read(g);
        NmfKernel.Batch b = MamlTrainerTest.batch(d, 9);
        float[] y = b.labels();
        double[] yd = new double[y.length];
        for (int k = 0; k < y.length; k++) {
            yd[k] = y[k];
        }
        g.setInputs(column(b.users()), column(b.items()));
        g.setLabels(Nd4j.create(yd, new long[] {yd.length, 1}, DataType.DOUBLE));
        g.computeGradientAndScore();
        // DL4J's gradient is summed over the batch, the kernel's is of the mean loss
        ComputationGraph asGradient = NcfNetworks.build(NcfArchitecture.NMF, d.users().size(), d.items().size(), o,
                DataType.DOUBLE);
        asGradient.setParams(g.gradient().gradient().div(b.size()));
        double[] expected = kernel.read(asGradient);

        NmfKernel.SparseGradient sg = kernel.newGradient();
        double loss = kernel.lossAndGradient(theta, b, sg);
        assertEquals(g.score(), loss, 1e-9);
        double worst = 0;
        for (int k = 0; k < expected.length; k++) {
            worst = Math.max(worst, Math.abs(expected[k] - sg.values[k]));
        }
        assertTrue(worst < 1e-9, "kernel gradient differs from DL4J's by " + worst);
        assertTrue(sg.norm() > 1e-3, "the gradient is not trivially zero");
        // clearing empties exactly the support
        sg.clear();
        assertArrayEquals(new double[kernel.size()], sg.values);
    }

    @Test
    void readWriteRoundTripAndPerturbRestore() {
        NcfOptions o = NcfOptions.defaults().withEmbeddingStd(0.3);
        ComputationGraph g = NcfNetworks.build(NcfArchitecture.NMF, 7, 5, o);
        NmfKernel kernel = new NmfKernel(7, 5, o);
        double[] theta = kernel.read(g);
        ComputationGraph copy = NcfNetworks.build(NcfArchitecture.NMF, 7, 5, o.withSeed(99));
        kernel.write(theta, copy);
        assertEquals(g.params(), copy.params());

        NmfKernel.SparseGradient sg = kernel.newGradient();
        kernel.lossAndGradient(theta, new NmfKernel.Batch(new int[] {1, 3}, new int[] {2, 4}, new float[] {1, 0}), sg);
        double[] before = theta.clone();
        sg.perturb(theta, 0.37);
        int changed = 0;
        for (int k = 0; k < theta.length; k++) {
            if (theta[k] != before[k]) {
                changed++;
            }
        }
        assertTrue(changed > 0);
        sg.restore(theta);
        assertArrayEquals(before, theta);
    }

    @Test
    void indicesOutsideTheVocabularyAreRefused() {
        NcfOptions o = NcfOptions.defaults();
        NmfKernel kernel = new NmfKernel(3, 3, o);
        double[] theta = new double[kernel.size()];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kernel.loss(theta,
                new NmfKernel.Batch(new int[] {3}, new int[] {0}, new float[] {1})));
        assertTrue(e.getMessage().contains("user 3"), e.getMessage());
    }
}
