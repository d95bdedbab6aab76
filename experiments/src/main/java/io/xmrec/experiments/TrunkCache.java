package io.xmrec.experiments;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.model.NcfArchitecture;
import io.xmrec.model.NcfModel;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;

/**
 * Cross-market stages on disk, shared by runs whose trunk is the same: same set of markets (in any
 * order, whichever is the target), same split and training settings. A multi-source bench trains
 * the all-markets trunk once instead of once per target. Vocabularies are sorted, so a trunk trained
 * with another target first has the same indices; loading checks them anyway.
 */
final class TrunkCache {

    static final List<String> STAGES = List.of("gmf++", "mlp++", "nmf++", "maml");

    private static final String COST = "stage.properties";

    private final Path dir;
    private final CrossMarketDataset data;

    TrunkCache(Path root, CrossMarketDataset data, OfflineConfig config) {
        this.data = data;
        TreeSet<String> markets = new TreeSet<>();
        for (IndexedMarket m : data.markets()) {
            markets.add(m.market());
        }
        this.dir = root.resolve(String.join("-", markets) + "-" + key(config));
    }

    /** A digest of everything that shapes the trunk besides the markets. */
    private static String key(OfflineConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (NcfArchitecture a : List.of(NcfArchitecture.GMF, NcfArchitecture.MLP, NcfArchitecture.NMF)) {
            m.put(a.label(), c.options().describe(a));
        }
        m.put("maml", c.maml().describe());
        m.put("min_interactions", c.minInteractions());
        // what a trunk is made by: the plain-Java kernel, and negatives from the training items only
        m.put("format", "xmrec-ncf-2");
        m.put("training_negatives", io.xmrec.core.sampling.TrainingNegatives.POLICY);
        m.put("early_stopping_validation", "shared stages on all their markets pooled (cached trunks only)");
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(m.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path stageDir(String name) {
        return dir.resolve(name.replace("++", "pp"));
    }

    /** A stage from the cache and the seconds of it and its inputs when they were trained. */
    record Cached(OfflineExperiment.Stage stage, double pipelineSeconds) {
    }

    /** The cached stage, or null when it is not there yet. */
    Cached load(String name, java.util.function.Consumer<String> log) {
        Path d = stageDir(name);
        if (!Files.isRegularFile(d.resolve(COST))) {
            return null;
        }
        NcfModel model = NcfModel.load(d);
        if (!model.users().ids().equals(data.users().ids()) || !model.items().ids().equals(data.items().ids())) {
            throw new IllegalStateException("trunk cache " + d + " was trained on other users or items than this run's "
                    + "split; delete it or use another --trunk-cache directory");
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(d.resolve(COST), StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + d.resolve(COST) + ": " + e.getMessage(), e);
        }
        String inputs = p.getProperty("inputs", "");
        log.accept(String.format("[%s] loaded from the trunk cache %s (trained in %.1fs)", name, d,
                Double.parseDouble(p.getProperty("seconds"))));
        return new Cached(new OfflineExperiment.Stage(model, Double.parseDouble(p.getProperty("seconds")),
                Double.parseDouble(p.getProperty("samples_per_second")),
                Double.parseDouble(p.getProperty("meta_steps_per_second")),
                inputs.isEmpty() ? List.of() : List.of(inputs.split(","))),
                Double.parseDouble(p.getProperty("pipeline_seconds")));
    }

    /** Stores a trained stage; the cost file is written last, so a half-written stage is not loaded. */
    void save(String name, OfflineExperiment.Stage s, double pipelineSeconds, java.util.function.Consumer<String> log) {
        Path d = stageDir(name);
        s.model().save(d);
        Properties p = new Properties();
        p.setProperty("seconds", Double.toString(s.seconds()));
        p.setProperty("samples_per_second", Double.toString(s.samplesPerSecond()));
        p.setProperty("meta_steps_per_second", Double.toString(s.metaStepsPerSecond()));
        p.setProperty("inputs", String.join(",", s.inputs()));
        p.setProperty("pipeline_seconds", Double.toString(pipelineSeconds));
        try {
            Path tmp = Files.createTempFile(d, "stage", ".tmp");
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(w, "xmrec trunk cache: cost of the stage when it was trained");
            }
            Files.move(tmp, d.resolve(COST), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + d.resolve(COST) + ": " + e.getMessage(), e);
        }
        log.accept("[" + name + "] saved to the trunk cache " + d);
    }
}
