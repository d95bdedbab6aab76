package io.xmrec.model;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelMeanTest {

    private static NcfModel model(NetShape shape, List<String> users, List<String> items, long seed) {
        Net net = Net.init(shape, users.size(), items.size(), 0.5, seed);
        if (shape.itemBias()) {
            Random rnd = new Random(seed);
            float[] b = net.get(NetShape.ITEM_BIAS);
            for (int k = 0; k < b.length; k++) {
                b[k] = (float) rnd.nextGaussian();
            }
        }
        net.get(NetShape.OUT_B)[0] = seed % 2 == 0 ? 0.3f : -0.7f;
        return new NcfModel(NcfArchitecture.of(shape), net, IdVocabulary.ofRows(users), IdVocabulary.ofRows(items),
                NcfOptions.defaults(), List.of("aa"), new NcfModel.Training(Set.copyOf(shape.tensorNames()), 0.01, 1e-5));
    }

    private static List<String> ids(String prefix, int n) {
        List<String> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            out.add(prefix + k);
        }
        return out;
    }

    private static double logit(NcfModel m, String user, String item) {
        double p = m.score(new int[] {m.users().require(user)}, new int[] {m.items().require(item)})[0];
        return Math.log(p / (1 - p));
    }

    @Test
    void theMeanNetworkScoresTheMeanLogitOfItsMembersWhateverTheirWidthsAndRowOrder() {
        List<String> users = ids("aa/u", 10);
        List<String> items = ids("i", 8);
        NcfModel a = model(NetShape.nmf(4, 3, List.of(6, 5, 2)).withItemBias(true), users, items, 11);
        List<String> usersB = new ArrayList<>(users);
        Collections.reverse(usersB);
        usersB.add("aa/only-b");
        List<String> itemsB = new ArrayList<>(items);
        Collections.shuffle(itemsB, new Random(3));
        NcfModel b = model(NetShape.nmf(5, 4, List.of(8, 3, 4)), usersB, itemsB, 12);
        NcfModel mean = ModelMean.of(a, b, IdVocabulary.ofRows(usersB), IdVocabulary.ofRows(itemsB));

        NetShape s = mean.net().shape();
        assertEquals(9, s.gmfDim());
        assertEquals(List.of(14, 8, 6), s.mlpLayers());
        assertTrue(s.itemBias());
        double worst = 0;
        for (String u : users) {
            for (String i : items) {
                double want = (logit(a, u, i) + logit(b, u, i)) / 2;
                worst = Math.max(worst, Math.abs(logit(mean, u, i) - want));
            }
        }
        assertTrue(worst < 1e-4, "largest logit difference " + worst);
        // a row one member lacks is zeros in that member's half, the other member's row beside it
        int row = mean.users().require("aa/only-b");
        float[] gmf = mean.net().get(NetShape.GMF_USER);
        for (int q = 0; q < 4; q++) {
            assertEquals(0f, gmf[row * 9 + q]);
        }
        float[] fromB = b.net().get(NetShape.GMF_USER);
        int rowB = b.users().require("aa/only-b");
        for (int q = 0; q < 5; q++) {
            assertEquals(fromB[rowB * 5 + q], gmf[row * 9 + 4 + q]);
        }
    }

    @Test
    void fineTuningAMeanWithZeroWeightsHeldKeepsItsBlocksApartWhileItsOtherWeightsLearn() {
        List<String> users = ids("aa/u", 10);
        List<String> items = ids("i", 8);
        NcfModel a = model(NetShape.nmf(4, 3, List.of(6, 5, 2)), users, items, 11);
        NcfModel b = model(NetShape.nmf(4, 3, List.of(6, 5, 2)), users, items, 12);
        NcfModel mean = ModelMean.of(a, b, IdVocabulary.ofRows(users), IdVocabulary.ofRows(items));
        List<int[]> bought = new ArrayList<>();
        for (int k = 0; k < users.size(); k++) {
            bought.add(new int[] {k % 8, (k + 3) % 8});
        }
        io.xmrec.core.dataset.CrossMarketDataset data = io.xmrec.core.dataset.CrossMarketDataset.trainingOnly("aa", users,
                bought, new int[] {0, 1, 2, 3, 4, 5, 6, 7}, mean.users(), mean.items());
        NcfOptions o = NcfOptions.defaults().withEpochs(5).withBatchSize(4).withSeed(5);
        NcfModel held = mean.copy();
        NcfModel free = mean.copy();
        new NcfTrainer(o, null).keepingZeroWeights(true).train(held, data);
        new NcfTrainer(o, null).train(free, data);

        int zeros = 0;
        int filled = 0;
        int moved = 0;
        for (int l = 1; l <= mean.net().shape().mlpDepth(); l++) {
            float[] w0 = mean.net().get(NetShape.mlpWeight(l));
            float[] wh = held.net().get(NetShape.mlpWeight(l));
            float[] wf = free.net().get(NetShape.mlpWeight(l));
            for (int k = 0; k < w0.length; k++) {
                if (w0[k] == 0f) {
                    zeros++;
                    assertEquals(0f, wh[k], "layer " + l + " weight " + k + " of a zero block");
                    filled += wf[k] != 0f ? 1 : 0;
                } else {
                    moved += wh[k] != w0[k] ? 1 : 0;
                }
            }
        }
        assertTrue(zeros > 0 && filled > zeros / 2, "without the hold the blocks fill: " + filled + " of " + zeros);
        assertTrue(moved > 0, "the weights of the blocks themselves are trained");
    }

    @Test
    void networksWithAHeadOrMlpsOfDifferentDepthsAreRefused() {
        List<String> users = ids("aa/u", 3);
        List<String> items = ids("i", 3);
        NcfModel nmf = model(NetShape.nmf(4, 3, List.of(6, 5, 2)), users, items, 1);
        NcfModel deeper = model(NetShape.nmf(4, 3, List.of(6, 5, 4, 2)), users, items, 2);
        NcfModel headed = model(NetShape.nmf(4, 3, List.of(6, 5, 2)).withHead(List.of(4)), users, items, 3);
        IdVocabulary u = IdVocabulary.ofRows(users);
        IdVocabulary i = IdVocabulary.ofRows(items);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelMean.of(nmf, deeper, u, i)).getMessage()
                .contains("same depth"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelMean.of(nmf, headed, u, i)).getMessage()
                .contains("without a head"));
    }
}
