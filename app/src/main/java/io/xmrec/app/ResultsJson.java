package io.xmrec.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xmrec.core.holdout.Split;
import io.xmrec.core.metrics.RankSummary;
import io.xmrec.experiments.MethodResult;
import io.xmrec.experiments.OfflineExperiment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON file of an offline run: {@code provenance}, {@code markets} (split sizes),
 * {@code results} (one entry per market, method and split) and {@code per_user} (the rank of
 * every user's held-out item, so runs can be compared pairwise later).
 */
final class ResultsJson {

    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ResultsJson() {
    }

    static ObjectNode build(Map<String, Object> provenance, OfflineExperiment.Outcome outcome) {
        ObjectNode root = MAPPER.createObjectNode();
        root.set("provenance", MAPPER.valueToTree(provenance));
        ObjectNode markets = root.putObject("markets");
        outcome.markets().forEach((m, s) -> {
            ObjectNode n = markets.putObject(m);
            n.put("users", s.users());
            n.put("dropped_users", s.droppedUsers());
            n.put("train_interactions", s.trainInteractions());
            n.put("items", s.items());
        });
        ArrayNode results = root.putArray("results");
        for (MethodResult r : outcome.results()) {
            ObjectNode n = results.addObject();
            n.put("market", r.market());
            n.put("method", r.method());
            n.put("split", r.split().label());
            n.put("users", r.sampled().users());
            put(n, "", r.sampled());
            n.put("ndcg@10_ci95", round(r.ndcgCi95()));
            if (r.full() != null) {
                put(n, "full_", r.full());
            }
            n.put("train_seconds", round(r.trainSeconds()));
            n.put("pipeline_seconds", round(r.pipelineSeconds()));
            n.put("samples_per_second", Math.round(r.samplesPerSecond()));
            if (r.metaStepsPerSecond() > 0) {
                n.put("meta_steps_per_second", round(r.metaStepsPerSecond()));
            }
        }
        if (outcome.choice() != null) {
            root.set("choice", MAPPER.valueToTree(outcome.choice().describe()));
        }
        if (!outcome.userGroups().isEmpty()) {
            ArrayNode groups = root.putArray("user_groups");
            for (io.xmrec.experiments.Analyses.GroupResult g : outcome.userGroups()) {
                groups.addObject().put("method", g.method()).put("group", g.group()).put("users", g.users())
                        .put("min_train", g.minTrain()).put("max_train", g.maxTrain())
                        .put("hr@10", round(g.hitRate())).put("ndcg@10", round(g.ndcg()));
            }
        }
        ArrayNode perUser = root.putArray("per_user");
        outcome.perUser().forEach((key, ev) -> {
            String method = key.substring(key.indexOf('/') + 1);
            for (Split split : Split.values()) {
                ObjectNode n = perUser.addObject();
                n.put("market", ev.market());
                n.put("method", method);
                n.put("split", split.label());
                ArrayNode users = n.putArray("users");
                ev.users().forEach(users::add);
                ArrayNode ranks = n.putArray("ranks");
                for (int x : ev.ranks(split, false)) {
                    ranks.add(x);
                }
                if (ev.hasFull()) {
                    ArrayNode full = n.putArray("full_ranks");
                    for (int x : ev.ranks(split, true)) {
                        full.add(x);
                    }
                }
            }
        });
        return root;
    }

    private static void put(ObjectNode n, String prefix, RankSummary s) {
        n.put(prefix + "hr@10", round(s.hitRate()));
        n.put(prefix + "ndcg@10", round(s.ndcg()));
        n.put(prefix + "mrr", round(s.mrr()));
    }

    static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 1e6) / 1e6 : v;
    }

    static void write(ObjectNode root, Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            MAPPER.writeValue(file.toFile(), root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static JsonNode read(Path file) {
        try {
            return MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read results file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Per-user ranks of one method/split of a results file, user id to rank. */
    static Map<String, Integer> ranks(JsonNode root, Path file, String market, String method, String split, boolean full) {
        for (JsonNode n : root.path("per_user")) {
            if (n.path("market").asText().equals(market) && n.path("method").asText().equals(method)
                    && n.path("split").asText().equals(split)) {
                JsonNode ranks = n.path(full ? "full_ranks" : "ranks");
                if (ranks.isMissingNode()) {
                    throw new IllegalArgumentException(file + " has no full ranks (it was run with --no-full)");
                }
                Map<String, Integer> out = new LinkedHashMap<>();
                JsonNode users = n.path("users");
                for (int i = 0; i < users.size(); i++) {
                    out.put(users.get(i).asText(), ranks.get(i).asInt());
                }
                return out;
            }
        }
        throw new IllegalArgumentException(file + " has no per-user ranks for market " + market + ", method " + method
                + ", split " + split);
    }
}
