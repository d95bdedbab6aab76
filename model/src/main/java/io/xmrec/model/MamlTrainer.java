package io.xmrec.model;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;

import java.util.Arrays;
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
 * {@code H v ~ (g_a(theta + eps v) - g_a(theta - eps v)) / (2 eps)}, exact to O(eps^2), and the
 * gradients come from {@link NmfKernel}, the same network written out by hand. The
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
        NmfKernel kernel = NmfKernel.of(init);
        double[] theta = kernel.read(init.net());
        MetaGradient mg = new MetaGradient(kernel, options.fastLr(), options.firstOrder(), options.fdEps());

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
        // lazy tables: a meta-step costs what its K-shot batches touch, not the size of the tables
        boolean lazy = init.options().tableUpdates().lazy(init.users().size(), init.items().size());
        Adam adam = new Adam(theta.length, options.metaLr(), options.l2());
        NmfGradient sum = kernel.newGradient();
        long total = 0;
        long nanos = 0;
        for (int epoch = 1; epoch <= options.epochs(); epoch++) {
            long t0 = System.nanoTime();
            double lossSum = 0;
            for (int s = 0; s < steps; s++) {
                NcfTrainer.checkInterrupted();
                sum.clear();
                for (SampleStream stream : streams) {
                    NmfKernel.Batch adapt = stream.nextBatch(options.shots());
                    NmfKernel.Batch eval = stream.nextBatch(options.shots());
                    if (adapt == null) {
                        continue;
                    }
                    lossSum += mg.accumulate(theta, adapt, eval, sum);
                }
                adam.step(theta, sum, 1.0 / streams.length, lazy);
                total++;
            }
            long epochNanos = System.nanoTime() - t0;
            nanos += epochNanos;
            if (listener != null) {
                listener.epochDone(epoch, options.epochs(), steps, lossSum / Math.max(1, (long) steps * streams.length),
                        epochNanos / 1e9, toModel(init, kernel, theta));
            }
        }
        return new MamlRun(toModel(init, kernel, theta), nanos / 1e9, total);
    }

    private static NcfModel toModel(NcfModel init, NmfKernel kernel, double[] theta) {
        NcfModel out = init.copy();
        kernel.write(theta, out.net());
        return out;
    }

    /** MAML's meta-optimiser: {@link FlatAdam} on every parameter or, lazily, on what a step's batches touched. */
    static final class Adam {
        private final FlatAdam adam;
        /** The gradient as a full vector, for dense steps only. */
        private double[] flat;
        private int t;

        Adam(int size, double lr, double l2) {
            this.adam = new FlatAdam(size, lr, l2);
        }

        /**
         * One step with gradient {@code scale * grad}: on every parameter, or ({@code lazy}) on the
         * touched table rows and the dense layers only.
         */
        void step(double[] theta, NmfGradient grad, double scale, boolean lazy) {
            t++;
            if (lazy) {
                grad.forEachRange((from, at, length) -> adam.update(theta, from, grad.values, at, length, scale, t));
            } else {
                // dense tables (small ones, see TableUpdates): every parameter, zero gradient off the support
                if (flat == null) {
                    flat = new double[theta.length];
                }
                grad.addTo(flat, 1);
                adam.update(theta, 0, flat, 0, theta.length, scale, t);
                grad.forEachRange((from, at, length) -> java.util.Arrays.fill(flat, from, from + length, 0));
            }
        }
    }

    /** The per-market meta-gradient of one MAML step, with the hand-written NMF kernel as gradient oracle. */
    static final class MetaGradient {
        private final NmfKernel kernel;
        private final double beta;
        private final boolean firstOrder;
        private final double eps;
        private final NmfGradient ga;
        private final NmfGradient ge;
        private final NmfGradient plus;
        private final NmfGradient minus;

        MetaGradient(NmfKernel kernel, double beta, boolean firstOrder, double eps) {
            this.kernel = kernel;
            this.beta = beta;
            this.firstOrder = firstOrder;
            this.eps = eps;
            this.ga = kernel.newGradient();
            this.ge = kernel.newGradient();
            this.plus = kernel.newGradient();
            this.minus = kernel.newGradient();
        }

        /** The post-adaptation loss L_e(theta - beta grad L_a(theta)): what the meta-gradient differentiates. */
        double postAdaptationLoss(double[] theta, NmfKernel.Batch adapt, NmfKernel.Batch eval) {
            ga.clear();
            kernel.lossAndGradient(theta, adapt, ga);
            ga.perturb(theta, -beta);
            double loss = kernel.loss(theta, eval);
            ga.restore(theta);
            return loss;
        }

        /** Adds this market's meta-gradient to {@code sum}; returns the evaluate loss after adaptation. */
        double accumulate(double[] theta, NmfKernel.Batch adapt, NmfKernel.Batch eval, NmfGradient sum) {
            ga.clear();
            kernel.lossAndGradient(theta, adapt, ga);
            ga.perturb(theta, -beta); // theta' = theta - beta g_a(theta), in place, undone below
            ge.clear();
            double evalLoss = kernel.lossAndGradient(theta, eval, ge);
            ga.restore(theta);
            ge.addInto(sum, 1);
            if (!firstOrder) {
                double norm = ge.norm();
                if (norm > 0) {
                    // perturbation of norm eps along g': H g' ~ ||g'|| (g_a(theta + eps u) - g_a(theta - eps u)) / (2 eps)
                    double h = eps / norm;
                    plus.clear();
                    minus.clear();
                    ge.perturb(theta, h);
                    kernel.lossAndGradient(theta, adapt, plus);
                    ge.restore(theta);
                    ge.perturb(theta, -h);
                    kernel.lossAndGradient(theta, adapt, minus);
                    ge.restore(theta);
                    plus.addInto(sum, -beta / (2 * h));
                    minus.addInto(sum, beta / (2 * h));
                }
            }
            return evalLoss;
        }
    }
}
