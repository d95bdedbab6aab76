package io.xmrec.model;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;
import java.util.SplittableRandom;

/**
 * MAML pre-training of the NMF trunk across markets (tasks = markets, iterated in turn).
 *
 * <p>One meta-step: for every market draw two K-shot batches (adapt, evaluate), take one SGD step
 * with the fast learning rate beta on the adapt batch, {@code theta' = theta - beta g_a(theta)},
 * and differentiate the evaluate loss at theta' with respect to theta:
 * {@code g' - beta H_a(theta) g'} where {@code g' = grad L_e(theta')}. DL4J cannot differentiate
 * through a gradient, so the Hessian-vector product is a central finite difference of gradients,
 * {@code H v ~ (g_a(theta + eps v) - g_a(theta - eps v)) / (2 eps)}, exact to O(eps^2). The
 * meta-gradients of the markets are averaged and applied with Adam (plus L2 as weight decay).
 * First-order MAML (dropping the Hessian term) is an option, not a silent fallback.
 *
 * <p>An epoch has as many meta-steps as the largest market has pairs of K-shot batches in one pass
 * over its samples (the reference implementation's choice): every market's data is seen about once
 * per epoch as adapt or evaluate batch, the smaller markets cycling.
 */
public final class MamlTrainer {

    /** Told after every epoch. */
    @FunctionalInterface
    public interface EpochListener {
        void epochDone(int epoch, int epochs, int metaSteps, double meanEvalLoss, double seconds, NcfModel model);
    }

    /** The meta-trained model and its cost. */
    public record MamlRun(NcfModel model, double seconds, long metaSteps) {
        public double metaStepsPerSecond() {
            return seconds > 0 ? metaSteps / seconds : 0;
        }
    }

    private final MamlOptions options;
    private final long seed;
    private final int negatives;
    private final EpochListener listener;

    public MamlTrainer(MamlOptions options, long seed, int negatives, EpochListener listener) {
        this.options = options;
        this.seed = seed;
        this.negatives = negatives;
        this.listener = listener;
    }

