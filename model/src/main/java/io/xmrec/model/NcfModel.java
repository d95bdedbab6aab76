package io.xmrec.model;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.metrics.Scorer;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetFile;
import io.xmrec.core.net.NetKernel;
import io.xmrec.core.net.NetShape;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * A GMF, MLP, NMF or FOREC recommender: its network ({@link Net}), the vocabularies its rows
 * follow, its hyper-parameters, which tensors its training may change (a FOREC fork freezes the
 * trunk's) and the Adam settings it trains with. Saved as a directory: the tensors, the user and
 * item vocabularies one id per line, and the settings as properties.
 */
public final class NcfModel implements Scorer {

    private static final String FORMAT = "xmrec-ncf-2";
    private static final String TENSORS = "tensors.bin";
    private static final String USERS = "users.txt";
    private static final String ITEMS = "items.txt";
    private static final String META = "model.properties";
    /** Pairs per forward pass when scoring. */
    private static final int SCORE_BATCH = 4096;

    private final NcfArchitecture architecture;
    private final Net net;
    private final IdVocabulary users;
    private final IdVocabulary items;
    private final NcfOptions options;
    private final List<String> markets;
    private final Set<String> trainable;
    private final double learningRate;
    private final double l2;
    private final ThreadLocal<NetKernel> scoring;
    /** {@link #userMarkets()}, derived once from the user keys (market-aware networks only). */
    private volatile int[] userMarkets;

    /**
     * What training a model may change, and how.
     *
     * @param tensors      names of the tensors training may change
     * @param learningRate Adam learning rate of this model's training
     * @param l2           L2 of this model's training (weights and tables)
     */
    public record Training(Set<String> tensors, double learningRate, double l2) {
    }

    /** @param training what training may change and with which Adam settings */
    public NcfModel(NcfArchitecture architecture, Net net, IdVocabulary users, IdVocabulary items, NcfOptions options,
                    List<String> markets, Training training) {
        Set<String> trainable = training.tensors();
        if (net.users() != users.size() || net.items() != items.size()) {
            throw new IllegalArgumentException("network of " + net.users() + " users and " + net.items()
                    + " items for vocabularies of " + users.size() + " and " + items.size());
        }
        for (String t : trainable) {
            if (net.index(t) < 0) {
                throw new IllegalArgumentException("the network has no tensor " + t + " to train");
            }
        }
        this.architecture = architecture;
        this.net = net;
        this.users = users;
        this.items = items;
        this.options = options;
        this.markets = List.copyOf(markets);
        this.trainable = Set.copyOf(new LinkedHashSet<>(trainable));
        this.learningRate = training.learningRate();
        this.l2 = training.l2();
        NetShape shape = net.shape();
        if (shape.marketAware() && shape.markets() != this.markets.size()) {
            throw new IllegalArgumentException("a market-aware network of " + shape.markets() + " markets for "
                    + this.markets.size() + " markets " + this.markets);
        }
        this.scoring = ThreadLocal.withInitial(() -> kernel(SCORE_BATCH));
    }

    /** A kernel for this model's network (told each user's market when the network is market-aware). */
    public NetKernel kernel(int capacity) {
        NetKernel k = new NetKernel(net.shape(), capacity);
        return net.shape().marketAware() ? k.userMarkets(userMarkets()) : k;
    }

    /** The row of each user's market in {@link #markets()}, from the {@code market/user} keys (shared: do not modify). */
    public int[] userMarkets() {
        int[] cached = userMarkets;
        if (cached != null) {
            return cached;
        }
        int[] out = new int[users.size()];
        for (int r = 0; r < out.length; r++) {
            String key = users.id(r);
            int slash = key.indexOf('/');
            int m = slash < 0 ? -1 : markets.indexOf(key.substring(0, slash));
            if (m < 0) {
                throw new IllegalArgumentException("user " + key + " belongs to none of the model's markets " + markets);
            }
            out[r] = m;
        }
        userMarkets = out;
        return out;
    }

    /** A freshly initialised GMF, MLP or NMF with every tensor trainable and the options' Adam settings. */
    public static NcfModel fresh(NcfArchitecture a, IdVocabulary users, IdVocabulary items, NcfOptions o, List<String> markets) {
        return fresh(a, users, items, o, markets, false);
    }

    /** A fresh model; {@code marketAware} gives it a vector per market and branch (users keyed {@code market/user}). */
    public static NcfModel fresh(NcfArchitecture a, IdVocabulary users, IdVocabulary items, NcfOptions o, List<String> markets,
                                 boolean marketAware) {
        NetShape shape = marketAware ? a.shape(o).withMarkets(markets.size()) : a.shape(o);
        Net net = Net.init(shape, users.size(), items.size(), o.embeddingStd(), o.seed() ^ (a.ordinal() + 1) * 0x9E3779B9L);
        return new NcfModel(a, net, users, items, o, markets, new Training(Set.copyOf(net.shape().tensorNames()),
                o.learningRateFor(a), o.l2()));
    }

    public NcfArchitecture architecture() {
        return architecture;
    }

    /** The network (mutable: only the one training it may change it). */
    public Net net() {
        return net;
    }

    public IdVocabulary users() {
        return users;
    }

    public IdVocabulary items() {
        return items;
    }

    public NcfOptions options() {
        return options;
    }

    /** The markets it was trained on, target first. */
    public List<String> markets() {
        return markets;
    }

    public Set<String> trainable() {
        return trainable;
    }

    public double learningRate() {
        return learningRate;
    }

    public double l2() {
        return l2;
    }

    /** The same model on a copy of its network. */
    public NcfModel copy() {
        return withNet(net.copy());
    }

    /** The same settings on another network of the same shape and rows. */
    public NcfModel withNet(Net other) {
        return new NcfModel(architecture, other, users, items, options, markets, new Training(trainable, learningRate, l2));
    }

    /** The same settings on a network grown to new vocabularies (rows appended for new users and items). */
    public NcfModel withRows(IdVocabulary moreUsers, IdVocabulary moreItems, Net grown) {
        return new NcfModel(architecture, grown, moreUsers, moreItems, options, markets, new Training(trainable, learningRate, l2));
    }

    /** The same network with other training settings (what may change, and Adam's rate and L2). */
    public NcfModel withTraining(Set<String> trainableTensors, double lr, double l2Reg) {
        return new NcfModel(architecture, net, users, items, options, markets, new Training(trainableTensors, lr, l2Reg));
    }

    @Override
    public float[] score(int[] u, int[] i) {
        if (u.length != i.length) {
            throw new IllegalArgumentException("users and items differ in length: " + u.length + " vs " + i.length);
        }
        float[] out = new float[u.length];
        scoring.get().score(net, u, i, 0, u.length, out, 0);
        return out;
    }

    /** Saves the model into a directory (created if missing). */
    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
            NetFile.write(dir.resolve(TENSORS), net);
            Files.write(dir.resolve(USERS), users.ids(), StandardCharsets.UTF_8);
            Files.write(dir.resolve(ITEMS), items.ids(), StandardCharsets.UTF_8);
            Properties p = new Properties();
            p.setProperty("format", FORMAT);
            p.setProperty("architecture", architecture.label());
            p.setProperty("markets", String.join(",", markets));
            p.setProperty("gmf_dim", Integer.toString(options.gmfDim()));
            p.setProperty("mlp_dim", Integer.toString(options.mlpDim()));
            p.setProperty("mlp_layers", options.mlpLayers().toString().replaceAll("[\\[\\] ]", ""));
            if (options.learningRate() != null) {
                p.setProperty("learning_rate", options.learningRate().toString());
            }
            p.setProperty("l2", Double.toString(options.l2()));
            p.setProperty("batch_size", Integer.toString(options.batchSize()));
            p.setProperty("negatives", Integer.toString(options.negatives()));
            p.setProperty("epochs", Integer.toString(options.epochs()));
            p.setProperty("embedding_std", Double.toString(options.embeddingStd()));
            p.setProperty("seed", Long.toString(options.seed()));
            p.setProperty("item_bias", Boolean.toString(options.itemBias()));
            p.setProperty("patience", Integer.toString(options.patience()));
            p.setProperty("table_updates", options.tableUpdates().label());
            p.setProperty("engine", options.engine().label());
            p.setProperty("trainable", String.join(",", net.shape().tensorNames().stream().filter(trainable::contains).toList()));
            p.setProperty("train_learning_rate", Double.toString(learningRate));
            p.setProperty("train_l2", Double.toString(l2));
            try (Writer w = Files.newBufferedWriter(dir.resolve(META), StandardCharsets.UTF_8)) {
                p.store(w, "xmrec NCF model");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save model to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Loads a model saved by {@link #save}. */
    public static NcfModel load(Path dir) {
        try {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(dir.resolve(META), StandardCharsets.UTF_8)) {
                p.load(r);
            }
            if (!FORMAT.equals(p.getProperty("format"))) {
                throw new IllegalArgumentException(dir + " holds model format '" + p.getProperty("format")
                        + "', this xmrec reads " + FORMAT + " (models saved by DL4J-based versions must be trained again)");
            }
            List<Integer> layers = Arrays.stream(p.getProperty("mlp_layers").split(","))
                    .map(Integer::valueOf).toList();
            String lr = p.getProperty("learning_rate");
            NcfOptions o = NcfOptions.builder().gmfDim(Integer.parseInt(p.getProperty("gmf_dim")))
                    .mlpDim(Integer.parseInt(p.getProperty("mlp_dim"))).mlpLayers(layers)
                    .learningRate(lr == null ? null : Double.valueOf(lr)).l2(Double.parseDouble(p.getProperty("l2")))
                    .batchSize(Integer.parseInt(p.getProperty("batch_size")))
                    .negatives(Integer.parseInt(p.getProperty("negatives"))).epochs(Integer.parseInt(p.getProperty("epochs")))
                    .embeddingStd(Double.parseDouble(p.getProperty("embedding_std"))).seed(Long.parseLong(p.getProperty("seed")))
                    .itemBias(Boolean.parseBoolean(p.getProperty("item_bias", "false")))
                    .patience(Integer.parseInt(p.getProperty("patience", "0")))
                    .tableUpdates(TableUpdates.parse(p.getProperty("table_updates", "dense")))
                    .engine(Engine.parse(p.getProperty("engine", "auto"))).build();
            Net net = NetFile.read(dir.resolve(TENSORS));
            IdVocabulary u = IdVocabulary.ofOrdered(Files.readAllLines(dir.resolve(USERS), StandardCharsets.UTF_8));
            IdVocabulary i = IdVocabulary.ofOrdered(Files.readAllLines(dir.resolve(ITEMS), StandardCharsets.UTF_8));
            String t = p.getProperty("trainable", "");
            return new NcfModel(NcfArchitecture.ofLabel(p.getProperty("architecture")), net, u, i, o,
                    List.of(p.getProperty("markets").split(",")), new Training(t.isEmpty() ? Set.of() : Set.of(t.split(",")),
                    Double.parseDouble(p.getProperty("train_learning_rate")), Double.parseDouble(p.getProperty("train_l2"))));
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException(dir + " is not a saved xmrec model: " + e.getFile() + " is missing", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load model from " + dir + ": " + e.getMessage(), e);
        }
    }
}
