package io.xmrec.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.xmrec.serving.http.JsonHttp;
import io.xmrec.serving.http.JsonHttp.Refused;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;

/**
 * The shop's endpoints, answered from the newest model of each market:
 * <ul>
 *   <li>{@code GET /recommendations/{market}/{user}?k=10[&include_seen=true]}: the top-k items the
 *       market sells, without the items the user has reviewed (as of the newest review seen), or
 *       for a user the model does not know yet the market's most popular items
 *       ({@code "fallback": "popular"});</li>
 *   <li>{@code GET /scores/{market}/{user}?items=I1,I2,...} (or {@code POST} with
 *       {@code {"items": [...]}}), up to 1,000 items: the model's score of each; an item the market
 *       sells that has no row yet (no training interaction so far: a cold item) gets the prior score
 *       of the mean catalogue item, named in {@code prior}; an item the market does not sell
 *       {@code null} with the reason in {@code unknown}; a user the model does not know is scored as
 *       the average user ({@code "fallback": "average-user"});</li>
 *   <li>{@code GET /models}: each market's model version, trunk version, sizes, recipe and (under
 *       {@code auto}) the per-market choice with each candidate's validation nDCG@10;
 *       {@code GET /health}: 200 once models are being followed, else 503.</li>
 * </ul>
 * Every answer names the market, user, model version and trunk version. A market without a model
 * yet is 503 with {@code Retry-After}; a malformed request 400 with the reason.
 */
public final class RecommendationServer implements AutoCloseable {

    public static final int MAX_K = 1000;
    public static final int MAX_SCORED_ITEMS = 1000;
    public static final int DEFAULT_K = 10;
    /**
     * Request threads. Scoring takes milliseconds; what holds a thread long is a client that sends
     * its body slowly (the JDK server cuts such a request after 10 s, {@code HttpLimits}), so there
     * are enough threads for a few dozen of those with the endpoints still answering.
     */
    public static final int WORKERS = 32;

    private final HttpServer http;
    private final ModelSource models;
    private final SeenSource seen;
    private final BooleanSupplier ready;

    /**
     * @param ready whether the models are being followed (the health check); e.g. {@code client::caughtUp}
     */
    public RecommendationServer(ModelSource models, SeenSource seen, BooleanSupplier ready, String host, int port) {
        this.models = models;
        this.seen = seen == null ? SeenSource.NONE : seen;
        this.ready = ready;
        this.http = JsonHttp.server(host, port, WORKERS, "xmrec-http");
        route("/recommendations/", this::recommendations);
        route("/scores/", this::scores);
        route("/models", this::models);
        route("/health", ex -> {
            boolean ok = ready.getAsBoolean();
            ObjectNode o = JsonHttp.JSON.createObjectNode();
            o.put("status", ok ? "ok" : "starting");
            o.set("models", JsonHttp.JSON.valueToTree(models.versions()));
            JsonHttp.send(ex, ok ? 200 : 503, o);
        });
        http.start();
    }

    /** Serves another path on the same server (dashboard, metrics), with the same limits and catch-all. */
    public void route(String path, HttpHandler handler) {
        http.createContext(path, JsonHttp.handler(handler));
    }

    /** Serves a path with a handler that manages its exchange itself (server-sent events). */
    public void routeRaw(String path, HttpHandler handler) {
        http.createContext(path, handler);
    }

    public String url() {
        return "http://" + http.getAddress().getHostString() + ":" + http.getAddress().getPort();
    }

    public int port() {
        return http.getAddress().getPort();
    }

    private ServedModel model(String market) {
        if (!io.xmrec.core.data.Markets.isValid(market)) {
            throw new Refused(400, "'" + market + "' is not a market code (lower-case letters, digits, '_' or '-')");
        }
        ServedModel m = models.model(market);
        if (m == null) {
            throw new Refused(503, "no model for market " + market + " yet" + (models.versions().isEmpty()
                    ? " (no model received yet)" : " (models: " + models.versions().keySet() + ")"),
                    Map.of("Retry-After", "5"));
        }
        return m;
    }

