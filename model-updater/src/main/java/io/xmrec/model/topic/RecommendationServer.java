package io.xmrec.model.topic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.xmrec.core.serving.ServedModel;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code GET /recommendations/{market}/{user}?k=10}: the top-k items of the market's newest model
 * for the user, as JSON; 404 with a reason for an unknown market or user, 400 for a bad k.
 * {@code GET /models}: market -> model version.
 */
public final class RecommendationServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    public static final int MAX_K = 1000;

    private final HttpServer http;
    private final ExecutorService pool;
    private final ModelSource client;

    public RecommendationServer(ModelSource client, String host, int port) {
        this.client = client;
        try {
            this.http = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        this.pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "xmrec-recommendations-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(pool);
        http.createContext("/recommendations/", this::recommendations);
        http.createContext("/models", ex -> {
            ObjectNode o = JSON.createObjectNode();
            client.versions().forEach(o::put);
            send(ex, 200, o);
        });
        http.start();
    }

    /** Serves another path on the same server (dashboard, metrics). */
    public void route(String path, com.sun.net.httpserver.HttpHandler handler) {
        http.createContext(path, handler);
    }

    public String url() {
        InetSocketAddress a = http.getAddress();
        return "http://" + a.getHostString() + ":" + a.getPort();
    }

    private void recommendations(HttpExchange ex) throws IOException {
        if (!ex.getRequestMethod().equals("GET")) {
            send(ex, 405, error("only GET is supported"));
            return;
        }
        String[] parts = ex.getRequestURI().getRawPath().split("/");
        if (parts.length != 4) {
            send(ex, 404, error("use /recommendations/{market}/{user}?k=10"));
            return;
        }
        String market = URLDecoder.decode(parts[2], StandardCharsets.UTF_8);
        String user = URLDecoder.decode(parts[3], StandardCharsets.UTF_8);
        int k = 10;
        String q = ex.getRequestURI().getRawQuery();
        if (q != null) {
            for (String kv : q.split("&")) {
                if (kv.startsWith("k=")) {
                    try {
                        k = Integer.parseInt(kv.substring(2));
                    } catch (NumberFormatException e) {
                        k = -1;
                    }
                    if (k < 1 || k > MAX_K) {
                        send(ex, 400, error("k must be a number in 1.." + MAX_K + ", got '" + kv.substring(2) + "'"));
                        return;
                    }
                }
            }
        }
        try {
            ServedModel m = client.modelFor(market, user);
            List<ServedModel.Scored> top = m.recommend(user, k, java.util.Set.of());
            ObjectNode o = JSON.createObjectNode().put("market", market).put("user", user).put("model_version", m.version());
            ArrayNode items = o.putArray("items");
            for (ServedModel.Scored s : top) {
                items.addObject().put("item", s.item()).put("score", s.score());
            }
            send(ex, 200, o);
        } catch (ModelClient.NotFound e) {
            send(ex, 404, error(e.getMessage()));
        }
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static void send(HttpExchange ex, int status, ObjectNode body) throws IOException {
        send(ex, status, "application/json", JSON.writeValueAsBytes(body));
    }

    /** Answers a request with a body of the given type (and closes the exchange): for routes added with {@link #route}. */
    public static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        try (ex) {
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        }
    }

    @Override
    public void close() {
        http.stop(0);
        pool.shutdownNow();
    }
}
