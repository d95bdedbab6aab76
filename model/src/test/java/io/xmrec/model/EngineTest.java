package io.xmrec.model;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Gradient;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DL4J engine takes the kernel's steps: from the same parameters and samples, the same parameters after. */
class EngineTest {

    private static final int USERS = 40;
    private static final int ITEMS = 50;

    private static NcfModel model(NetShape shape, Set<String> trainable) {
        List<String> users = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            users.add(CrossMarketDataset.userKey(u % 3 == 0 ? "bb" : "aa", "u" + u));
        }
        List<String> items = new ArrayList<>();
        for (int i = 0; i < ITEMS; i++) {
            items.add("i" + i);
        }
        Net net = Net.init(shape, USERS, ITEMS, 0.3, 11);
        SplittableRandom rnd = new SplittableRandom(2);
        for (String t : List.of(NetShape.ITEM_BIAS, NetShape.GMF_MARKET, NetShape.MLP_MARKET)) {
            float[] v = net.get(t);
            for (int k = 0; v != null && k < v.length; k++) {
                v[k] += (float) rnd.nextGaussian() * 0.3f;
            }
        }
        NcfArchitecture a = NcfArchitecture.of(shape);
        return new NcfModel(a, net, IdVocabulary.ofRows(users), IdVocabulary.ofRows(items), NcfOptions.defaults(),
                shape.marketAware() ? List.of("aa", "bb") : List.of("aa"),
                new NcfModel.Training(trainable == null ? Set.copyOf(shape.tensorNames()) : trainable, 0.01, 1e-3));
    }

    private static void assertSameSteps(NetShape shape, Set<String> trainable) {
        NcfModel kernel = model(shape, trainable);
        NcfModel dl4j = kernel.copy();
        boolean[] t = Gradient.only(kernel.net(), kernel.trainable());
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 64;
        try (Engine.Steps k = Engine.KERNEL.open(kernel, t, false, n, false); Engine.Steps d = Engine.DL4J.open(dl4j, t, false, n, false)) {
            for (int step = 0; step < 5; step++) {
                int[] u = new int[n];
                int[] i = new int[n];
                float[] y = new float[n];
                for (int s = 0; s < n; s++) {
                    u[s] = rnd.nextInt(USERS);
                    i[s] = rnd.nextInt(ITEMS);
                    y[s] = rnd.nextInt(4) == 0 ? 1 : 0;
                }
                double lk = k.step(u, i, y, 0, n);
                double ld = d.step(u, i, y, 0, n);
                if (step % Dl4jSteps.LOSS_EVERY == 0) {
                    assertEquals(lk, ld, 1e-4, shape + ": loss of step " + step);
                } else {
                    assertTrue(Double.isNaN(ld), "DL4J measures the loss on a sample of the batches");
                }
            }
            d.sync();
        }
        Net a = kernel.net();
        Net b = dl4j.net();
        NcfModel start = model(shape, trainable);
        for (int x = 0; x < a.tensors(); x++) {
            String name = a.name(x);
            float[] ka = a.values(x);
            float[] da = b.values(x);
            float[] before = start.net().values(x);
            boolean moved = false;
            for (int k = 0; k < ka.length; k++) {
                assertEquals(ka[k], da[k], 2e-4, shape + ": " + name + "[" + k + "]");
                moved |= ka[k] != before[k];
            }
            if (!kernel.trainable().contains(name)) {
                assertArrayEquals(before, da, 0f, name + " is frozen");
            } else {
                assertTrue(moved, name + " was trained");
            }
        }
    }

    @Test
    void dl4jTakesTheKernelsStepsOnGmfMlpAndNmfWithAnItemBias() {
        assertSameSteps(NetShape.gmf(8).withItemBias(true), null);
        assertSameSteps(NetShape.mlp(8, List.of(16, 32, 8)).withItemBias(true), null);
        assertSameSteps(NetShape.nmf(8, 8, List.of(16, 32, 16, 8)).withItemBias(true), null);
    }

    @Test
    void dl4jTakesTheKernelsStepsOnAForecForkWithItsTrunkFrozen() {
        NetShape fork = NetShape.nmf(8, 8, List.of(16, 32, 16, 8)).withHead(List.of(12)).withItemBias(true);
        assertSameSteps(fork, new LinkedHashSet<>(ForecFork.headTensors(fork)));
    }

    @Test
    void dl4jTakesTheKernelsStepsOnAMarketAwareNmf() {
        assertSameSteps(NetShape.nmf(8, 8, List.of(16, 32, 16, 8)).withMarkets(2), null);
    }

    @Test
    void autoTrainsTheDefaultWidthsOnTheKernelAndWideTowersOnDl4j() {
        NetShape defaults = NcfArchitecture.NMF.shape(NcfOptions.defaults());
        assertEquals(Engine.KERNEL, Engine.AUTO.resolve(defaults));
        assertEquals(Engine.KERNEL, Engine.AUTO.resolve(NetShape.gmf(256)), "GMF has no tower: the kernel");
        assertEquals(Engine.KERNEL, Engine.AUTO.resolve(NetShape.nmf(64, 64, List.of(128, 256, 128, 64))));
        assertEquals(Engine.DL4J, Engine.AUTO.resolve(NetShape.nmf(256, 256, List.of(512, 1024, 512, 256))));
        assertEquals(Engine.KERNEL, Engine.KERNEL.resolve(NetShape.nmf(256, 256, List.of(512, 1024, 512, 256))),
                "an engine named is the engine used");
    }
}
