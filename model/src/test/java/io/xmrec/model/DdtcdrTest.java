package io.xmrec.model;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.UserSplit;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DdtcdrTest {

    private static Ddtcdr.Options small(double lambda) {
        return new Ddtcdr.Options(4, List.of(6, 3), 0.5, lambda, new Ddtcdr.Training(0.01, 0.0, 8, 32, 2, 7));
    }

    @Test
    void gradientMatchesFiniteDifferencesOnBothSides() {
        Ddtcdr m = new Ddtcdr(5, 7, small(0.3));
        SplittableRandom rnd = new SplittableRandom(3);
        for (int p = 0; p < m.theta.length; p++) {
            m.theta[p] += rnd.nextGaussian() * 0.3; // away from the identity X and tiny tables
        }
        int[] u = {0, 1, 2, 4, 1};
        int[] i = {1, 3, 6, 0, 1};
        float[] y = {1, 0, 1, 0, 0};
        for (int side = 0; side < 2; side++) {
            m.lossAndGradient(side, u, i, y);
            double[] g = m.gradient().clone();
            int checked = 0;
            for (int p = 0; p < m.theta.length; p++) {
                double keep = m.theta[p];
                m.theta[p] = keep + 1e-6;
                double up = m.lossAndGradient(side, u, i, y);
                m.theta[p] = keep - 1e-6;
                double down = m.lossAndGradient(side, u, i, y);
                m.theta[p] = keep;
                double numeric = (up - down) / 2e-6;
                assertEquals(numeric, g[p], 1e-5 + 1e-4 * Math.abs(numeric), "side " + side + " parameter " + p);
                if (Math.abs(numeric) > 1e-6) {
                    checked++;
                }
            }
            assertTrue(checked > 50, "the batch touches users, both markets' items, both MLPs' dense part and X: " + checked);
        }
    }

    /** Two small markets sharing items, where each user likes one of two item groups. */
    private static CrossMarketDataset twoMarkets() {
        List<MarketSplit> splits = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(11);
        for (String market : List.of("t", "s")) {
            List<UserSplit> users = new ArrayList<>();
            for (int n = 0; n < 40; n++) {
                int group = n % 2;
                List<Interaction> train = new ArrayList<>();
                List<Integer> picks = new ArrayList<>();
                while (picks.size() < 8) {
                    int item = group * 20 + rnd.nextInt(20);
                    if (!picks.contains(item)) {
                        picks.add(item);
                    }
                }
                for (int k = 0; k < 6; k++) {
                    train.add(new Interaction(market + n, "i" + picks.get(k), 5f, k, k));
                }
                users.add(new UserSplit(market + n, train, new Interaction(market + n, "i" + picks.get(6), 5f, 7, 7),
                        new Interaction(market + n, "i" + picks.get(7), 5f, 8, 8)));
            }
            splits.add(new MarketSplit(market, users, 0, 5));
        }
        return CrossMarketDataset.of(splits);
    }

    @Test
    void theItemMapStaysCloseToOrthogonalUnderTheRegulariserAndTheModelLearns() {
        CrossMarketDataset ds = twoMarkets();
        double[] gaps = new double[2];
        double[] losses = new double[2];
        for (int run = 0; run < 2; run++) {
            double lambda = run == 0 ? 1.0 : 0.0;
            Ddtcdr m = new Ddtcdr(ds.users().size(), ds.items().size(), small(lambda).withEpochs(30));
            double[] first = new double[1];
            m.train(ds.market("t"), ds.market("s"), (e, n, lt, ls, gap, secs) -> {
                if (e == 1) {
                    first[0] = lt;
                }
                losses[0] = lt;
            });
            assertTrue(losses[0] < first[0] * 0.8, "training lowers the target loss: " + first[0] + " -> " + losses[0]);
            gaps[run] = m.orthogonalityGap();
        }
        assertTrue(gaps[0] < 0.05, "with the regulariser X stays orthogonal: ||X^T X - I|| = " + gaps[0]);
        assertTrue(gaps[1] > gaps[0], "without it X drifts further: " + gaps[1] + " vs " + gaps[0]);
    }
}
