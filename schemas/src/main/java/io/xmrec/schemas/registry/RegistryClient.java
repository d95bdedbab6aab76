package io.xmrec.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A client of the Confluent Schema Registry REST API (the subset xmrec needs): register a schema
 * under a subject, fetch a schema by id, the latest version of a subject, and a compatibility
 * check. Works against Confluent Schema Registry, Apicurio's ccompat API, Karapace, Redpanda and
 * xmrec's own {@link RegistryServer}. Ids and registrations are cached: a schema is registered once
 * per client and subject, a schema id fetched once.
 */
public final class RegistryClient implements SchemaRegistry {

    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A subject's version: its global schema id, version number and schema. */
    public record SubjectVersion(String subject, int version, int id, Schema schema) {
    }

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;
    private final String authorization;
    private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, Integer>> registered = new ConcurrentHashMap<>();

    public RegistryClient(String url) {
        this(url, Duration.ofSeconds(10));
    }

    public RegistryClient(String url, Duration timeout) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("schema registry URL is empty");
        }
        String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        URI parsed;
        try {
            parsed = URI.create(u);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("schema registry URL is not a URL: " + e.getMessage(), e);
        }
        // credentials in the URL (http://user:password@host:port), as Confluent's clients take them
        // with basic.auth.credentials.source=URL: sent as HTTP Basic auth, never shown
        String info = parsed.getRawUserInfo();
        this.authorization = info == null ? null : "Basic " + java.util.Base64.getEncoder().encodeToString(
                java.net.URLDecoder.decode(info, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));
        try {
            this.base = info == null ? parsed : new URI(parsed.getScheme(), null, parsed.getHost(), parsed.getPort(),
                    parsed.getPath(), null, null);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("schema registry URL is not a URL: " + e.getMessage(), e);
        }
        if (base.getScheme() == null || !(base.getScheme().equals("http") || base.getScheme().equals("https"))) {
            throw new IllegalArgumentException("schema registry URL '" + base + "' must start with http:// or https://");
        }
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public String url() {
        return base.toString();
    }

    /** Registers {@code schema} under {@code subject} (idempotent) and returns its global id. */
    @Override
    public int register(String subject, Schema schema) {
        Map<Schema, Integer> cache = registered.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer id = cache.get(schema);
        if (id != null) {
            return id;
        }
        ObjectNode body = JSON.createObjectNode().put("schema", schema.toString());
        JsonNode r = call("POST", "/subjects/" + enc(subject) + "/versions", body,
                "register a schema under subject " + subject);
        int got = r.path("id").asInt(-1);
        if (got < 0) {
            throw new RegistryException("registry " + base + " answered the registration under " + subject
                    + " without an id: " + r, 200, 0, null);
        }
        cache.put(schema, got);
        byId.putIfAbsent(got, schema);
        return got;
    }

    /** The schema with global id {@code id}. */
    @Override
    public Schema schemaById(int id) {
        Schema s = byId.get(id);
        if (s != null) {
            return s;
        }
        JsonNode r = call("GET", "/schemas/ids/" + id, null, "fetch schema id " + id);
        Schema parsed = parse(r.path("schema").asText(), "schema id " + id);
        byId.put(id, parsed);
        return parsed;
    }

    /** The latest version of a subject (not cached: it changes when a schema evolves). */
    public SubjectVersion latest(String subject) {
        JsonNode r = call("GET", "/subjects/" + enc(subject) + "/versions/latest", null,
                "fetch the latest version of subject " + subject);
        Schema s = parse(r.path("schema").asText(), "subject " + subject);
        int id = r.path("id").asInt();
        byId.putIfAbsent(id, s);
        return new SubjectVersion(r.path("subject").asText(subject), r.path("version").asInt(), id, s);
    }

    /** Whether {@code schema} may be registered under {@code subject} (true for a subject without versions). */
    public boolean isCompatible(String subject, Schema schema) {
        ObjectNode body = JSON.createObjectNode().put("schema", schema.toString());
        try {
            JsonNode r = call("POST", "/compatibility/subjects/" + enc(subject) + "/versions/latest", body,
                    "check compatibility under subject " + subject);
            return r.path("is_compatible").asBoolean(false);
        } catch (RegistryException e) {
            if (e.status() == 404) {
                return true; // nothing registered yet: anything is compatible
            }
            throw e;
        }
    }

    /** Subjects known to the registry. */
    public List<String> subjects() {
        JsonNode r = call("GET", "/subjects", null, "list subjects");
        List<String> out = new ArrayList<>();
        r.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static Schema parse(String text, String what) {
        try {
            return new Schema.Parser().parse(text);
        } catch (RuntimeException e) {
            throw new RegistryException("the registry returned an unparseable schema for " + what + ": "
                    + e.getMessage(), 200, 0, e);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private JsonNode call(String method, String path, JsonNode body, String what) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Accept", CONTENT_TYPE + ", application/json");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (body != null) {
            b.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> resp;
        try {
            resp = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new RegistryException("schema registry " + base + " is not reachable (" + what + "): "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()), 0, 0, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while calling schema registry " + base + " (" + what + ")", 0, 0, e);
        }
        JsonNode json;
        try {
            json = resp.body().isEmpty() ? JSON.nullNode() : JSON.readTree(resp.body());
        } catch (IOException e) {
            throw new RegistryException("schema registry " + base + " answered " + resp.statusCode() + " with non-JSON ("
                    + what + "): " + abbreviate(resp.body()), resp.statusCode(), 0, e);
        }
        if (resp.statusCode() / 100 != 2) {
            int code = json.path("error_code").asInt(resp.statusCode());
            String msg = json.path("message").asText(abbreviate(resp.body()));
            throw new RegistryException("schema registry " + base + " refused to " + what + ": HTTP "
                    + resp.statusCode() + ", error " + code + ": " + msg, resp.statusCode(), code, null);
        }
        return json;
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
