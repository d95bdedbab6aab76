package io.xmrec.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.xmrec.schemas.Topics;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaParseException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An in-process schema registry for the embedded default: the Confluent Schema Registry REST API
 * subset xmrec's {@link RegistryClient} uses, served over HTTP, with the schemas kept durably in a
 * compacted Kafka topic ({@code _schemas}, one partition, keys and values as Confluent writes them)
 * and re-read from it at start. Compatibility is BACKWARD (a new version must read data written
 * with the latest one), checked with Avro's own {@link SchemaCompatibility}. In production point
 * the clients at Confluent Schema Registry, Apicurio (ccompat API), Karapace or Redpanda instead.
 *
 * <p>One instance writes a given {@code _schemas} topic; it is not a cluster of registries.
 *
 * <p>Bounded: eight request threads, request bodies up to {@value #MAX_BODY} bytes (413 beyond),
 * slow or idle connections closed by the JDK server's timers ({@link HttpLimits}). With write
 * credentials ({@code user:password}) every request that changes the registry needs them as HTTP
 * Basic auth (401 otherwise) while reads stay open: clients can resolve schema ids but not squat a
 * subject. Without credentials (the embedded default, bound to 127.0.0.1) anyone may register.
 */
public final class RegistryServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Version(String subject, int version, int id, String schema) {
    }

    private final String topic;
    private final KafkaProducer<String, String> producer;
    private final HttpServer http;
    private final ExecutorService pool;
    private final Map<String, TreeMap<Integer, Version>> subjects = new TreeMap<>();
    private final Map<Integer, String> schemas = new HashMap<>();
    private final Map<String, Integer> idsBySchema = new HashMap<>();
    private int nextId = 1;
    private final String writeAuthorization;

    /** Largest request body: a schema is a few KB. */
    public static final int MAX_BODY = 1 << 20;

    private RegistryServer(String bootstrap, String topic, Map<String, Object> kafkaProps, InetSocketAddress bind,
                           String writeCredentials) throws IOException {
        HttpLimits.apply();
        this.topic = topic;
        this.writeAuthorization = writeCredentials == null || writeCredentials.isEmpty() ? null
                : "Basic " + java.util.Base64.getEncoder().encodeToString(writeCredentials.getBytes(StandardCharsets.UTF_8));
        createTopic(bootstrap, kafkaProps);
        replay(bootstrap, kafkaProps);
        Map<String, Object> p = new HashMap<>(kafkaProps);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        this.http = HttpServer.create(bind, 0);
        this.pool = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "xmrec-registry-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(pool);
        http.createContext("/", this::handle);
        http.start();
        LOG.info("schema registry on {} backed by topic {} ({} schemas)", url(), topic, schemas.size());
    }

    /**
     * Starts a registry on {@code host:port} (port 0 picks a free one) storing schemas in
     * {@code _schemas} on the given Kafka cluster; {@code kafkaProps} carries client security settings.
     */
    public static RegistryServer start(String bootstrap, String host, int port, Map<String, Object> kafkaProps) {
        return start(bootstrap, host, port, kafkaProps, null);
    }

    /** As {@link #start(String, String, int, Map)}, changes allowed only with {@code writeCredentials} ("user:password"). */
    public static RegistryServer start(String bootstrap, String host, int port, Map<String, Object> kafkaProps,
                                       String writeCredentials) {
        if (writeCredentials != null && !writeCredentials.isEmpty() && writeCredentials.indexOf(':') < 1) {
            throw new IllegalArgumentException("registry write credentials must be user:password");
        }
        try {
            return new RegistryServer(bootstrap, Topics.SCHEMAS, kafkaProps, new InetSocketAddress(host, port),
                    writeCredentials);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the schema registry on " + host + ":" + port + ": "
                    + e.getMessage(), e);
        }
    }

    public String url() {
        InetSocketAddress a = http.getAddress();
        return "http://" + a.getHostString() + ":" + a.getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        pool.shutdownNow();
        producer.close(Duration.ofSeconds(5));
    }

    private void createTopic(String bootstrap, Map<String, Object> kafkaProps) {
        Map<String, Object> p = new HashMap<>(kafkaProps);
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            NewTopic t = new NewTopic(topic, Optional.of(1), Optional.empty())
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create the registry topic " + topic + " on " + bootstrap + ": "
                        + e.getCause().getMessage(), e.getCause());
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the registry topic " + topic + " on " + bootstrap + ": "
                    + e.getMessage(), e);
        }
    }

    /** Reads the topic from the beginning to its end and rebuilds the state. */
    private void replay(String bootstrap, Map<String, Object> kafkaProps) {
        Map<String, Object> p = new HashMap<>(kafkaProps);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            while (c.position(tp) < end) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    if (r.value() != null) {
                        apply(r.key(), r.value());
                    }
                }
            }
        }
    }

    private void apply(String key, String value) {
        try {
            JsonNode k = JSON.readTree(key);
            if (!"SCHEMA".equals(k.path("keytype").asText())) {
                return;
            }
            JsonNode v = JSON.readTree(value);
            Version ver = new Version(v.path("subject").asText(), v.path("version").asInt(), v.path("id").asInt(),
                    v.path("schema").asText());
            subjects.computeIfAbsent(ver.subject(), s -> new TreeMap<>()).put(ver.version(), ver);
            schemas.put(ver.id(), ver.schema());
            idsBySchema.putIfAbsent(ver.schema(), ver.id());
            nextId = Math.max(nextId, ver.id() + 1);
        } catch (IOException e) {
            LOG.warn("skipping an unreadable record in {}: {}", topic, e.getMessage());
        }
    }

    // ---------------------------------------------------------------- HTTP

    private static final class HttpError extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;
        final int code;

        HttpError(int status, int code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            int status = 200;
            JsonNode body;
            try {
                String method = ex.getRequestMethod();
                boolean changes = !method.equals("GET") && !method.equals("HEAD") && !isReadOnlyPost(method,
                        ex.getRequestURI().getRawPath());
                if (changes && writeAuthorization != null && !constantTimeEquals(writeAuthorization,
                        ex.getRequestHeaders().getFirst("Authorization"))) {
                    ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"xmrec registry writes\"");
                    throw new HttpError(401, 40101, "registering or changing schemas needs the registry's write credentials");
                }
                body = route(method, ex.getRequestURI().getRawPath(), bounded(ex.getRequestBody()));
            } catch (HttpError e) {
                status = e.status;
                body = JSON.createObjectNode().put("error_code", e.code).put("message", e.getMessage());
            } catch (RuntimeException e) {
                status = 500;
                body = JSON.createObjectNode().put("error_code", 50001).put("message", "registry error: " + e);
                LOG.warn("registry request {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
            }
            byte[] out = JSON.writeValueAsBytes(body);
            ex.getResponseHeaders().set("Content-Type", RegistryClient.CONTENT_TYPE);
            ex.sendResponseHeaders(status, out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        }
    }

    /** Look-ups and compatibility checks are POSTs that change nothing. */
    private static boolean isReadOnlyPost(String method, String rawPath) {
        if (!method.equals("POST")) {
            return false;
        }
        String[] p = rawPath.replaceAll("^/+|/+$", "").split("/+");
        return (p.length == 2 && p[0].equals("subjects")) || (p.length > 0 && p[0].equals("compatibility"));
    }

    private static boolean constantTimeEquals(String expected, String given) {
        return given != null && java.security.MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                given.getBytes(StandardCharsets.UTF_8));
    }

    /** The request body, refused with 413 when longer than {@link #MAX_BODY}. */
    private static InputStream bounded(InputStream in) throws HttpError, IOException {
        byte[] b = in.readNBytes(MAX_BODY + 1);
        if (b.length > MAX_BODY) {
            in.skip(Long.MAX_VALUE); // drain what is left so the answer reaches the client
            throw new HttpError(413, 41301, "request body over " + MAX_BODY + " bytes");
        }
        return new java.io.ByteArrayInputStream(b);
    }

    private JsonNode route(String method, String rawPath, InputStream in) throws HttpError, IOException {
        List<String> parts = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                parts.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
            }
        }
        int n = parts.size();
        if (method.equals("GET") && n == 0) {
            return JSON.createObjectNode();
        }
        if (method.equals("GET") && n == 1 && parts.get(0).equals("config")) {
            return JSON.createObjectNode().put("compatibilityLevel", "BACKWARD");
        }
        if (method.equals("GET") && n == 1 && parts.get(0).equals("subjects")) {
            ArrayNode a = JSON.createArrayNode();
            synchronized (this) {
                subjects.keySet().forEach(a::add);
            }
            return a;
        }
        if (method.equals("GET") && n == 3 && parts.get(0).equals("schemas") && parts.get(1).equals("ids")) {
            int id = parseInt(parts.get(2), "schema id");
            synchronized (this) {
                String s = schemas.get(id);
                if (s == null) {
                    throw new HttpError(404, 40403, "Schema " + id + " not found");
                }
                return JSON.createObjectNode().put("schema", s);
            }
        }
        if (n >= 2 && parts.get(0).equals("subjects")) {
            String subject = parts.get(1);
            if (method.equals("POST") && n == 3 && parts.get(2).equals("versions")) {
                return register(subject, readSchema(in));
            }
            if (method.equals("POST") && n == 2) {
                return lookup(subject, readSchema(in));
            }
            if (method.equals("GET") && n == 3 && parts.get(2).equals("versions")) {
                ArrayNode a = JSON.createArrayNode();
                synchronized (this) {
                    versions(subject).keySet().forEach(a::add);
                }
                return a;
            }
            if (method.equals("GET") && n == 4 && parts.get(2).equals("versions")) {
                return toJson(version(subject, parts.get(3)));
            }
        }
        if (method.equals("POST") && n == 5 && parts.get(0).equals("compatibility") && parts.get(1).equals("subjects")
                && parts.get(3).equals("versions")) {
            Schema candidate = readSchema(in);
            Version against = version(parts.get(2), parts.get(4));
            return JSON.createObjectNode().put("is_compatible", compatible(candidate, against) == null);
        }
        throw new HttpError(404, 404, "no such endpoint: " + method + " " + rawPath);
    }

    private static int parseInt(String s, String what) throws HttpError {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new HttpError(422, 42202, what + " '" + s + "' is not a number");
        }
    }

    private static Schema readSchema(InputStream in) throws HttpError, IOException {
        JsonNode req;
        try {
            req = JSON.readTree(in);
        } catch (IOException e) {
            throw new HttpError(422, 42201, "request body is not JSON: " + e.getMessage());
        }
        if (req == null || !req.path("schema").isTextual()) {
            throw new HttpError(422, 42201, "request body needs a \"schema\" string");
        }
        String type = req.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new HttpError(422, 42201, "schema type " + type + " is not supported here, only AVRO");
        }
        try {
            return new Schema.Parser().parse(req.path("schema").asText());
        } catch (SchemaParseException e) {
            throw new HttpError(422, 42201, "Invalid schema: " + e.getMessage());
        }
    }

    private TreeMap<Integer, Version> versions(String subject) throws HttpError {
        TreeMap<Integer, Version> v = subjects.get(subject);
        if (v == null || v.isEmpty()) {
            throw new HttpError(404, 40401, "Subject '" + subject + "' not found.");
        }
        return v;
    }

    private synchronized Version version(String subject, String which) throws HttpError {
        TreeMap<Integer, Version> v = versions(subject);
        if (which.equals("latest") || which.equals("-1")) {
            return v.lastEntry().getValue();
        }
        Version got = v.get(parseInt(which, "version"));
        if (got == null) {
            throw new HttpError(404, 40402, "Version " + which + " of subject '" + subject + "' not found.");
        }
        return got;
    }

    private static ObjectNode toJson(Version v) {
        return JSON.createObjectNode().put("subject", v.subject()).put("version", v.version()).put("id", v.id())
                .put("schema", v.schema());
    }

    /** Null when {@code candidate} can read what {@code latest} wrote, else the reason. */
    private static String compatible(Schema candidate, Version latest) {
        Schema writer = new Schema.Parser().parse(latest.schema());
        SchemaCompatibility.SchemaPairCompatibility c = SchemaCompatibility.checkReaderWriterCompatibility(candidate, writer);
        return c.getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE ? null : c.getDescription();
    }

    private synchronized JsonNode lookup(String subject, Schema schema) throws HttpError {
        String canonical = schema.toString();
        for (Version v : versions(subject).values()) {
            if (v.schema().equals(canonical)) {
                return toJson(v);
            }
        }
        throw new HttpError(404, 40403, "Schema not found under subject '" + subject + "'");
    }

    private synchronized JsonNode register(String subject, Schema schema) throws HttpError {
        String canonical = schema.toString();
        TreeMap<Integer, Version> existing = subjects.get(subject);
        if (existing != null && !existing.isEmpty()) {
            for (Version v : existing.values()) {
                if (v.schema().equals(canonical)) {
                    return JSON.createObjectNode().put("id", v.id());
                }
            }
            String why = compatible(schema, existing.lastEntry().getValue());
            if (why != null) {
                throw new HttpError(409, 409, "Schema being registered is incompatible with an earlier schema for subject \""
                        + subject + "\" (BACKWARD): " + why);
            }
        }
        int id = idsBySchema.getOrDefault(canonical, nextId);
        int version = existing == null || existing.isEmpty() ? 1 : existing.lastKey() + 1;
        ObjectNode key = JSON.createObjectNode().put("keytype", "SCHEMA").put("subject", subject).put("version", version)
                .put("magic", 1);
        ObjectNode value = toJson(new Version(subject, version, id, canonical)).put("deleted", false);
        try {
            producer.send(new ProducerRecord<>(topic, 0, key.toString(), value.toString())).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new HttpError(500, 50001, "cannot store the schema in topic " + topic + ": " + e.getMessage());
        }
        apply(key.toString(), value.toString());
        return JSON.createObjectNode().put("id", id);
    }
}
