package io.xmrec.model;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.net.Gradient;
import io.xmrec.core.net.NetKernel;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains GMF, MLP and NMF on one market or, for the {@code ++} variants, on a target plus source
 * markets with equal sampling per step: each step takes one batch of every market in turn, an
 * epoch lasts as many steps as the largest market has batches, and smaller markets start over
 * (with fresh negatives) when they run out. Negatives are re-sampled every epoch. Each batch is one
 * Adam step on the tensors the model lets train ({@link NcfModel#trainable}), computed by the
 * plain-Java {@link NetKernel}.
 *
 * <p>Initialisation follows the reference implementation: MLP starts from the trained GMF's
 * embeddings when one is given; NMF starts from trained GMF and MLP, with output weights
 * 0.5 * [w_mlp ; w_gmf] and bias 0.5 * (b_mlp + b_gmf).
 */
public final class NcfTrainer {

    /** Told after every epoch; may evaluate the model it is given. */
    @FunctionalInterface
    public interface EpochListener {
        void epochDone(EpochReport report, NcfModel model);
    }

    /**
     * What one epoch did.
     *
     * @param pace       the epoch's samples and time
     * @param validation the model's validation nDCG@10 after the epoch, when a validation is given (else NaN)
     * @param best       whether it is the best epoch so far (the one early stopping keeps)
     */
    public record EpochReport(NcfArchitecture architecture, int epoch, int epochs, double meanLoss, Pace pace,
                              double validation, boolean best) {

        public double samplesPerSecond() {
            return pace.samplesPerSecond();
        }

        public double etaSeconds() {
            return pace.etaSeconds();
        }
    }

    /**
     * An epoch's work and time.
     *
     * @param samples          training samples (meta-steps for MAML)
     * @param samplesPerSecond samples per second (0 where the unit is not a sample)
     * @param etaSeconds       estimated seconds left for this model
     */
    public record Pace(long samples, double seconds, double samplesPerSecond, double etaSeconds) {
    }

    /** A trained model and what its training cost. */
    public record TrainingRun(NcfModel model, double seconds, long samples) {
        public double samplesPerSecond() {
            return seconds > 0 ? samples / seconds : 0;
        }
    }

    private final NcfOptions options;
    private final EpochListener listener;
    private final java.util.function.ToDoubleFunction<NcfModel> validation;
    private final boolean marketAware;
    private final boolean keepZeroWeights;

    public NcfTrainer(NcfOptions options, EpochListener listener) {
        this(options, listener, null);
    }

    /**
     * @param validation the model's validation nDCG@10 (on the target), computed after every epoch when given: shown
     *                   in the epoch reports and, with {@link NcfOptions#patience()}, what early stopping follows
     */
    public NcfTrainer(NcfOptions options, EpochListener listener, java.util.function.ToDoubleFunction<NcfModel> validation) {
        this(options, listener, validation, false, false);
    }

    private NcfTrainer(NcfOptions options, EpochListener listener, java.util.function.ToDoubleFunction<NcfModel> validation,
                       boolean marketAware, boolean keepZeroWeights) {
        this.options = options;
        this.listener = listener;
        this.validation = validation;
        this.marketAware = marketAware;
        this.keepZeroWeights = keepZeroWeights;
    }

    /** Trains GMF from scratch. */
    public TrainingRun trainGmf(CrossMarketDataset data) {
        return train(fresh(NcfArchitecture.GMF, data), data);
    }

    /** Trains MLP, its embeddings initialised from a trained GMF when one is given. */
    public TrainingRun trainMlp(CrossMarketDataset data, NcfModel gmf) {
        NcfModel m = fresh(NcfArchitecture.MLP, data);
        if (gmf != null) {
            ParameterTransfer.mlpEmbeddingsFromGmf(m, gmf);
        }
        return train(m, data);
    }

    /** Trains NMF initialised from a trained GMF and MLP. */
    public TrainingRun trainNmf(CrossMarketDataset data, NcfModel gmf, NcfModel mlp) {
        NcfModel m = fresh(NcfArchitecture.NMF, data);
        ParameterTransfer.nmfFromGmfAndMlp(m, gmf, mlp);
        return train(m, data);
    }

    /**
     * Trains a model of {@code from}'s architecture on {@code data} starting where {@code from} ended: the rows of
     * every user and item it has, its dense tensors; users and items new to it start as a fresh model's. A retrain
     * on data that grew since {@code from} was trained, at the cost of one stage where a chain trains three from
     * scratch.
     */
    public TrainingRun trainFrom(NcfModel from, CrossMarketDataset data) {
        NcfModel m = fresh(from.architecture(), data);
        ParameterTransfer.warmStart(m, from, true);
        return train(m, data);
    }

    private NcfModel fresh(NcfArchitecture arch, CrossMarketDataset data) {
        List<String> markets = data.markets().stream().map(IndexedMarket::market).toList();
        return NcfModel.fresh(arch, data.users(), data.items(), options, markets, marketAware);
    }

    /**
     * This trainer, building its fresh models market-aware (a vector per market and branch that
     * multiplies the item vectors, Bhargav et al.): what the {@code ma-} recipes train.
     */
    public NcfTrainer marketAware() {
        return new NcfTrainer(options, listener, validation, true, keepZeroWeights);
    }

    /**
     * This trainer, holding the dense layers' weights that are exactly zero when training starts at zero
     * ({@link io.xmrec.core.net.Adam#keepZeroWeights}): fine-tuning a mean of two networks ({@link ModelMean}) keeps
     * it two networks averaged, at its scoring cost. It trains on the kernel whatever the engine: DL4J's updater
     * has no per-weight hold (a mean is narrow enough that the kernel is the faster engine for it anyway).
     */
    public NcfTrainer keepingZeroWeights(boolean keep) {
        return new NcfTrainer(options, listener, validation, marketAware, keep);
    }

    /** Stops a training whose thread was interrupted (a service shutting down), between two steps. */
    static void checkInterrupted() {
        if (Thread.currentThread().isInterrupted()) {
            throw new java.util.concurrent.CancellationException("training interrupted");
        }
    }

    /** Runs the configured number of epochs on a model whose vocabularies match the data set. */
    public TrainingRun train(NcfModel model, CrossMarketDataset data) {
        if (model.users().size() != data.users().size() || model.items().size() != data.items().size()) {
            throw new IllegalArgumentException("model vocabularies (" + model.users().size() + " users, "
                    + model.items().size() + " items) do not match the data set (" + data.users().size() + ", "
                    + data.items().size() + ")");
        }
        List<IndexedMarket> markets = data.markets();
        int b = options.batchSize();
        SplittableRandom rnd = new SplittableRandom(options.seed() ^ (model.architecture().ordinal() + 1) * 0x5DEECE66DL);
        boolean[] trainable = Gradient.only(model.net(), model.trainable());
        boolean lazy = options.tableUpdates().lazy(model.users().size(), model.items().size());
        try (Engine.Steps steps = options.engine().open(model, trainable, lazy, b, keepZeroWeights)) {
            return train(model, markets, steps, rnd, b);
        }
    }

    private TrainingRun train(NcfModel model, List<IndexedMarket> markets, Engine.Steps engine, SplittableRandom rnd, int b) {
        long totalSamples = 0;
        long trainNanos = 0; // excludes validation and the listener's time
        double bestValid = Double.NEGATIVE_INFINITY;
        io.xmrec.core.net.Net bestNet = null;
        int sinceBest = 0;
        boolean early = validation != null && options.patience() > 0;
        for (int epoch = 1; epoch <= options.epochs(); epoch++) {
            long e0 = System.nanoTime();
            SampleStream[] cursors = new SampleStream[markets.size()];
            int steps = 0;
            for (int k = 0; k < cursors.length; k++) {
                cursors[k] = new SampleStream(markets.get(k), options.negatives(), rnd);
                steps = Math.max(steps, (cursors[k].epochSize() + b - 1) / b);
            }
            double lossSum = 0;
            long batches = 0;
            long lossBatches = 0;
            long epochSamples = 0;
            for (int s = 0; s < steps; s++) {
                checkInterrupted();
                for (SampleStream c : cursors) {
                    SampleStream.Batch batch = c.next(b);
                    if (batch == null) {
                        continue;
                    }
                    double loss = engine.step(batch.users(), batch.items(), batch.labels(), batch.from(), batch.count());
                    if (!Double.isNaN(loss)) {
                        lossSum += loss;
                        lossBatches++;
                    }
                    batches++;
                    epochSamples += batch.count();
                }
            }
            totalSamples += epochSamples;
            engine.sync();
            long epochNanos = System.nanoTime() - e0;
            trainNanos += epochNanos;
            double secs = epochNanos / 1e9;
            double eta = trainNanos / 1e9 / epoch * (options.epochs() - epoch);
            double valid = validation == null ? Double.NaN : validation.applyAsDouble(model);
            boolean best = valid > bestValid;
            if (best) {
                bestValid = valid;
                sinceBest = 0;
                if (early) {
                    bestNet = model.net().copy();
                }
            } else {
                sinceBest++;
            }
            if (listener != null) {
                listener.epochDone(new EpochReport(model.architecture(), epoch, options.epochs(),
                        lossBatches == 0 ? Double.NaN : lossSum / lossBatches, new Pace(epochSamples, secs,
                        secs > 0 ? epochSamples / secs : 0, eta), valid, best), model);
            }
            if (early && sinceBest >= options.patience()) {
                break;
            }
        }
        if (bestNet != null) {
            // early stopping keeps the epoch with the best validation nDCG@10
            for (int t = 0; t < bestNet.tensors(); t++) {
                System.arraycopy(bestNet.values(t), 0, model.net().values(t), 0, bestNet.values(t).length);
            }
        }
        return new TrainingRun(model, trainNanos / 1e9, totalSamples);
    }
}
