package io.xmrec.model;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.metrics.Scorer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * A trained GMF, MLP or NMF recommender with the vocabularies it was trained on. Saved as a
 * directory: the DL4J graph (with its updater state, so training can continue), the user and
 * item vocabularies one id per line, and the hyper-parameters as properties.
 */
public final class NcfModel implements Scorer {

    private static final String GRAPH = "graph.zip";
    private static final String USERS = "users.txt";
    private static final String ITEMS = "items.txt";
    private static final String META = "model.properties";
    /** Rows per forward pass when scoring many pairs. */
    private static final int SCORE_CHUNK = 1 << 16;

    private final NcfArchitecture architecture;
    private final ComputationGraph graph;
    private final IdVocabulary users;
    private final IdVocabulary items;
    private final NcfOptions options;
    private final List<String> markets;

    public NcfModel(NcfArchitecture architecture, ComputationGraph graph, IdVocabulary users, IdVocabulary items,
                    NcfOptions options, List<String> markets) {
        this.architecture = architecture;
        this.graph = graph;
        this.users = users;
        this.items = items;
        this.options = options;
        this.markets = List.copyOf(markets);
    }

    public NcfArchitecture architecture() {
        return architecture;
    }

    public ComputationGraph graph() {
        return graph;
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

    @Override
    public float[] score(int[] u, int[] i) {
        if (u.length != i.length) {
            throw new IllegalArgumentException("users and items differ in length: " + u.length + " vs " + i.length);
        }
        float[] out = new float[u.length];
        for (int from = 0; from < u.length; from += SCORE_CHUNK) {
            int to = Math.min(u.length, from + SCORE_CHUNK);
            INDArray[] in = {column(u, from, to), column(i, from, to)};
            INDArray s = graph.output(false, in)[0];
            float[] chunk = s.data().asFloat();
            System.arraycopy(chunk, 0, out, from, to - from);
        }
        return out;
    }

    /** An int slice as a float column [n, 1], the input shape of DL4J's embedding layer. */
    static INDArray column(int[] a, int from, int to) {
        float[] f = new float[to - from];
        for (int k = from; k < to; k++) {
            f[k - from] = a[k];
        }
        return Nd4j.create(f, new long[] {f.length, 1}, DataType.FLOAT);
    }

    /** Saves the model into a directory (created if missing). */
    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
            ModelSerializer.writeModel(graph, dir.resolve(GRAPH).toFile(), true);
            Files.write(dir.resolve(USERS), users.ids(), StandardCharsets.UTF_8);
            Files.write(dir.resolve(ITEMS), items.ids(), StandardCharsets.UTF_8);
            Properties p = new Properties();
            p.setProperty("format", "xmrec-ncf-1");
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
            if (!"xmrec-ncf-1".equals(p.getProperty("format"))) {
                throw new IllegalArgumentException(dir + " holds model format '" + p.getProperty("format")
                        + "', this xmrec reads xmrec-ncf-1");
            }
            List<Integer> layers = Arrays.stream(p.getProperty("mlp_layers").split(","))
                    .map(Integer::valueOf).toList();
            String lr = p.getProperty("learning_rate");
            NcfOptions o = new NcfOptions(Integer.parseInt(p.getProperty("gmf_dim")),
                    Integer.parseInt(p.getProperty("mlp_dim")), layers, lr == null ? null : Double.valueOf(lr),
                    Double.parseDouble(p.getProperty("l2")), Integer.parseInt(p.getProperty("batch_size")),
                    Integer.parseInt(p.getProperty("negatives")), Integer.parseInt(p.getProperty("epochs")),
                    Double.parseDouble(p.getProperty("embedding_std")), Long.parseLong(p.getProperty("seed")));
            ComputationGraph g = ModelSerializer.restoreComputationGraph(dir.resolve(GRAPH).toFile(), true);
            IdVocabulary u = IdVocabulary.ofOrdered(Files.readAllLines(dir.resolve(USERS), StandardCharsets.UTF_8));
            IdVocabulary i = IdVocabulary.ofOrdered(Files.readAllLines(dir.resolve(ITEMS), StandardCharsets.UTF_8));
            return new NcfModel(NcfArchitecture.ofLabel(p.getProperty("architecture")), g, u, i, o,
                    List.of(p.getProperty("markets").split(",")));
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException(dir + " is not a saved xmrec model: " + e.getFile() + " is missing", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load model from " + dir + ": " + e.getMessage(), e);
        }
    }
}
