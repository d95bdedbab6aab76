package io.xmrec.model;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NcfModelTest {

    @TempDir
    Path tmp;

    /** A tiny market with structure: users of group g like items of group g. */
    static CrossMarketDataset tinyMarket(String market, int users, long seed) {
        Random rnd = new Random(seed);
        List<Interaction> ev = new ArrayList<>();
        long seq = 0;
        for (int u = 0; u < users; u++) {
            int group = u % 4;
            for (int k = 0; k < 10; k++) {
                int item = group * 10 + rnd.nextInt(10);
                ev.add(new Interaction(market + "u" + u, "item" + item, 5f, k, seq++));
            }
        }
        return CrossMarketDataset.of(List.of(new LeaveOneOutSplitter(7).split(market, ev)));
    }

    @Test
    void lossFallsForEveryArchitecture() {
        CrossMarketDataset d = tinyMarket("xx", 40, 1);
        NcfOptions o = NcfOptions.paper().withEpochs(30).withBatchSize(64);
        for (NcfArchitecture a : List.of(NcfArchitecture.GMF, NcfArchitecture.MLP, NcfArchitecture.NMF)) {
            List<Double> losses = new ArrayList<>();
            NcfTrainer t = new NcfTrainer(o, (r, m) -> losses.add(r.meanLoss()));
            NcfModel gmf = a == NcfArchitecture.GMF ? null : new NcfTrainer(o.withEpochs(2), null).trainGmf(d).model();
            NcfModel mlp = a == NcfArchitecture.NMF ? new NcfTrainer(o.withEpochs(2), null).trainMlp(d, gmf).model() : null;
            switch (a) {
                case GMF -> t.trainGmf(d);
                case MLP -> t.trainMlp(d, gmf);
                case NMF -> t.trainNmf(d, gmf, mlp);
                default -> throw new IllegalStateException();
            }
            assertEquals(30, losses.size());
            double first = (losses.get(0) + losses.get(1)) / 2;
            double last = (losses.get(28) + losses.get(29)) / 2;
            assertTrue(last < 0.8 * first, a + ": loss went from " + first + " to " + last);
        }
    }

    @Test
    void nmfStartsAsTheAverageOfGmfAndMlpLogits() {
        CrossMarketDataset d = tinyMarket("xx", 20, 2);
        NcfOptions o = NcfOptions.paper().withEpochs(3).withBatchSize(64);
        NcfModel gmf = new NcfTrainer(o, null).trainGmf(d).model();
        NcfModel mlp = new NcfTrainer(o, null).trainMlp(d, gmf).model();
        NcfModel nmf = new NcfTrainer(o.withEpochs(0), null).trainNmf(d, gmf, mlp).model();
        int[] u = {0, 1, 2, 3, 4, 5};
        int[] i = {0, 5, 9, 12, 20, 33};
        float[] sg = gmf.score(u, i);
        float[] sm = mlp.score(u, i);
        float[] sn = nmf.score(u, i);
        for (int k = 0; k < u.length; k++) {
            double expected = sigmoid(0.5 * (logit(sg[k]) + logit(sm[k])));
            assertEquals(expected, sn[k], 1e-4, "pair " + k);
        }
    }

    private static double logit(double p) {
        return Math.log(p / (1 - p));
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    @Test
    void aRetrainFromTheLastModelStartsWhereItEndedForWhatItKnew() {
        CrossMarketDataset earlier = tinyMarket("xx", 20, 5);
        CrossMarketDataset grown = tinyMarket("xx", 32, 5); // the same 20 users' interactions, and 12 more users
        NcfOptions o = NcfOptions.paper().withEpochs(2).withBatchSize(64);
        NcfModel gmf = new NcfTrainer(o, null).trainGmf(earlier).model();
        NcfModel mlp = new NcfTrainer(o, null).trainMlp(earlier, gmf).model();
        NcfModel last = new NcfTrainer(o, null).trainNmf(earlier, gmf, mlp).model();
        NcfModel started = new NcfTrainer(o.withEpochs(0), null).trainFrom(last, grown).model();
        assertEquals(NcfArchitecture.NMF, started.architecture());
        assertEquals(grown.users().size(), started.users().size());
        int known = 0;
        for (int r = 0; r < started.users().size(); r++) {
            int before = last.users().indexOf(started.users().id(r));
            if (before < 0) {
                continue;
            }
            known++;
            for (int i = 0; i < started.items().size(); i++) {
                int j = last.items().indexOf(started.items().id(i));
                if (j >= 0) {
                    assertEquals(last.score(new int[] {before}, new int[] {j})[0],
                            started.score(new int[] {r}, new int[] {i})[0], 1e-6, "user " + started.users().id(r));
                }
            }
        }
        assertEquals(last.users().size(), known, "every user of the last model kept its rows");
        NcfModel trained = new NcfTrainer(o, null).trainFrom(last, grown).model();
        int fresh = started.users().indexOf(CrossMarketDataset.userKey("xx", "xxu30"));
        assertTrue(fresh >= 0 && last.users().indexOf(CrossMarketDataset.userKey("xx", "xxu30")) < 0, "a new user has a row");
        assertTrue(trained.score(new int[] {fresh}, new int[] {0})[0] != started.score(new int[] {fresh}, new int[] {0})[0],
                "training moved it");
    }

    @Test
    void saveAndLoadScoresIdentically() {
        CrossMarketDataset d = tinyMarket("xx", 20, 3);
        NcfOptions o = NcfOptions.paper().withEpochs(2).withBatchSize(64);
        NcfModel gmf = new NcfTrainer(o, null).trainGmf(d).model();
        NcfModel mlp = new NcfTrainer(o, null).trainMlp(d, gmf).model();
        NcfModel nmf = new NcfTrainer(o, null).trainNmf(d, gmf, mlp).model();
        int n = d.users().size() * d.items().size();
        int[] u = new int[n];
        int[] i = new int[n];
        for (int k = 0; k < n; k++) {
            u[k] = k / d.items().size();
            i[k] = k % d.items().size();
        }
        for (NcfModel m : List.of(gmf, mlp, nmf)) {
            Path dir = tmp.resolve(m.architecture().label());
            m.save(dir);
            NcfModel back = NcfModel.load(dir);
            assertEquals(m.architecture(), back.architecture());
            assertEquals(m.users().ids(), back.users().ids());
            assertEquals(m.items().ids(), back.items().ids());
            assertEquals(m.options(), back.options());
            assertEquals(m.markets(), back.markets());
            assertArrayEquals(m.score(u, i), back.score(u, i), m.architecture().label());
        }
    }

    @Test
    void loadingSomethingElseSaysWhatIsMissing() {
        Exception e = assertThrows(RuntimeException.class, () -> NcfModel.load(tmp));
        assertTrue(e.getMessage().contains("is not a saved xmrec model"), e.getMessage());
    }

    @Test
    void crossMarketTrainingTakesOneBatchOfEveryMarketPerStep() {
        CrossMarketDataset small = tinyMarket("aa", 8, 4);
        CrossMarketDataset big = tinyMarket("bb", 80, 5);
        CrossMarketDataset both = CrossMarketDataset.of(List.of(
                new LeaveOneOutSplitter(7).split("aa", interactions(small)),
                new LeaveOneOutSplitter(7).split("bb", interactions(big))));
        NcfOptions o = NcfOptions.paper().withEpochs(1).withBatchSize(32);
        NcfTrainer.TrainingRun run = new NcfTrainer(o, null).trainGmf(both);
        int bigSamples = both.market("bb").trainInteractions() * 5;
        int steps = (bigSamples + 31) / 32;
        // the big market once, the small one cycled for as many full batches
        assertEquals(bigSamples + (long) steps * 32 - countPartial(both.market("aa").trainInteractions() * 5, steps, 32),
                run.samples());
        assertEquals(both.users().size(), run.model().net().users());
        assertEquals(both.users().size() * o.gmfDim(), run.model().net().get("gmf_user_W").length);
    }

    /** Samples missing from the small market's batches: the last batch of each pass may be short. */
    private static long countPartial(int perPass, int steps, int b) {
        long full = 0;
        int pos = 0;
        for (int s = 0; s < steps; s++) {
            if (pos >= perPass) {
                pos = 0;
            }
            int to = Math.min(perPass, pos + b);
            full += to - pos;
            pos = to;
        }
        return (long) steps * b - full;
    }

    private static List<Interaction> interactions(CrossMarketDataset d) {
        List<Interaction> out = new ArrayList<>();
        var m = d.target();
        long seq = 0;
        for (int r = 0; r < m.users(); r++) {
            for (int item : m.trainItems(r)) {
                out.add(new Interaction(m.userId(r), d.items().id(item), 5, 0, seq++));
            }
            out.add(new Interaction(m.userId(r), d.items().id(m.validationItem(r)), 5, 1, seq++));
            out.add(new Interaction(m.userId(r), d.items().id(m.testItem(r)), 5, 2, seq++));
        }
        return out;
    }
}
