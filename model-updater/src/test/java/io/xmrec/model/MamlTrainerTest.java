package io.xmrec.model;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MamlTrainerTest {

    @BeforeAll
    static void threads() {
        NativeThreads.apply(1);
    }

    static CrossMarketDataset twoMarkets() {
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

    private static MultiDataSet batch(CrossMarketDataset d, long seed) {
        return new SampleStream(d.market("aa"), 4, new SplittableRandom(seed)).nextFull(20);
    }

    @Test
    void secondOrderMetaGradientMatchesTheNumericalDerivativeOfThePostAdaptationLoss() {
        CrossMarketDataset d = twoMarkets();
        NcfOptions o = NcfOptions.defaults().withL2(0).withEmbeddingStd(0.3);
        ComputationGraph g = NcfNetworks.build(NcfArchitecture.NMF, d.users().size(), d.items().size(), o, DataType.DOUBLE);
        MultiDataSet adapt = batch(d, 1);
        MultiDataSet eval = batch(d, 2);
        double beta = 0.5; // large enough that the Hessian term matters
        MamlTrainer.MetaGradient second = new MamlTrainer.MetaGradient(g, beta, false, 1e-4);
        MamlTrainer.MetaGradient first = new MamlTrainer.MetaGradient(g, beta, true, 1e-4);
        INDArray theta = g.params().dup();
        INDArray mg2 = theta.ulike().assign(0);
        INDArray mg1 = theta.ulike().assign(0);
        second.accumulate(theta, adapt, eval, mg2);
        first.accumulate(theta, adapt, eval, mg1);
        Random rnd = new Random(3);
        double worstSecond = 0;
        double sumFirstError = 0;
        double sumNorm = 0;
        for (int trial = 0; trial < 5; trial++) {
            INDArray v = Nd4j.create(DataType.DOUBLE, theta.shape());
            for (long i = 0; i < v.length(); i++) {
                v.putScalar(i, rnd.nextGaussian());
            }
            v.divi(v.norm2Number());
            double h = 1e-5;
            double numeric = (second.postAdaptationLoss(theta.add(v.mul(h)), adapt, eval)
                    - second.postAdaptationLoss(theta.sub(v.mul(h)), adapt, eval)) / (2 * h);
            double analytic2 = mg2.mul(v).sumNumber().doubleValue();
            double analytic1 = mg1.mul(v).sumNumber().doubleValue();
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
        NcfOptions o = NcfOptions.defaults().withEpochs(3).withBatchSize(64);
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
        assertTrue(!run.model().graph().params().equals(nmf.graph().params()));
    }
}
