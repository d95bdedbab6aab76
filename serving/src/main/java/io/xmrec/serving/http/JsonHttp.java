package io.xmrec.serving.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded HTTP servers of xmrec (serving, evaluator, updater): a fixed pool of workers behind
 * a bounded queue (a full queue answers 503 at once instead of piling up), request bodies read up
 * to a limit (413 beyond it), and a catch-all that answers 500 with the reason instead of dropping
 * the connection. Long-lived streams (server-sent events) must not hold a worker: see
 * {@link EventStream}.
 */
public final class JsonHttp {

    private static final Logger LOG = LoggerFactory.getLogger(JsonHttp.class);
    public static final ObjectMapper JSON = new ObjectMapper();
    /** Largest request body accepted (a scoring request of 1,000 ids is ~20 KB). */
    public static final int MAX_BODY = 1 << 20;

    static {
        io.xmrec.schemas.registry.HttpLimits.apply(); // slow or idle clients cannot hold the server for ever
    }

    /** A request a handler refuses, with its status and reason. */
    public static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;
        private final Map<String, String> headers;

        public Refused(int status, String message) {
            this(status, message, Map.of());
        }

        public Refused(int status, String message, Map<String, String> headers) {
            super(message);
            this.status = status;
            this.headers = headers;
        }

        public int status() {
            return status;
        }
    }

    private JsonHttp() {
    }

    /** A server on host:port with {@code workers} threads and a queue of {@code 8 * workers} requests. */
    public static HttpServer server(String host, int port, int workers, String name) {
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(host, port), 64);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + host + ":" + port + ": " + e.getMessage()
                    + " (is another process using the port? choose another with --port)", e);
        }
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(workers, workers, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(8 * workers), r -> {
                    Thread t = new Thread(r, name + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, (r, ex) -> {
                    // the queue is full: the JDK server closes the exchange of a rejected task
                    LOG.warn("{}: {} requests waiting, refusing one", name, ex.getQueue().size());
                    throw new java.util.concurrent.RejectedExecutionException("busy");
                });
        http.setExecutor(pool);
        return http;
    }

    /** Wraps a handler: refusals become their status, anything else a 500 with its message; the exchange is always closed. */
    public static HttpHandler handler(HttpHandler h) {
        return ex -> {
            try {
                h.handle(ex);
            } catch (Refused r) {
                r.headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
                error(ex, r.status, r.getMessage());
            } catch (Throwable t) {
                LOG.warn("{} {}: {}", ex.getRequestMethod(), ex.getRequestURI(), t.toString());
                error(ex, 500, t.getClass().getSimpleName() + ": " + t.getMessage());
            } finally {
                ex.close();
            }
        };
    }

    /** Sends a JSON body with a status. */
    public static void send(HttpExchange ex, int status, JsonNode body) {
        try {
            byte[] out = JSON.writeValueAsBytes(body);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        } catch (IOException e) {
            LOG.debug("client went away: {}", e.toString());
        }
    }

    /** Sends plain text (Prometheus, HTML) with a status and content type. */
    public static void sendText(HttpExchange ex, int status, String contentType, String body) {
        try {
            byte[] out = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", contentType);
            ex.sendResponseHeaders(status, out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        } catch (IOException e) {
            LOG.debug("client went away: {}", e.toString());
        }
    }

    /** {@code {"error": message, "status": status}}; the response may already have started (then nothing is sent). */
    public static void error(HttpExchange ex, int status, String message) {
        ObjectNode o = JSON.createObjectNode();
        o.put("error", message == null ? "" : message);
        o.put("status", status);
        if (ex.getResponseCode() == -1) {
            send(ex, status, o);
        }
    }

    /**
     * The request body, refused with 413 when it is (or turns out to be) longer than {@code max}
     * bytes. An oversized body is read and dropped up to {@link #MAX_DRAIN} bytes first (within the
     * server's request time limit), so a client that sends it all before reading the answer gets
     * the 413 rather than a reset connection.
     */
    public static byte[] body(HttpExchange ex, int max) throws IOException {
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        InputStream in = ex.getRequestBody();
        if (declared != null) {
            long len;
            try {
                len = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                throw new Refused(400, "Content-Length '" + declared + "' is not a number");
            }
            if (len > max) {
                drain(in);
                throw new Refused(413, "request body of " + len + " bytes is larger than the " + max + " accepted");
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int r;
        while ((r = in.read(buf)) > 0) {
            if (out.size() + r > max) {
                drain(in);
                throw new Refused(413, "request body is larger than the " + max + " bytes accepted");
            }
            out.write(buf, 0, r);
        }
        return out.toByteArray();
    }

    /** How much of an oversized body is read (and dropped) before answering 413. */
    public static final long MAX_DRAIN = 64L << 20;

    private static void drain(InputStream in) {
        byte[] buf = new byte[65536];
        long n = 0;
        try {
            int r;
            while (n < MAX_DRAIN && (r = in.read(buf)) > 0) {
                n += r;
            }
        } catch (IOException e) {
            // the client gave up: the answer goes nowhere anyway
        }
    }

    /** Query parameters (decoded; the last of a repeated name wins). */
    public static Map<String, String> query(HttpExchange ex) {
        Map<String, String> q = new LinkedHashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return q;
        }
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            String k = eq < 0 ? kv : kv.substring(0, eq);
            String v = eq < 0 ? "" : kv.substring(eq + 1);
            try {
                q.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new Refused(400, "query parameter '" + k + "' is not valid URL encoding");
            }
        }
        return q;
    }

    /** Path segments after a prefix, decoded ({@code /recommendations/in/u1} with prefix {@code /recommendations/} gives [in, u1]). */
    public static String[] segments(HttpExchange ex, String prefix) {
        String path = ex.getRequestURI().getRawPath();
        String rest = path.length() > prefix.length() ? path.substring(prefix.length()) : "";
        if (rest.isEmpty()) {
            return new String[0];
        }
        String[] parts = rest.split("/", -1);
        for (int i = 0; i < parts.length; i++) {
            try {
                parts[i] = URLDecoder.decode(parts[i], StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new Refused(400, "path segment '" + parts[i] + "' is not valid URL encoding");
            }
        }
        return parts;
    }

    /** Refuses methods other than the allowed ones with 405. */
    public static void allow(HttpExchange ex, String... methods) {
        for (String m : methods) {
            if (m.equalsIgnoreCase(ex.getRequestMethod())) {
                return;
            }
        }
        throw new Refused(405, ex.getRequestMethod() + " is not allowed here; use " + String.join(" or ", methods),
                Map.of("Allow", String.join(", ", methods)));
    }
}
