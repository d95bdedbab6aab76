package io.xmrec.model;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.net.Net;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class MamlTrainerTest {

    public static CrossMarketDataset twoMarkets() {
        Random rnd = new Random(11);
        List<Interaction> a = new ArrayList<>();
        List<Interaction> b = new ArrayList<>();
        long seq = 0;
        for (int u = 0; u < 12; u++) {
            for (int k = 0; k < 8; k++) {
                a.add(new Interaction("a" + u, "i" + ((u % 3) * 5 + rnd.nextInt(5)), 5, k, seq++));
                b.add(new Interaction("b" + u, "i" + ((u % 3) * 5 + rnd.nextInt(7)), 5, k, seq++));
            }
        }
        return CrossMarketDataset.of(List.of(new LeaveOneOutSplitter(7).split("aa", a),
                new LeaveOneOutSplitter(7).split("bb", b)));
    }

    static NmfKernel.Batch batch(CrossMarketDataset d, long seed) {
        return new SampleStream(d.market("aa"), 4, new SplittableRandom(seed)).nextBatch(20);
    }

    @Test
    void secondOrderMetaGradientMatchesTheNumericalDerivativeOfThePostAdaptationLoss() {
        CrossMarketDataset d = twoMarkets();
        NcfOptions o = NcfOptions.paper().withL2(0).withEmbeddingStd(0.3);
        Net g = Net.init(NcfArchitecture.NMF.shape(o), d.users().size(), d.items().size(), o.embeddingStd(), 1);
        NmfKernel kernel = new NmfKernel(d.users().size(), d.items().size(), o);
        NmfKernel.Batch adapt = batch(d, 1);
        NmfKernel.Batch eval = batch(d, 2);
        double beta = 0.5; // large enough that the Hessian term matters
        MamlTrainer.MetaGradient second = new MamlTrainer.MetaGradient(kernel, beta, false, 1e-4);
        MamlTrainer.MetaGradient first = new MamlTrainer.MetaGradient(kernel, beta, true, 1e-4);
        double[] theta = kernel.read(g);
        double[] before = theta.clone();
        NmfGradient sum2 = kernel.newGradient();
        NmfGradient sum1 = kernel.newGradient();
        second.accumulate(theta, adapt, eval, sum2);
        first.accumulate(theta, adapt, eval, sum1);
        double[] mg2 = sum2.toArray();
        double[] mg1 = sum1.toArray();
        assertArrayEquals(before, theta, "the meta-gradient must leave theta exactly as it found it");
        Random rnd = new Random(3);
        double worstSecond = 0;
        double sumFirstError = 0;
        double sumNorm = 0;
        for (int trial = 0; trial < 5; trial++) {
            double[] v = new double[theta.length];
            double norm = 0;
            for (int i = 0; i < v.length; i++) {
                v[i] = rnd.nextGaussian();
                norm += v[i] * v[i];
            }
            double h = 1e-5 / Math.sqrt(norm);
            double[] up = theta.clone();
            double[] down = theta.clone();
            double analytic2 = 0;
            double analytic1 = 0;
            for (int i = 0; i < v.length; i++) {
                up[i] += h * v[i];
                down[i] -= h * v[i];
                analytic2 += mg2[i] * v[i] / Math.sqrt(norm);
                analytic1 += mg1[i] * v[i] / Math.sqrt(norm);
            }
            double numeric = (second.postAdaptationLoss(up, adapt, eval) - second.postAdaptationLoss(down, adapt, eval))
                    / (2 * 1e-5);
            worstSecond = Math.max(worstSecond, Math.abs(analytic2 - numeric) / Math.max(1e-8, Math.abs(numeric)));
            sumFirstError += Math.abs(analytic1 - numeric);
            sumNorm += Math.abs(numeric);
        }
        assertTrue(worstSecond < 1e-3, "second-order meta-gradient off by " + worstSecond + " (relative)");
        assertTrue(sumFirstError / sumNorm > 10 * worstSecond,
                "first-order MAML should be visibly worse here: " + sumFirstError / sumNorm + " vs " + worstSecond);
    }

    @Test
    void metaTrainingRunsAndLowersTheEvaluateLoss() {
        CrossMarketDataset d = twoMarkets();
        NcfOptions o = NcfOptions.paper().withEpochs(3).withBatchSize(64);
        NcfModel gmf = new NcfTrainer(o, null).trainGmf(d).model();
        NcfModel mlp = new NcfTrainer(o, null).trainMlp(d, gmf).model();
        NcfModel nmf = new NcfTrainer(o, null).trainNmf(d, gmf, mlp).model();
        List<Double> losses = new ArrayList<>();
        MamlTrainer.MamlRun run = new MamlTrainer(MamlOptions.defaults().withEpochs(8), 5, 4,
                (e, n, steps, loss, secs, m) -> losses.add(loss)).train(nmf, d);
        assertEquals(8, losses.size());
        assertTrue(run.metaSteps() > 0);
        assertTrue(losses.get(7) < losses.get(0), losses.toString());
        // the trunk changed, the input model did not
        assertTrue(!java.util.Arrays.equals(run.model().net().get("out_W"), nmf.net().get("out_W")));
        assertTrue(run.model().net() != nmf.net());
    }
}
