package io.xmrec.core.net;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetKernelTest {

    @org.junit.jupiter.api.io.TempDir
    Path tmp;

    private static final NetShape FULL = NetShape.nmf(3, 4, List.of(8, 6, 5)).withHead(List.of(7)).withItemBias(true);

    /** Central differences of the batch loss, one coordinate at a time, against the kernel's gradient. */
    @Test
    void gradientMatchesFiniteDifferencesOnEveryTensorItemBiasIncluded() {
        assertGradientMatchesFiniteDifferences(FULL, null);
    }

    /** The market vectors (and the tables they multiply) get the gradient of the three-factor products. */
    @Test
    void marketAwareGradientMatchesFiniteDifferencesOnEveryTensorMarketVectorsIncluded() {
        NetShape aware = NetShape.nmf(3, 4, List.of(8, 6, 5)).withItemBias(true).withMarkets(2);
        assertGradientMatchesFiniteDifferences(aware, new int[] {0, 1, 1, 0, 1, 0});
    }

    @Test
    void aMarketAwareNetworkWithoutItsUsersMarketsIsRefused() {
        NetShape aware = NetShape.gmf(3).withMarkets(2);
        Net net = Net.init(aware, 2, 2, 0.1, 1);
        NetKernel kernel = new NetKernel(aware, 4);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> kernel.score(net, new int[] {0}, new int[] {1}, 0, 1, new float[1], 0));
        assertTrue(e.getMessage().contains("market"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> kernel.userMarkets(new int[] {0, 2}));
        assertEquals(1f, net.get(NetShape.GMF_MARKET)[5], "market vectors start at one");
    }

    private static void assertGradientMatchesFiniteDifferences(NetShape shape, int[] userMarket) {
        Net net = Net.init(shape, 6, 9, 0.4, 2);
        SplittableRandom rnd = new SplittableRandom(5);
        for (String m : List.of(NetShape.GMF_MARKET, NetShape.MLP_MARKET)) {
            float[] v = net.get(m);
            for (int k = 0; v != null && k < v.length; k++) {
                v[k] = 1f + (float) rnd.nextGaussian() * 0.5f; // away from one, so a missing factor shows
            }
        }
        float[] ib = net.get(NetShape.ITEM_BIAS);
        for (int k = 0; k < ib.length; k++) {
            ib[k] = (float) rnd.nextGaussian() * 0.3f;
        }
        int n = 13;
        int[] u = new int[n];
        int[] i = new int[n];
        float[] y = new float[n];
        for (int k = 0; k < n; k++) {
            u[k] = rnd.nextInt(6);
            i[k] = rnd.nextInt(9);
            y[k] = k % 3 == 0 ? 1 : 0;
        }
        NetKernel kernel = new NetKernel(shape, 16);
        if (userMarket != null) {
            kernel.userMarkets(userMarket);
        }
        Gradient g = new Gradient(net, Gradient.all(net));
        kernel.lossAndGradient(net, u, i, y, 0, n, g);
        double[][] w = new double[net.tensors()][];
        for (int t = 0; t < w.length; t++) {
            w[t] = toDouble(net.values(t));
        }
        assertEquals(referenceLoss(net, w, u, i, y, userMarket), kernel.loss(net, u, i, y, n), 1e-6, "forward pass");
        double eps = 1e-6; // in double: no rounding noise, and too small to cross a ReLU kink
        int checked = 0;
        for (int t = 0; t < net.tensors(); t++) {
            for (int k = 0; k < w[t].length; k++) {
                double keep = w[t][k];
                w[t][k] = keep + eps;
                double up = referenceLoss(net, w, u, i, y, userMarket);
                w[t][k] = keep - eps;
                double down = referenceLoss(net, w, u, i, y, userMarket);
                w[t][k] = keep;
                double numeric = (up - down) / (2 * eps);
                assertEquals(numeric, g.values(t)[k], 1e-6 + 1e-4 * Math.abs(numeric), net.name(t) + "[" + k + "]");
                checked++;
            }
        }
        assertTrue(checked > 200);
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int k = 0; k < f.length; k++) {
            d[k] = f[k];
        }
        return d;
    }

    /** A plain per-sample forward pass in double, written from the shape's description: the test's own oracle. */
    private static double referenceLoss(Net net, double[][] w, int[] u, int[] i, float[] y, int[] userMarket) {
        NetShape s = net.shape();
        double loss = 0;
        for (int k = 0; k < u.length; k++) {
            double[] x = new double[2 * s.mlpDim()];
            double[] mu = w[net.index(NetShape.MLP_USER)];
            double[] mi = w[net.index(NetShape.MLP_ITEM)];
            int market = userMarket == null ? -1 : userMarket[u[k]];
            for (int q = 0; q < s.mlpDim(); q++) {
                x[q] = mu[u[k] * s.mlpDim() + q];
                x[s.mlpDim() + q] = mi[i[k] * s.mlpDim() + q]
                        * (market < 0 ? 1 : w[net.index(NetShape.MLP_MARKET)][market * s.mlpDim() + q]);
            }
            for (int l = 1; l <= s.mlpDepth(); l++) {
                x = relu(x, w[net.index(NetShape.mlpWeight(l))], w[net.index(NetShape.mlpBias(l))]);
            }
            double[] fused = java.util.Arrays.copyOf(x, x.length + s.gmfDim());
            double[] gu = w[net.index(NetShape.GMF_USER)];
            double[] gi = w[net.index(NetShape.GMF_ITEM)];
            for (int q = 0; q < s.gmfDim(); q++) {
                fused[x.length + q] = gu[u[k] * s.gmfDim() + q] * gi[i[k] * s.gmfDim() + q]
                        * (market < 0 ? 1 : w[net.index(NetShape.GMF_MARKET)][market * s.gmfDim() + q]);
            }
            for (int l = 1; l <= s.headDepth(); l++) {
                fused = relu(fused, w[net.index(NetShape.headWeight(l))], w[net.index(NetShape.headBias(l))]);
            }
            double z = w[net.index(NetShape.OUT_B)][0] + w[net.index(NetShape.ITEM_BIAS)][i[k]];
            double[] ow = w[net.index(NetShape.OUT_W)];
            for (int q = 0; q < fused.length; q++) {
                z += fused[q] * ow[q];
            }
            double p = 1 / (1 + Math.exp(-z));
            loss -= y[k] * Math.log(p) + (1 - y[k]) * Math.log(1 - p);
        }
        return loss / u.length;
    }

    private static double[] relu(double[] in, double[] weight, double[] bias) {
        double[] out = bias.clone();
        for (int r = 0; r < in.length; r++) {
            for (int o = 0; o < out.length; o++) {
                out[o] += in[r] * weight[r * out.length + o];
            }
        }
        for (int o = 0; o < out.length; o++) {
            out[o] = Math.max(0, out[o]);
        }
        return out;
    }

    @Test
    void scoringAnyBatchSizeEqualsScoringOneByOne() {
        Net net = Net.init(FULL, 6, 9, 0.4, 3);
        int[] u = new int[40];
        int[] i = new int[40];
        for (int k = 0; k < 40; k++) {
            u[k] = k % 6;
            i[k] = (k * 7) % 9;
        }
        float[] all = new float[40];
        new NetKernel(FULL, 7).score(net, u, i, 0, 40, all, 0);
        NetKernel one = new NetKernel(FULL, 1);
        for (int k = 0; k < 40; k++) {
            float[] s = new float[1];
            one.score(net, u, i, k, 1, s, 0);
            assertEquals(all[k], s[0], 1e-6);
        }
        float[] forUser = new float[9];
        int[] items = {0, 1, 2, 3, 4, 5, 6, 7, 8};
        one.scoreUser(net, 4, items, 0, 9, forUser, 0);
        float[] pairs = new float[9];
        new NetKernel(FULL, 64).score(net, new int[] {4, 4, 4, 4, 4, 4, 4, 4, 4}, items, 0, 9, pairs, 0);
        assertArrayEquals(pairs, forUser, 1e-6f);
    }

    @Test
    void outOfRangeIndicesAreRefusedWithTheirValues() {
        Net net = Net.init(FULL, 6, 9, 0.4, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NetKernel(FULL, 4)
                .score(net, new int[] {6}, new int[] {0}, 0, 1, new float[1], 0));
        assertTrue(e.getMessage().contains("user 6"), e.getMessage());
    }

    @Test
    void sparseAdamMovesOnlyTheTouchedRowsOfTrainableTablesAndDenseAdamMovesEveryRow() {
        Net net = Net.init(FULL, 6, 9, 0.4, 4);
        Net before = net.copy();
        boolean[] users = Gradient.only(net, List.of(NetShape.GMF_USER, NetShape.MLP_USER));
        Gradient g = new Gradient(net, users);
        NetKernel kernel = new NetKernel(FULL, 8);
        kernel.lossAndGradient(net, new int[] {2, 2, 2}, new int[] {1, 5, 7}, new float[] {1, 0, 0}, 0, 3, g);
        new Adam(net, users, 0.05, 1e-7, true).step(net, g);
        for (int t = 0; t < net.tensors(); t++) {
            float[] a = before.values(t);
            float[] b = net.values(t);
            boolean userTable = NetShape.isUserTable(net.name(t));
            int cols = net.tensorShape(t).length > 1 ? net.tensorShape(t)[1] : 1;
            for (int k = 0; k < a.length; k++) {
                boolean shouldMove = userTable && k / cols == 2;
                assertEquals(shouldMove, a[k] != b[k], net.name(t) + "[" + k + "]");
            }
        }
        Net dense = before.copy();
        boolean[] all = Gradient.all(dense);
        Gradient gd = new Gradient(dense, all);
        kernel.lossAndGradient(dense, new int[] {2}, new int[] {1}, new float[] {1}, 0, 1, gd);
        new Adam(dense, all, 0.05, 1e-3, false).step(dense, gd);
        // L2 reaches every weight row in dense mode, touched or not
        float[] table = dense.get(NetShape.GMF_USER);
        float[] old = before.get(NetShape.GMF_USER);
        assertTrue(table[0] != old[0] && table[5 * 3] != old[5 * 3]);
    }

    @Test
    void aLazyStepGivesEveryTouchedRowAdamsFirstStepOfItsOwnGradientAndLeavesTheOthers() {
        Net net = Net.init(FULL, 40, 60, 0.4, 3);
        Net before = net.copy();
        boolean[] all = Gradient.all(net);
        Gradient full = new Gradient(before.copy(), all, false);
        Gradient compact = new Gradient(net, all, true);
        NetKernel kernel = new NetKernel(FULL, 64);
        int[] u = {7, 3, 7, 31, 0, 3};
        int[] i = {59, 2, 14, 2, 33, 8};
        float[] y = {1, 0, 0, 1, 0, 1};
        kernel.lossAndGradient(before.copy(), u, i, y, 0, u.length, full);
        kernel.lossAndGradient(net, u, i, y, 0, u.length, compact);
        double lr = 0.05;
        float l2 = 1e-3f;
        new Adam(net, all, lr, l2, true).step(net, compact);
        float alpha = (float) (lr * Math.sqrt(1 - 0.999) / (1 - 0.9));
        for (String name : List.of(NetShape.GMF_USER, NetShape.GMF_ITEM, NetShape.MLP_USER, NetShape.MLP_ITEM)) {
            int t = net.index(name);
            int cols = net.tensorShape(t)[1];
            java.util.Set<Integer> touched = new java.util.HashSet<>();
            for (int r : NetShape.isUserTable(name) ? u : i) {
                touched.add(r);
            }
            float[] w0 = before.values(t);
            float[] g = full.values(t);
            for (int k = 0; k < w0.length; k++) {
                float expected = w0[k];
                if (touched.contains(k / cols)) {
                    float gk = g[k] + l2 * w0[k];
                    float m = (1 - 0.9f) * gk;
                    float v = (1 - 0.999f) * gk * gk;
                    expected = w0[k] - alpha * m / ((float) Math.sqrt(v) + 1e-8f);
                }
                assertEquals(expected, net.values(t)[k], 1e-6f, name + "[" + k + "]");
            }
        }
    }

    @Test
    void aCompactGradientTrainsExactlyLikeAFullOneAndHoldsOnlyTheTouchedRows() {
        Net full = Net.init(FULL, 50, 70, 0.4, 5);
        Net compact = full.copy();
        boolean[] all = Gradient.all(full);
        Gradient gf = new Gradient(full, all, false);
        Gradient gc = new Gradient(compact, all, true);
        Adam af = new Adam(full, all, 0.05, 1e-3, true);
        Adam ac = new Adam(compact, all, 0.05, 1e-3, true);
        NetKernel kernel = new NetKernel(FULL, 200);
        SplittableRandom rnd = new SplittableRandom(9);
        for (int step = 0; step < 5; step++) {
            int n = 150; // more rows than the compact gradient starts with: it grows between batches
            int[] u = new int[n];
            int[] i = new int[n];
            float[] y = new float[n];
            for (int k = 0; k < n; k++) {
                u[k] = rnd.nextInt(50);
                i[k] = rnd.nextInt(70);
                y[k] = rnd.nextInt(2);
            }
            assertEquals(kernel.lossAndGradient(full, u, i, y, 0, n, gf), kernel.lossAndGradient(compact, u, i, y, 0, n, gc));
            int users = gc.touchedUsers();
            assertTrue(gc.values(compact.index(NetShape.GMF_USER)).length <= 4 * users * 3 + 64 * 3,
                    "a compact gradient holds the touched rows (and room for a batch)");
            af.step(full, gf);
            ac.step(compact, gc);
        }
        for (int t = 0; t < full.tensors(); t++) {
            assertArrayEquals(full.values(t), compact.values(t), full.name(t));
        }
        assertThrows(IllegalStateException.class, () -> {
            Gradient g = new Gradient(compact, all, true);
            kernel.lossAndGradient(compact, new int[] {1}, new int[] {1}, new float[] {1}, 0, 1, g);
            new Adam(compact, all, 0.05, 1e-3, false).step(compact, g);
        }, "dense updates refuse a compact gradient");
    }

    @Test
    void netsRoundTripThroughAFileAndTheirShapeIsReadOffTheTensors() {
        Net net = Net.init(FULL, 6, 9, 0.4, 8);
        Path f = tmp.resolve("n.bin");
        NetFile.write(f, net);
        Net back = NetFile.read(f);
        assertEquals(FULL, back.shape());
        assertEquals(6, back.users());
        assertEquals(9, back.items());
        for (int t = 0; t < net.tensors(); t++) {
            assertArrayEquals(net.values(t), back.values(t));
        }
        assertEquals(net.fingerprint(), back.fingerprint());
        for (NetShape s : List.of(NetShape.gmf(4), NetShape.mlp(2, List.of(4, 3)), NetShape.nmf(2, 3, List.of(6, 4, 2)),
                FULL)) {
            assertEquals(s, NetShape.fromTensorShapes(s.tensorShapes(5, 7)));
        }
    }
}