    private static String[] marketAndUser(HttpExchange ex, String prefix) {
        String[] p = JsonHttp.segments(ex, prefix);
        if (p.length != 2 || p[0].isEmpty() || p[1].isEmpty()) {
            throw new Refused(400, "expected " + prefix + "{market}/{user}");
        }
        return p;
    }

    private ObjectNode head(ServedModel m, String user) {
        ObjectNode o = JsonHttp.JSON.createObjectNode();
        o.put("market", m.market());
        o.put("user", user);
        o.put("model_version", m.version());
        o.put("trunk_version", m.trunkVersion());
        return o;
    }

    private void recommendations(HttpExchange ex) {
        JsonHttp.allow(ex, "GET");
        String[] mu = marketAndUser(ex, "/recommendations/");
        JsonHttp.send(ex, 200, recommendations(mu[0], mu[1], JsonHttp.query(ex)));
    }

    /**
     * The body of {@code GET /recommendations/{market}/{user}} with its query parameters ({@code k},
     * {@code include_seen}); a {@link Refused} for a request it refuses. Apart from the HTTP server, so that
     * another server can be measured doing the same work (bench/http-servers.sh).
     */
    public ObjectNode recommendations(String market, String user, Map<String, String> q) {
        int k = intParam(q, "k", DEFAULT_K, 1, MAX_K);
        boolean includeSeen = boolParam(q, "include_seen");
        ServedModel m = model(market);
        Set<String> reviewed = includeSeen ? Set.of() : seen.items(m.market(), user);
        IntPredicate exclude = rowsOf(m, reviewed);
        int[] extra = rows(m, seen.catalogue(m.market()));
        int u = m.users().indexOf(user);
        ObjectNode o = head(m, user);
        o.put("k", k);
        List<ServedModel.Scored> top;
        if (u < 0) {
            o.put("fallback", "popular");
            top = m.popular(k, exclude);
        } else {
            top = m.recommend(u, k, exclude, extra);
        }
        ArrayNode items = o.putArray("items");
        for (ServedModel.Scored s : top) {
            ObjectNode i = items.addObject();
            i.put("item", s.item());
            if (u < 0) {
                i.put("interactions", (int) s.score());
            } else {
                i.put("score", s.score());
            }
        }
        o.put("excluded_seen", reviewed.size());
        return o;
    }