    /** Meta-trains a copy of {@code init} (an NMF, usually NMF++) on the markets of {@code data}. */
    public MamlRun train(NcfModel init, CrossMarketDataset data) {
        if (init.architecture() != NcfArchitecture.NMF) {
            throw new IllegalArgumentException("MAML starts from an NMF model, got " + init.architecture().label());
        }
        // A working copy without L2 in the loss: the meta-update applies L2 itself.
        NcfOptions working = init.options().withL2(0);
        ComputationGraph g = NcfNetworks.build(NcfArchitecture.NMF, init.users().size(), init.items().size(), working,
                init.graph().params().dataType());
        g.setParams(init.graph().params().dup());
        MetaGradient mg = new MetaGradient(g, options.fastLr(), options.firstOrder(), options.fdEps());

        List<IndexedMarket> markets = data.markets();
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x4D414D4CL);
        SampleStream[] streams = new SampleStream[markets.size()];
        int steps = 0;
        for (int k = 0; k < streams.length; k++) {
            streams[k] = new SampleStream(markets.get(k), negatives, rnd);
            steps = Math.max(steps, streams[k].epochSize() / (2 * options.shots()));
        }
        if (options.maxMetaSteps() > 0) {
            steps = Math.min(steps, options.maxMetaSteps());
        }
        INDArray theta = g.params().dup();
        Adam adam = new Adam(theta, options.metaLr(), options.l2());
        INDArray sum = theta.ulike();
        long total = 0;
        long nanos = 0;
        for (int epoch = 1; epoch <= options.epochs(); epoch++) {
            long t0 = System.nanoTime();
            double lossSum = 0;
            for (int s = 0; s < steps; s++) {
                sum.assign(0);
                for (SampleStream stream : streams) {
                    MultiDataSet adapt = stream.nextFull(options.shots());
                    MultiDataSet eval = stream.nextFull(options.shots());
                    if (adapt == null) {
                        continue;
                    }
                    lossSum += mg.accumulate(theta, adapt, eval, sum);
                }
                sum.divi(streams.length);
                adam.step(theta, sum);
                total++;
            }
            long epochNanos = System.nanoTime() - t0;
            nanos += epochNanos;
            if (listener != null) {
                g.setParams(theta);
                listener.epochDone(epoch, options.epochs(), steps, lossSum / Math.max(1, (long) steps * streams.length),
                        epochNanos / 1e9, wrap(init, g));
            }
        }
        g.setParams(theta);
        ComputationGraph out = NcfNetworks.build(NcfArchitecture.NMF, init.users().size(), init.items().size(),
                init.options(), init.graph().params().dataType());
        out.setParams(theta);
        return new MamlRun(wrap(init, out), nanos / 1e9, total);
    }

    private static NcfModel wrap(NcfModel init, ComputationGraph g) {
        return new NcfModel(NcfArchitecture.NMF, g, init.users(), init.items(), init.options(), init.markets());
    }

    /** Adam on a flat parameter vector, with L2 added to the gradient (PyTorch's weight_decay). */
    static final class Adam {
        private final double lr;
        private final double l2;
        private final INDArray m;
        private final INDArray v;
        private int t;

        Adam(INDArray like, double lr, double l2) {
            this.lr = lr;
            this.l2 = l2;
            this.m = like.ulike().assign(0);
            this.v = like.ulike().assign(0);
        }

        void step(INDArray theta, INDArray grad) {
            t++;
            INDArray g = l2 > 0 ? grad.add(theta.mul(l2)) : grad;
            m.muli(0.9).addi(g.mul(0.1));
            v.muli(0.999).addi(g.mul(g).muli(0.001));
            double c1 = 1 - Math.pow(0.9, t);
            double c2 = 1 - Math.pow(0.999, t);
            INDArray denom = Transforms.sqrt(v.div(c2), false).addi(1e-8);
            theta.subi(m.div(c1).divi(denom).muli(lr));
        }
    }

    /** The per-market meta-gradient of one MAML step, on a graph used as a gradient oracle. */
    static final class MetaGradient {
        private final ComputationGraph g;
        private final double beta;
        private final boolean firstOrder;
        private final double eps;

        MetaGradient(ComputationGraph g, double beta, boolean firstOrder, double eps) {
            this.g = g;
            this.beta = beta;
            this.firstOrder = firstOrder;
            this.eps = eps;
        }

        /** Loss and gradient of the mean BCE of a batch at parameters {@code p}. */
        double gradient(INDArray p, MultiDataSet b, INDArray out) {
            g.setParams(p);
            g.setInputs(b.getFeatures());
            g.setLabels(b.getLabels());
            g.computeGradientAndScore();
            // DL4J's gradient is summed over the batch (its updater divides by the batch size); the loss is the mean.
            out.assign(g.gradient().gradient()).divi(b.getFeatures(0).rows());
            return g.score();
        }

        /** Loss of a batch at parameters {@code p}. */
        double loss(INDArray p, MultiDataSet b) {
            g.setParams(p);
            return g.score(b, false);
        }

        /** The post-adaptation loss L_e(theta - beta grad L_a(theta)): what the meta-gradient differentiates. */
        double postAdaptationLoss(INDArray theta, MultiDataSet adapt, MultiDataSet eval) {
            INDArray ga = theta.ulike();
            gradient(theta, adapt, ga);
            return loss(theta.sub(ga.muli(beta)), eval);
        }

        /** Adds this market's meta-gradient to {@code sum}; returns the evaluate loss after adaptation. */
        double accumulate(INDArray theta, MultiDataSet adapt, MultiDataSet eval, INDArray sum) {
            INDArray ga = theta.ulike();
            gradient(theta, adapt, ga);
            INDArray adapted = theta.sub(ga.muli(beta));
            INDArray ge = theta.ulike();
            double evalLoss = gradient(adapted, eval, ge);
            sum.addi(ge);
            if (!firstOrder) {
                double norm = ge.norm2Number().doubleValue();
                if (norm > 0) {
                    // perturbation of norm eps along g': H g' ~ ||g'|| (g_a(theta + eps u) - g_a(theta - eps u)) / (2 eps)
                    double h = eps / norm;
                    INDArray plus = theta.ulike();
                    INDArray minus = theta.ulike();
                    gradient(theta.add(ge.mul(h)), adapt, plus);
                    gradient(theta.sub(ge.mul(h)), adapt, minus);
                    sum.subi(plus.subi(minus).muli(beta / (2 * h)));
                }
            }
            return evalLoss;
        }
    }
}
