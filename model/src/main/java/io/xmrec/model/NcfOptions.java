package io.xmrec.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hyper-parameters of an NCF model and its training run. Defaults are the paper's: GMF and MLP
 * dimension 8, MLP layers 16-64-32-16-8, Adam with lr 0.005 (GMF) / 0.01 (MLP, NMF), L2 1e-7,
 * batch 1024, 4 negatives per positive, 25 epochs. Immutable; made by {@link #builder()} (from
 * {@link #defaults()}), {@link #paper()} or the {@code with} methods.
 *
 * <ul>
 *     <li>{@code gmfDim}: GMF embedding dimension
 *     </li>
 *     <li>{@code mlpDim}: MLP embedding dimension (the first MLP layer is 2 * mlpDim wide)
 *     </li>
 *     <li>{@code mlpLayers}: MLP layer widths, the first being the concatenated embeddings
 *     </li>
 *     <li>{@code learningRate}: Adam learning rate; null means the architecture's default
 *     </li>
 *     <li>{@code l2}: L2 regularisation of weights
 *     </li>
 *     <li>{@code batchSize}: samples per gradient step
 *     </li>
 *     <li>{@code negatives}: negatives per training positive, re-sampled every epoch
 *     </li>
 *     <li>{@code epochs}: passes over the (largest) market's samples
 *     </li>
 *     <li>{@code embeddingStd}: standard deviation of the normal initialisation of embeddings
 *     </li>
 *     <li>{@code seed}: seed of initialisation, sampling and shuffling
 *     </li>
 *     <li>{@code itemBias}: whether the network learns a bias per item (added to the output's logit)
 *     </li>
 *     <li>{@code patience}: early stopping: stop after this many epochs without a better validation nDCG@10 and keep
 *         the best epoch's model (0: every epoch, the last one kept)
 *     </li>
 *     <li>{@code tableUpdates}: how the user and item tables are updated ({@link TableUpdates})
 *     </li>
 *     <li>{@code engine}: what takes the training steps: the plain-Java kernel or DeepLearning4J ({@link Engine})
 *     </li>
 * </ul>
 */
public final class NcfOptions {

    private final int gmfDim;
    private final int mlpDim;
    private final List<Integer> mlpLayers;
    private final Double learningRate;
    private final double l2;
    private final int batchSize;
    private final int negatives;
    private final int epochs;
    private final double embeddingStd;
    private final long seed;
    private final boolean itemBias;
    private final int patience;
    private final TableUpdates tableUpdates;
    private final Engine engine;

    public static final List<Integer> PAPER_LAYERS = List.of(16, 64, 32, 16, 8);
    /** The default tower: twice the paper's width, one layer less (chosen on validation, bench/results/tuning-nmf*.md). */
    public static final List<Integer> DEFAULT_LAYERS = List.of(32, 64, 32, 16);

    /** Options being put together; starts from xmrec's defaults ({@link #defaults()}). */
    public static final class Builder {
        private int gmfDim = 16;
        private int mlpDim = 16;
        private List<Integer> mlpLayers = DEFAULT_LAYERS;
        private Double learningRate;
        private double l2 = 1e-5;
        private int batchSize = 1024;
        private int negatives = 8;
        private int epochs = 50;
        private double embeddingStd = 0.01;
        private long seed = 42L;
        private boolean itemBias = true;
        private int patience = 4;
        private TableUpdates tableUpdates = TableUpdates.AUTO;
        private Engine engine = Engine.AUTO;

        private Builder() {
        }

        public Builder gmfDim(int v) {
            gmfDim = v;
            return this;
        }

        public Builder mlpDim(int v) {
            mlpDim = v;
            return this;
        }

        public Builder mlpLayers(List<Integer> v) {
            mlpLayers = v;
            return this;
        }

        public Builder learningRate(Double v) {
            learningRate = v;
            return this;
        }

        public Builder l2(double v) {
            l2 = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder negatives(int v) {
            negatives = v;
            return this;
        }

        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        public Builder embeddingStd(double v) {
            embeddingStd = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder itemBias(boolean v) {
            itemBias = v;
            return this;
        }

        public Builder patience(int v) {
            patience = v;
            return this;
        }

        public Builder tableUpdates(TableUpdates v) {
            tableUpdates = v;
            return this;
        }

        public Builder engine(Engine v) {
            engine = v;
            return this;
        }

        public NcfOptions build() {
            return new NcfOptions(this);
        }
    }

    private NcfOptions(Builder b) {
        gmfDim = b.gmfDim;
        mlpDim = b.mlpDim;
        mlpLayers = List.copyOf(b.mlpLayers);
        learningRate = b.learningRate;
        l2 = b.l2;
        batchSize = b.batchSize;
        negatives = b.negatives;
        epochs = b.epochs;
        embeddingStd = b.embeddingStd;
        seed = b.seed;
        itemBias = b.itemBias;
        patience = b.patience;
        tableUpdates = b.tableUpdates == null ? TableUpdates.AUTO : b.tableUpdates;
        engine = b.engine == null ? Engine.AUTO : b.engine;
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
     * continual updater pays at every trunk.) Defined once, in {@link Builder}.
     */
    public static NcfOptions defaults() {
        return builder().build();
    }

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.gmfDim = gmfDim;
        b.mlpDim = mlpDim;
        b.mlpLayers = mlpLayers;
        b.learningRate = learningRate;
        b.l2 = l2;
        b.batchSize = batchSize;
        b.negatives = negatives;
        b.epochs = epochs;
        b.embeddingStd = embeddingStd;
        b.seed = seed;
        b.itemBias = itemBias;
        b.patience = patience;
        b.tableUpdates = tableUpdates;
        b.engine = engine;
        return b;
    }

    /** The paper's settings: dimension 8, tower 16-64-32-16-8, L2 1e-7, 25 epochs, no item bias, no early stopping. */
    public static NcfOptions paper() {
        return builder().gmfDim(8).mlpDim(8).mlpLayers(PAPER_LAYERS).l2(1e-7).negatives(4).epochs(25).itemBias(false)
                .patience(0).tableUpdates(TableUpdates.DENSE).build();
    }

    public int gmfDim() {
        return gmfDim;
    }

    public int mlpDim() {
        return mlpDim;
    }

    public List<Integer> mlpLayers() {
        return mlpLayers;
    }

    public Double learningRate() {
        return learningRate;
    }

    public double l2() {
        return l2;
    }

    public int batchSize() {
        return batchSize;
    }

    public int negatives() {
        return negatives;
    }

    public int epochs() {
        return epochs;
    }

    public double embeddingStd() {
        return embeddingStd;
    }

    public long seed() {
        return seed;
    }

    public boolean itemBias() {
        return itemBias;
    }

    public int patience() {
        return patience;
    }

    public TableUpdates tableUpdates() {
        return tableUpdates;
    }

    public Engine engine() {
        return engine;
    }

    /** The learning rate used for an architecture: the explicit one, else 0.005 for GMF, 0.01 otherwise. */
    public double learningRateFor(NcfArchitecture a) {
        if (learningRate != null) {
            return learningRate;
        }
        return a == NcfArchitecture.GMF ? 0.005 : 0.01;
    }

    public NcfOptions withEpochs(int e) {
        return toBuilder().epochs(e).build();
    }

    public NcfOptions withSeed(long s) {
        return toBuilder().seed(s).build();
    }

    public NcfOptions withLearningRate(Double lr) {
        return toBuilder().learningRate(lr).build();
    }

    public NcfOptions withBatchSize(int b) {
        return toBuilder().batchSize(b).build();
    }

    public NcfOptions withL2(double v) {
        return toBuilder().l2(v).build();
    }

    public NcfOptions withNegatives(int n) {
        return toBuilder().negatives(n).build();
    }

    public NcfOptions withEmbeddingStd(double s) {
        return toBuilder().embeddingStd(s).build();
    }

    public NcfOptions withItemBias(boolean on) {
        return toBuilder().itemBias(on).build();
    }

    /** How the user and item tables are updated ({@link TableUpdates}). */
    public NcfOptions withTableUpdates(TableUpdates t) {
        return toBuilder().tableUpdates(t).build();
    }

    /** What takes the training steps ({@link Engine}). */
    public NcfOptions withEngine(Engine e) {
        return toBuilder().engine(e).build();
    }

    public NcfOptions withPatience(int p) {
        return toBuilder().patience(p).build();
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

    @Override
    public boolean equals(Object o) {
        return o instanceof NcfOptions n && gmfDim == n.gmfDim && mlpDim == n.mlpDim && mlpLayers.equals(n.mlpLayers)
                && java.util.Objects.equals(learningRate, n.learningRate) && Double.compare(l2, n.l2) == 0
                && batchSize == n.batchSize && negatives == n.negatives && epochs == n.epochs
                && Double.compare(embeddingStd, n.embeddingStd) == 0 && seed == n.seed && itemBias == n.itemBias
                && patience == n.patience && tableUpdates == n.tableUpdates && engine == n.engine;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(gmfDim, mlpDim, mlpLayers, learningRate, l2, batchSize, negatives, epochs,
                embeddingStd, seed, itemBias, patience, tableUpdates, engine);
    }

    @Override
    public String toString() {
        return "NcfOptions" + describe(null);
    }
}
