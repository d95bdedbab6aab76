package io.xmrec.serving;

import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetKernel;
import io.xmrec.core.net.NetShape;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RowFitterTest {

    static final NetShape FOREC = NetShape.nmf(8, 8, List.of(16, 8, 4)).withHead(List.of(32)).withItemBias(true);

    /** A network whose items 0-99 and 100-199 form two groups: the item rows of a group point the same way. */
    static Net twoGroups(long seed) {
        return twoGroups(FOREC, seed);
    }

    static Net twoGroups(NetShape shape, long seed) {
        Net net = Net.init(shape, 30, 200, 0.3, seed);
        SplittableRandom r = new SplittableRandom(seed);
        float[] gi = net.get(NetShape.GMF_ITEM);
        for (int i = 0; i < 200; i++) {
            float sign = i < 100 ? 1f : -1f;
            for (int k = 0; k < 8; k++) {
                gi[i * 8 + k] = sign * (0.8f + 0.1f * (float) r.nextGaussian());
            }
        }
        return net;
    }

    private static float mean(float[] s) {
        double t = 0;
        for (float x : s) {
            t += x;
        }
        return (float) (t / s.length);
    }

    @Test
    void aFoldedInUserPrefersTheGroupOfTheirItemsAndNothingElseChanges() {
        // without a head the GMF product reaches the output directly: the groups are plain to see
        NetShape nmf = NetShape.nmf(8, 8, List.of(16, 8, 4)).withItemBias(true);
        Net net = twoGroups(nmf, 1);
        Net before = net.copy();
        int[] pool = new int[200];
        for (int i = 0; i < 200; i++) {
            pool[i] = i;
        }
        RowFitter f = new RowFitter(RowFitter.Options.defaults());
        int[][] positives = {{3, 17, 42, 55, 71, 88}, {120, 133, 150, 177, 199}};
        List<RowFitter.Rows> rows = f.fitUsers(net, positives, pool,
                List.of(RowFitter.averageUser(net), RowFitter.averageUser(net)), List.of("new1", "new2"));
        for (int t = 0; t < net.tensors(); t++) {
            assertArrayEquals(before.values(t), net.values(t), net.name(t) + " must not change");
        }
        // score both groups for each new user on a copy with the rows appended
        Net grown = net.withRows(32, 200);
        for (int k = 0; k < 2; k++) {
            System.arraycopy(rows.get(k).gmf(), 0, grown.get(NetShape.GMF_USER), (30 + k) * 8, 8);
            System.arraycopy(rows.get(k).mlp(), 0, grown.get(NetShape.MLP_USER), (30 + k) * 8, 8);
        }
        int[] first = new int[100];
        int[] second = new int[100];
        for (int i = 0; i < 100; i++) {
            first[i] = i;
            second[i] = 100 + i;
        }
        NetKernel kernel = new NetKernel(nmf, 128);
        float[] a = new float[100];
        float[] b = new float[100];
        kernel.scoreUser(grown, 30, first, 0, 100, a, 0);
        kernel.scoreUser(grown, 30, second, 0, 100, b, 0);
        assertTrue(mean(a) > mean(b) + 0.05, "user of group one: " + mean(a) + " vs " + mean(b));
        kernel.scoreUser(grown, 31, first, 0, 100, a, 0);
        kernel.scoreUser(grown, 31, second, 0, 100, b, 0);
        assertTrue(mean(b) > mean(a) + 0.05, "user of group two: " + mean(b) + " vs " + mean(a));
    }

    @Test
    void fittingIsDeterministicAndARefitStartsFromTheCurrentRows() {
        Net net = twoGroups(2);
        int[] pool = new int[200];
        for (int i = 0; i < 200; i++) {
            pool[i] = i;
        }
        RowFitter none = new RowFitter(new RowFitter.Options(0, 0.1, 4, 1));
        RowFitter.Rows current = RowFitter.userRows(net, 5);
        List<RowFitter.Rows> same = none.fitUsers(net, new int[][] {{1, 2, 3}}, pool, List.of(current), List.of("u5"));
        assertArrayEquals(current.gmf(), same.get(0).gmf(), "no steps: the start comes back");
        RowFitter f = new RowFitter(RowFitter.Options.streaming());
        List<RowFitter.Rows> a = f.fitUsers(net, new int[][] {{1, 2, 3}}, pool, List.of(current), List.of("u5"));
        List<RowFitter.Rows> b = f.fitUsers(net, new int[][] {{1, 2, 3}}, pool, List.of(current), List.of("u5"));
        assertArrayEquals(a.get(0).gmf(), b.get(0).gmf());
        assertArrayEquals(a.get(0).mlp(), b.get(0).mlp());
        assertTrue(!java.util.Arrays.equals(current.gmf(), a.get(0).gmf()), "rows moved");
    }

    @Test
    void aFoldedInItemIsScoredHighForItsBuyersAndItsBiasIsFitted() {
        Net net = twoGroups(3);
        // users 0-14 like group one: give their GMF rows the group's direction
        float[] gu = net.get(NetShape.GMF_USER);
        for (int u = 0; u < 30; u++) {
            for (int k = 0; k < 8; k++) {
                gu[u * 8 + k] = u < 15 ? 0.9f : -0.9f;
            }
        }
        int[] userPool = new int[30];
        List<String> ids = new ArrayList<>();
        for (int u = 0; u < 30; u++) {
            userPool[u] = u;
        }
        ids.add("newItem");
        RowFitter f = new RowFitter(RowFitter.Options.defaults());
        List<RowFitter.Rows> rows = f.fitItems(net, new int[][] {{0, 1, 2, 3, 4, 5, 6, 7}}, userPool,
                List.of(RowFitter.averageItem(net)), ids, new int[] {8});
        Net grown = net.withRows(30, 201);
        System.arraycopy(rows.get(0).gmf(), 0, grown.get(NetShape.GMF_ITEM), 200 * 8, 8);
        System.arraycopy(rows.get(0).mlp(), 0, grown.get(NetShape.MLP_ITEM), 200 * 8, 8);
        grown.get(NetShape.ITEM_BIAS)[200] = rows.get(0).bias();
        NetKernel kernel = new NetKernel(FOREC, 64);
        float[] s = new float[30];
        int[] us = new int[30];
        int[] is = new int[30];
        for (int u = 0; u < 30; u++) {
            us[u] = u;
            is[u] = 200;
        }
        kernel.score(grown, us, is, 0, 30, s, 0);
        float liking = 0;
        float others = 0;
        for (int u = 0; u < 30; u++) {
            if (u < 15) {
                liking += s[u] / 15;
            } else {
                others += s[u] / 15;
            }
        }
        assertTrue(liking > others + 0.2, "buyers' group " + liking + " vs the others " + others);
        assertEquals(201, grown.items());
    }

    @Test
    void anItemBoughtByManyIsScoredAboveOneBoughtByFewWhateverTheirBuyersTaste() {
        Net net = twoGroups(5);
        float[] gu = net.get(NetShape.GMF_USER);
        for (int u = 0; u < 30; u++) {
            for (int k = 0; k < 8; k++) {
                gu[u * 8 + k] = u % 2 == 0 ? 0.9f : -0.9f;
            }
        }
        int[] userPool = new int[30];
        for (int u = 0; u < 30; u++) {
            userPool[u] = u;
        }
        // both bought by users of both tastes alike: only how many bought them tells them apart
        int[] few = {0, 1};
        int[] many = new int[20];
        for (int u = 0; u < 20; u++) {
            many[u] = u;
        }
        RowFitter f = new RowFitter(RowFitter.Options.defaults());
        int perItem = f.negativesPerItem(200, 100); // four negatives per positive over 100 items: 8 each
        assertEquals(8, perItem);
        List<RowFitter.Rows> rows = f.fitItems(net, new int[][] {few, many}, userPool,
                List.of(RowFitter.averageItem(net), RowFitter.averageItem(net)), List.of("few", "many"),
                new int[] {perItem, perItem});
        Net grown = net.withRows(30, 202);
        rows.get(0).writeItem(grown, 200);
        rows.get(1).writeItem(grown, 201);
        NetKernel kernel = new NetKernel(FOREC, 64);
        float[] s = new float[60];
        int[] us = new int[60];
        int[] is = new int[60];
        for (int u = 0; u < 30; u++) {
            us[u] = u;
            is[u] = 200;
            us[30 + u] = u;
            is[30 + u] = 201;
        }
        kernel.score(grown, us, is, 0, 60, s, 0);
        float fewMean = mean(java.util.Arrays.copyOfRange(s, 0, 30));
        float manyMean = mean(java.util.Arrays.copyOfRange(s, 30, 60));
        assertTrue(manyMean > fewMean + 0.2, "bought by 20: " + manyMean + ", by 2: " + fewMean);
        assertTrue(rows.get(1).bias() > rows.get(0).bias(), "biases " + rows.get(1).bias() + " vs " + rows.get(0).bias());
    }
}
