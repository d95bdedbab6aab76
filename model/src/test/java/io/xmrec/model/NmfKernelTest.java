package io.xmrec.model;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.net.Gradient;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetKernel;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NmfKernelTest {

    private static Net nmf(int users, int items, NcfOptions o, long seed) {
        return Net.init(NcfArchitecture.NMF.shape(o), users, items, o.embeddingStd(), seed);
    }

    @Test
    void lossAndGradientEqualDl4jsOnTheSameNetwork() {
        CrossMarketDataset d = MamlTrainerTest.twoMarkets();
        NcfOptions o = NcfOptions.paper().withL2(0).withEmbeddingStd(0.3);
        Net g = nmf(d.users().size(), d.items().size(), o, 5);
        NmfKernel kernel = new NmfKernel(d.users().size(), d.items().size(), o);
        assertEquals(g.parameters(), kernel.size());
        double[] theta = kernel.read(g);
        NmfKernel.Batch b = MamlTrainerTest.batch(d, 9);
        double[] refLoss = new double[1];
        Map<String, double[]> ref = Dl4jReference.of(g).gradient(b.users(), b.items(), b.labels(), refLoss);
        // DL4J's gradient (of the mean loss, in double) in the kernel's layout
        double[] expected = kernel.layout(ref::get);

        NmfGradient sg = kernel.newGradient();
        double loss = kernel.lossAndGradient(theta, b, sg);
        assertEquals(refLoss[0], loss, 1e-9);
        double[] got = sg.toArray();
        double worst = 0;
        for (int k = 0; k < expected.length; k++) {
            worst = Math.max(worst, Math.abs(expected[k] - got[k]));
        }
        assertTrue(worst < 1e-9, "kernel gradient differs from DL4J's by " + worst);
        assertTrue(sg.norm() > 1e-3, "the gradient is not trivially zero");
        // clearing empties exactly the support
        sg.clear();
        assertArrayEquals(new double[kernel.size()], sg.toArray());
        assertArrayEquals(new double[sg.values.length], sg.values);
    }

    @Test
    void theMamlKernelAndTheBatchKernelAgree() {
        CrossMarketDataset d = MamlTrainerTest.twoMarkets();
        NcfOptions o = NcfOptions.paper().withL2(0).withEmbeddingStd(0.3).withItemBias(true);
        Net g = nmf(d.users().size(), d.items().size(), o, 6);
        java.util.Arrays.fill(g.get("item_bias"), 0.25f);
        NmfKernel kernel = new NmfKernel(d.users().size(), d.items().size(), o);
        NmfKernel.Batch b = MamlTrainerTest.batch(d, 4);
        NmfGradient sg = kernel.newGradient();
        double loss = kernel.lossAndGradient(kernel.read(g), b, sg);
        NetKernel batch = new NetKernel(g.shape(), 32);
        Gradient fg = new Gradient(g, Gradient.all(g));
        double floatLoss = batch.lossAndGradient(g, b.users(), b.items(), b.labels(), 0, b.size(), fg);
        assertEquals(loss, floatLoss, 1e-5);
        double[] asDouble = kernel.layout(name -> {
            float[] v = fg.values(g.index(name));
            double[] out = new double[v.length];
            for (int k = 0; k < v.length; k++) {
                out[k] = v[k];
            }
            return out;
        });
        double[] got = sg.toArray();
        double worst = 0;
        double scale = 0;
        for (int k = 0; k < asDouble.length; k++) {
            worst = Math.max(worst, Math.abs(asDouble[k] - got[k]));
            scale = Math.max(scale, Math.abs(got[k]));
        }
        assertTrue(worst < 1e-5 * scale, "float and double kernels differ by " + worst + " (scale " + scale + ")");
    }

    @Test
    void readWriteRoundTripAndPerturbRestore() {
        NcfOptions o = NcfOptions.paper().withEmbeddingStd(0.3);
        Net g = nmf(7, 5, o, 1);
        NmfKernel kernel = new NmfKernel(7, 5, o);
        double[] theta = kernel.read(g);
        Net copy = nmf(7, 5, o, 99);
        kernel.write(theta, copy);
        for (int t = 0; t < g.tensors(); t++) {
            assertArrayEquals(g.values(t), copy.values(t), g.name(t));
        }

        NmfGradient sg = kernel.newGradient();
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
    void aGradientHoldsItsSupportNotTheTables() {
        // a million users and items: the full vector has 64M parameters; a two-sample gradient holds a few rows
        NcfOptions o = NcfOptions.paper();
        NmfKernel kernel = new NmfKernel(1_000_000, 1_000_000, o);
        double[] theta = new double[kernel.size()];
        theta[kernel.denseFrom()] = 0.5;
        NmfGradient sg = kernel.newGradient();
        kernel.lossAndGradient(theta, new NmfKernel.Batch(new int[] {7, 999_999}, new int[] {999_998, 3}, new float[] {1, 0}), sg);
        int dense = kernel.denseTo() - kernel.denseFrom();
        assertTrue(sg.values.length < dense + 200 * (o.gmfDim() + o.mlpDim() + 1),
                "the gradient holds " + sg.values.length + " values for two samples");
        NmfGradient sum = kernel.newGradient();
        sg.addInto(sum, 2);
        sg.addInto(sum, -1);
        double[] a = sg.toArray();
        double[] b = sum.toArray();
        assertArrayEquals(a, b, 1e-15);
        assertEquals(sg.norm(), sum.norm(), 1e-15);
    }

    @Test
    void indicesOutsideTheVocabularyAreRefused() {
        NcfOptions o = NcfOptions.paper();
        NmfKernel kernel = new NmfKernel(3, 3, o);
        double[] theta = new double[kernel.size()];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kernel.loss(theta,
                new NmfKernel.Batch(new int[] {3}, new int[] {0}, new float[] {1})));
        assertTrue(e.getMessage().contains("user 3"), e.getMessage());
    }
}
