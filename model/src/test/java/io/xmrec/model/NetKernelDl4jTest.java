package io.xmrec.model;

import io.xmrec.core.net.Gradient;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetKernel;
import io.xmrec.core.net.NetShape;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The float batch kernel against DL4J (double precision) on the same weights and batch. */
class NetKernelDl4jTest {

    static final List<NetShape> SHAPES = List.of(
            NetShape.gmf(8),
            NetShape.mlp(8, List.of(16, 64, 32, 16, 8)),
            NetShape.nmf(8, 8, List.of(16, 64, 32, 16, 8)),
            NetShape.nmf(8, 8, List.of(16, 64, 32, 16, 8)).withHead(List.of(32)),
            NetShape.nmf(3, 5, List.of(10, 7, 3)).withHead(List.of(6, 5)));

    @Test
    void scoresLossAndEveryGradientEqualDl4jsForEveryShape() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (NetShape s : SHAPES) {
            Net net = Net.init(s, 23, 31, 0.5, 7);
            int n = 57; // not a multiple of the kernel's unrolling
            int[] u = new int[n];
            int[] i = new int[n];
            float[] y = new float[n];
            for (int k = 0; k < n; k++) {
                u[k] = rnd.nextInt(23);
                i[k] = rnd.nextInt(31);
                y[k] = rnd.nextInt(3) == 0 ? 1 : 0;
            }
            Dl4jReference ref = Dl4jReference.of(net);
            double[] refLoss = new double[1];
            Map<String, double[]> expected = ref.gradient(u, i, y, refLoss);
            NetKernel kernel = new NetKernel(s, 64);
            Gradient g = new Gradient(net, Gradient.all(net));
            double loss = kernel.lossAndGradient(net, u, i, y, 0, n, g);
            assertEquals(refLoss[0], loss, 1e-5, s + ": loss");
            float[] scores = new float[n];
            kernel.score(net, u, i, 0, n, scores, 0);
            double[] refScores = ref.score(u, i);
            for (int k = 0; k < n; k++) {
                assertEquals(refScores[k], scores[k], 1e-5, s + ": score of pair " + k);
            }
            for (int t = 0; t < net.tensors(); t++) {
                double[] e = expected.get(net.name(t));
                float[] got = g.values(t);
                double scale = 1e-6;
                for (double v : e) {
                    scale = Math.max(scale, Math.abs(v));
                }
                for (int k = 0; k < e.length; k++) {
                    assertEquals(e[k], got[k], 2e-4 * scale, s + ": " + net.name(t) + "[" + k + "]");
                }
            }
        }
    }

    @Test
    void frozenTensorsGetNoGradientAndTheRestTheFullOne() {
        NetShape s = SHAPES.get(3);
        Net net = Net.init(s, 11, 13, 0.5, 9);
        int[] u = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        int[] i = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        float[] y = {1, 0, 0, 1, 0, 0, 1, 0, 0, 0};
        NetKernel kernel = new NetKernel(s, 16);
        Gradient all = new Gradient(net, Gradient.all(net));
        kernel.lossAndGradient(net, u, i, y, 0, u.length, all);
        List<String> head = ForecFork.headTensors(s);
        Gradient part = new Gradient(net, Gradient.only(net, head));
        kernel.lossAndGradient(net, u, i, y, 0, u.length, part);
        for (int t = 0; t < net.tensors(); t++) {
            if (head.contains(net.name(t))) {
                float[] a = all.values(t);
                float[] b = part.values(t);
                for (int k = 0; k < a.length; k++) {
                    assertEquals(a[k], b[k], 1e-7, net.name(t));
                }
            } else {
                assertNull(part.values(t), net.name(t) + " is frozen");
            }
        }
        assertTrue(head.contains(NetShape.OUT_W));
    }
}