    private void scores(HttpExchange ex) throws IOException {
        JsonHttp.allow(ex, "GET", "POST");
        String[] mu = marketAndUser(ex, "/scores/");
        List<String> ids = new ArrayList<>();
        if (ex.getRequestMethod().equalsIgnoreCase("POST")) {
            byte[] body = JsonHttp.body(ex, JsonHttp.MAX_BODY);
            JsonNode n;
            try {
                n = JsonHttp.JSON.readTree(body);
            } catch (IOException e) {
                throw new Refused(400, "request body is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
            JsonNode items = n == null ? null : n.get("items");
            if (items == null || !items.isArray()) {
                throw new Refused(400, "expected a JSON body {\"items\": [\"I1\", \"I2\", ...]}");
            }
            for (JsonNode i : items) {
                if (!i.isTextual()) {
                    throw new Refused(400, "item ids must be strings, found " + i.getNodeType());
                }
                ids.add(i.asText());
            }
        } else {
            String raw = JsonHttp.query(ex).get("items");
            if (raw == null || raw.isBlank()) {
                throw new Refused(400, "give the items to score: ?items=I1,I2,... (or POST {\"items\": [...]})");
            }
            ids.addAll(Arrays.asList(raw.split(",")));
        }
        Set<String> distinct = new LinkedHashSet<>();
        for (String id : ids) {
            String t = id.trim();
            if (!t.isEmpty()) {
                distinct.add(t);
            }
        }
        if (distinct.isEmpty() || distinct.size() > MAX_SCORED_ITEMS) {
            throw new Refused(400, "score between 1 and " + MAX_SCORED_ITEMS + " items, got " + distinct.size());
        }
        ServedModel m = model(mu[0]);
        String user = mu[1];
        int u = m.users().indexOf(user);
        ObjectNode o = head(m, user);
        if (u < 0) {
            o.put("fallback", "average-user");
        }
        List<String> known = new ArrayList<>();
        Map<String, String> unknown = new LinkedHashMap<>();
        Map<String, String> cold = new LinkedHashMap<>();
        for (String id : distinct) {
            if (m.items().indexOf(id) >= 0) {
                known.add(id);
            } else if (seen.catalogue(m.market()).contains(id)) {
                cold.put(id, "sold in " + m.market() + " but no training interaction in model v" + m.version()
                        + " yet: the mean catalogue item's score");
            } else {
                unknown.put(id, "not sold in " + m.market() + " (no review of it) and not in model v" + m.version());
            }
        }
        int[] rows = known.stream().mapToInt(i -> m.items().indexOf(i)).toArray();
        float[] s = u < 0 ? m.scoreAverageUser(rows) : m.score(u, rows);
        float prior = cold.isEmpty() ? Float.NaN : m.scoreMeanItem(u);
        ObjectNode scores = o.putObject("scores");
        int k = 0;
        for (String id : distinct) {
            if (unknown.containsKey(id)) {
                scores.putNull(id);
            } else if (cold.containsKey(id)) {
                scores.put(id, prior);
            } else {
                scores.put(id, s[k++]);
            }
        }
        ObjectNode un = o.putObject("unknown");
        unknown.forEach(un::put);
        if (!cold.isEmpty()) {
            ObjectNode pr = o.putObject("prior");
            cold.forEach(pr::put);
        }
        JsonHttp.send(ex, 200, o);
    }

    private void models(HttpExchange ex) {
        JsonHttp.allow(ex, "GET");
        ObjectNode o = JsonHttp.JSON.createObjectNode();
        for (String market : models.versions().keySet()) {
            ServedModel m = models.model(market);
            if (m == null) {
                continue;
            }
            ObjectNode x = o.putObject(market);
            x.put("version", m.version());
            x.put("trunk_version", m.trunkVersion());
            x.put("users", m.users().size());
            x.put("items", m.items().size());
            x.put("catalogue", m.catalogue().length);
            x.put("created_at", java.time.Instant.ofEpochMilli(m.meta().createdAtMillis()).toString());
            recipe(m, x);
        }
        JsonHttp.send(ex, 200, o);
    }

    /** The recipe a model was made with and, when it was chosen per market, the choice (from its provenance). */
    private static void recipe(ServedModel m, ObjectNode x) {
        com.fasterxml.jackson.databind.JsonNode n = m.meta().provenanceJson();
        if (n.hasNonNull("recipe")) {
            x.put("recipe", n.get("recipe").asText());
        }
        if (n.hasNonNull("choice")) {
            x.set("choice", n.get("choice"));
        }
    }

    private static IntPredicate rowsOf(ServedModel m, Set<String> ids) {
        if (ids.isEmpty()) {
            return i -> false;
        }
        java.util.BitSet b = new java.util.BitSet(m.items().size());
        for (String id : ids) {
            int r = m.items().indexOf(id);
            if (r >= 0) {
                b.set(r);
            }
        }
        return b::get;
    }

    private static int[] rows(ServedModel m, Set<String> ids) {
        int[] out = new int[ids.size()];
        int n = 0;
        for (String id : ids) {
            int r = m.items().indexOf(id);
            if (r >= 0) {
                out[n++] = r;
            }
        }
        return Arrays.copyOf(out, n);
    }

    static int intParam(Map<String, String> q, String name, int dflt, int min, int max) {
        String v = q.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int x = Integer.parseInt(v.trim());
            if (x < min || x > max) {
                throw new Refused(400, name + " must be between " + min + " and " + max + ", got " + x);
            }
            return x;
        } catch (NumberFormatException e) {
            throw new Refused(400, name + " must be a whole number, got '" + v + "'");
        }
    }

    static boolean boolParam(Map<String, String> q, String name) {
        String v = q.get(name);
        if (v == null || v.equalsIgnoreCase("false") || v.equals("0")) {
            return false;
        }
        if (v.isEmpty() || v.equalsIgnoreCase("true") || v.equals("1")) {
            return true;
        }
        throw new Refused(400, name + " must be true or false, got '" + v + "'");
    }

    @Override
    public void close() {
        http.stop(0);
        if (http.getExecutor() instanceof java.util.concurrent.ExecutorService es) {
            es.shutdownNow();
        }
    }
}
