package io.xmrec.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hyper-parameters of an NCF model and its training run. Defaults are the paper's: GMF and MLP
 * dimension 8, MLP layers 16-64-32-16-8, Adam with lr 0.005 (GMF) / 0.01 (MLP, NMF), L2 1e-7,
 * batch 1024, 4 negatives per positive, 25 epochs.
 *
 * @param gmfDim          GMF embedding dimension
 * @param mlpDim          MLP embedding dimension (the first MLP layer is 2 * mlpDim wide)
 * @param mlpLayers       MLP layer widths, the first being the concatenated embeddings
 * @param learningRate    Adam learning rate; null means the architecture's default
 * @param l2              L2 regularisation of weights
 * @param batchSize       samples per gradient step
 * @param negatives       negatives per training positive, re-sampled every epoch
 * @param epochs          passes over the (largest) market's samples
 * @param embeddingStd    standard deviation of the normal initialisation of embeddings
 * @param seed            seed of initialisation, sampling and shuffling
 * @param itemBias        whether the network learns a bias per item (added to the output's logit)
 * @param patience        early stopping: stop after this many epochs without a better validation nDCG@10 and keep
 *                        the best epoch's model (0: every epoch, the last one kept)
 * @param tableUpdates    how the user and item tables are updated ({@link TableUpdates})
 * @param engine          what takes the training steps: the plain-Java kernel or DeepLearning4J ({@link Engine})
 */
public record NcfOptions(int gmfDim, int mlpDim, List<Integer> mlpLayers, Double learningRate, double l2,
                         int batchSize, int negatives, int epochs, double embeddingStd, long seed, boolean itemBias,
                         int patience, TableUpdates tableUpdates, Engine engine) {

    public NcfOptions(int gmfDim, int mlpDim, List<Integer> mlpLayers, Double learningRate, double l2, int batchSize,
                      int negatives, int epochs, double embeddingStd, long seed, boolean itemBias, int patience,
                      TableUpdates tableUpdates) {
        this(gmfDim, mlpDim, mlpLayers, learningRate, l2, batchSize, negatives, epochs, embeddingStd, seed, itemBias,
                patience, tableUpdates, Engine.AUTO);
    }

    public static final List<Integer> PAPER_LAYERS = List.of(16, 64, 32, 16, 8);
    /** The default tower: twice the paper's width, one layer less (chosen on validation, bench/results/tuning-nmf*.md). */
    public static final List<Integer> DEFAULT_LAYERS = List.of(32, 64, 32, 16);

    /** The paper's settings: dimension 8, tower 16-64-32-16-8, L2 1e-7, 25 epochs, no item bias, no early stopping. */
    public static NcfOptions paper() {
        return new NcfOptions(8, 8, PAPER_LAYERS, null, 1e-7, 1024, 4, 25, 0.01, 42L, false, 0, TableUpdates.DENSE);
    }

    public NcfOptions {
        mlpLayers = List.copyOf(mlpLayers);
        tableUpdates = tableUpdates == null ? TableUpdates.AUTO : tableUpdates;
        engine = engine == null ? Engine.AUTO : engine;
        if (gmfDim < 1 || mlpDim < 1) {
            throw new IllegalArgumentException("embedding dimensions must be positive");
        }
        if (mlpLayers.size() < 2 || mlpLayers.get(0) != 2 * mlpDim) {
            throw new IllegalArgumentException("MLP layers " + mlpLayers + " must start with 2 * mlp dim = "
                    + (2 * mlpDim) + " and have at least one hidden layer");
        }
        if (batchSize < 1 || negatives < 0 || epochs < 0 || patience < 0) {
            throw new IllegalArgumentException("batch size must be >= 1, negatives, epochs and patience >= 0");
        }
        if (learningRate != null && !(learningRate > 0)) {
            throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
        }
    }

    /**
     * xmrec's defaults, chosen on validation nDCG@10 (bench/tune.sh, bench/results/tuning-nmf*.md): dimension
     * 16, tower 32-64-32-16, L2 1e-5, an item bias, 8 negatives per positive, up to 50 epochs with early
     * stopping after 4 without improvement; batch 1024 and the learning rates as in the paper. (Dimension 32
     * with tower 64-128-64-32 scored 0.006 higher in validation at three times the training time, which the
     * continual updater pays at every trunk.)
     */
    public static NcfOptions defaults() {
        return new NcfOptions(16, 16, DEFAULT_LAYERS, null, 1e-5, 1024, 8, 50, 0.01, 42L, true, 4, TableUpdates.AUTO);
    }

    /** The learning rate used for an architecture: the explicit one, else 0.005 for GMF, 0.01 otherwise. */
    public double learningRateFor(NcfArchitecture a) {
        if (learningRate != null) {
            return learningRate;
        }
        return a == NcfArchitecture.GMF ? 0.005 : 0.01;
    }

    public NcfOptions withEpochs(int e) {
        return new NcfOptions(gmfDim, mlpDim, mlpLayers, learningRate, l2, batchSize, negatives, e, embeddingStd, seed, itemBias, patience, tableUpdates, engine);
    }

    public NcfOptions withSeed(long s) {
        return new NcfOptions(gmfDim, mlpDim, mlpLayers, learningRate, l2, batchSize, negatives, epochs, embeddingStd, s, itemBias, patience, tableUpdates, engine);
    }

    public NcfOptions withLearningRate(Double lr) {
        return new NcfOptions(gmfDim, mlpDim, mlpLayers, lr, l2, batchSize, negatives, epochs, embeddingStd, seed, itemBias, patience, tableUpdates, engine);
    }

    public NcfOptions withBatchSize(int b) {
        return new NcfOptions(gmfDim, mlpDim, mlpLayers, learningRate, l2, b, negatives, epochs, embeddingStd, seed, itemBias, patience, tableUpdates, engine);
    }

    public NcfOptions withL2(double v) {
        return new NcfOptions(gmfDim, mlpDim, mlpLayers, learningRate, v, batchSize, negatives, epochs, embeddingStd, seed, itemBias, patience, tableUpdates, engine);
    }

    public NcfOptions withNegatives(int n) {
        return new NcfOptions(gmfDim, mlpDim, mlpLayers, learningRate, l2, batchSize, n, epochs, embeddingStd, seed, itemBias, patience, tableUpdates, engine);
    }

    public NcfOptions withEmbeddingStd(double s) {
        return new NcfOptions(gmfDim, mlpDim, mlpLayers, learningRate, l2, batchSize, negatives, epochs, s, seed, itemBias, patience, tableUpdates, engine);
    }

    public NcfOptions withItemBias(boolean on) {
        return new NcfOptions(gmfDim, mlpDim, mlpLayers, learningRate, l2, batchSize, negatives, epochs, embeddingStd,
                seed, on, patience, tableUpdates, engine);
    }

    /** How the user and item tables are updated ({@link TableUpdates}). */
    public NcfOptions withTableUpdates(TableUpdates t) {
        return new NcfOptions(gmfDim, mlpDim, mlpLayers, learningRate, l2, batchSize, negatives, epochs, embeddingStd,
                seed, itemBias, patience, t, engine);
    }

    /** What takes the training steps ({@link Engine}). */
    public NcfOptions withEngine(Engine e) {
        return new NcfOptions(gmfDim, mlpDim, mlpLayers, learningRate, l2, batchSize, negatives, epochs, embeddingStd,
                seed, itemBias, patience, tableUpdates, e);
    }

    public NcfOptions withPatience(int p) {
        return new NcfOptions(gmfDim, mlpDim, mlpLayers, learningRate, l2, batchSize, negatives, epochs, embeddingStd,
                seed, itemBias, p, tableUpdates, engine);
    }

    /** Hyper-parameters as an ordered map, for provenance. */
    public Map<String, Object> describe(NcfArchitecture a) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (a != null) {
            m.put("architecture", a.label());
        }
        m.put("gmf_dim", gmfDim);
        m.put("mlp_dim", mlpDim);
        m.put("mlp_layers", mlpLayers);
        m.put("learning_rate", a != null ? learningRateFor(a) : learningRate != null ? learningRate : "0.005 gmf, 0.01 mlp and nmf");
        m.put("l2", l2);
        m.put("batch_size", batchSize);
        m.put("negatives", negatives);
        m.put("epochs", epochs);
        m.put("embedding_std", embeddingStd);
        m.put("seed", seed);
        m.put("item_bias", itemBias);
        m.put("early_stopping_patience", patience);
        m.put("table_updates", tableUpdates.label());
        if (engine != Engine.AUTO) {
            m.put("engine", engine.label()); // absent for auto (the kernel at every default width): trunk caches keep
        }
        return m;
    }
}
