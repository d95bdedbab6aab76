package io.xmrec.app;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.serving.HoldoutEvaluation;
import io.xmrec.serving.ModelSource;
import io.xmrec.serving.ServedModel;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.GZIPOutputStream;

/**
 * The continual-value bench's prequential record (bench/continual-value.sh): every new interaction (a
 * user's new test item on the holdouts topic) ranked, the moment it is read, by the model being served
 * for its market, against 99 evaluation negatives drawn as the live evaluator draws them (the market's
 * items seen so far minus everything the user rated, seeded by the user's event count). One JSON line
 * per interaction with the negatives, so {@code ContinualValue} ranks the same interaction against the
 * same negatives under the frozen model, the batch oracle and popularity. Rank -1: no model served yet.
 */
final class PrequentialTap implements AutoCloseable {

    private static final long POOL_TTL_MS = 5_000;

    private final HoldoutEvaluation evaluation;
    private final ModelSource models;
    private final BufferedWriter out;
    private final Map<String, TreeSet<String>> items = new HashMap<>();        // market -> items seen
    private final Map<String, String[]> pools = new HashMap<>();
    private final Map<String, Long> poolAt = new HashMap<>();
    private final Map<String, List<String>> trained = new HashMap<>();          // market|user -> training items
    private final Map<String, HoldoutState> holdouts = new HashMap<>();         // market|user -> newest holdout
    private long written;

    PrequentialTap(long seed, int negatives, ModelSource models, Path file) throws IOException {
        this.evaluation = new HoldoutEvaluation(seed, negatives);
        this.models = models;
        Files.createDirectories(file.toAbsolutePath().getParent());
        this.out = new BufferedWriter(new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(file), 1 << 16),
                StandardCharsets.UTF_8));
    }

    void train(TrainingInteraction t) {
        trained.computeIfAbsent(t.getMarket() + "|" + t.getUser(), k -> new ArrayList<>()).add(t.getItem());
        seen(t.getMarket(), t.getItem());
    }

    void holdout(HoldoutState h, long now) {
        String key = h.getMarket() + "|" + h.getUser();
        HoldoutState old = holdouts.get(key);
        if (old != null && old.getVersion() >= h.getVersion()) {
            return;
        }
        holdouts.put(key, h);
        seen(h.getMarket(), h.getTestItem());
        if (h.getValidItem() != null) {
            seen(h.getMarket(), h.getValidItem());
        }
        if (old != null && old.getTestItem().equals(h.getTestItem()) && old.getTestTime().equals(h.getTestTime())) {
            return; // not a new interaction
        }
        List<String> rated = new ArrayList<>(trained.getOrDefault(key, List.of()));
        if (h.getValidItem() != null) {
            rated.add(h.getValidItem());
        }
        rated.add(h.getTestItem());
        String[] negs = evaluation.negativesNew(h.getMarket(), pool(h.getMarket(), now), h.getUser(), rated, h.getVersion());
        ServedModel m = models.model(h.getMarket());
        ObjectNode line = ResultsJson.MAPPER.createObjectNode().put("m", h.getMarket()).put("u", h.getUser())
                .put("i", h.getTestItem()).put("t", h.getTestTime().toEpochMilli()).put("n", h.getVersion())
                .put("train", h.getTrainCount())
                .put("v", m == null ? -1 : m.version()).put("tv", m == null ? -1 : m.trunkVersion())
                .put("r", m == null ? -1 : HoldoutEvaluation.rankAmong(m, h.getUser(), h.getTestItem(), negs));
        ArrayNode n = line.putArray("neg");
        for (String x : negs) {
            n.add(x);
        }
        try {
            out.write(line.toString());
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        written++;
    }

    long written() {
        return written;
    }

    private void seen(String market, String item) {
        items.computeIfAbsent(market, k -> new TreeSet<>()).add(item);
    }

    private String[] pool(String market, long now) {
        String[] p = pools.get(market);
        if (p == null || now - poolAt.get(market) > POOL_TTL_MS) {
            p = items.get(market).toArray(String[]::new);
            pools.put(market, p);
            poolAt.put(market, now);
        }
        return p;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
