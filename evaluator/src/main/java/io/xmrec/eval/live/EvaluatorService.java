package io.xmrec.eval.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.xmrec.core.serving.ServedModel;
import io.xmrec.model.ModelCodec;
import io.xmrec.model.topic.ModelClient;
import io.xmrec.model.topic.ModelSource;
import io.xmrec.model.topic.RecommendationServer;
import io.xmrec.schemas.EvaluationRecord;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The evaluator service: runs {@link LiveEvaluator} as a Kafka Streams application and serves, from
 * its state stores (interactive queries), the recommendation endpoint, {@code /api/metrics} (the
 * latest measurement per market and kind), {@code /api/history} (the measurements so far, read from
 * {@code xmrec.metrics}), {@code /metrics} for Prometheus, {@code /events} (server-sent events with
 * the latest measurements every second) and the dashboard at {@code /}.
 */
public final class EvaluatorService implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ECHARTS = "/META-INF/resources/webjars/echarts/5.3.1/dist/echarts.min.js";

    private final KafkaStreams streams;
    private final AvroSerde serde;
    private final RecommendationServer http;
    private final Map<String, Deque<EvaluationRecord>> history = new ConcurrentHashMap<>();
    private final KafkaConsumer<String, byte[]> historyConsumer;
    private final Thread historyThread;
    private volatile boolean running = true;
    private final StoreModels models = new StoreModels();

    public EvaluatorService(String bootstrap, Map<String, Object> clientProps, String registryUrl, Path stateDir,
                            String host, int port, LiveEvaluator.Settings settings) {
        this.serde = new AvroSerde(new RegistryClient(registryUrl));
        Properties p = new Properties();
        p.putAll(clientProps);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, Topics.PREFIX + "xmrec-evaluator");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 500);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), 80 << 20);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_BYTES_CONFIG), 80 << 20);
        p.put(StreamsConfig.producerPrefix("max.request.size"), 80 << 20);
        p.put(StreamsConfig.topicPrefix("max.message.bytes"), Integer.toString(64 << 20));
        this.streams = new KafkaStreams(LiveEvaluator.topology(() -> serde, settings), p);
        streams.start();

        Map<String, Object> c = new HashMap<>(clientProps);
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.historyConsumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> tps = new ArrayList<>();
        for (PartitionInfo pi : historyConsumer.partitionsFor(Topics.METRICS, Duration.ofSeconds(30))) {
            tps.add(new TopicPartition(Topics.METRICS, pi.partition()));
        }
        historyConsumer.assign(tps);
        historyConsumer.seekToBeginning(tps);
        this.historyThread = new Thread(this::followHistory, "xmrec-metrics-history");
        historyThread.setDaemon(true);
        historyThread.start();

        this.http = new RecommendationServer(models, host, port);
        http.route("/api/metrics", ex -> send(ex, 200, "application/json", JSON.writeValueAsBytes(latest())));
        http.route("/api/history", ex -> send(ex, 200, "application/json", JSON.writeValueAsBytes(historyJson())));
        http.route("/metrics", ex -> send(ex, 200, "text/plain; version=0.0.4", prometheus().getBytes(StandardCharsets.UTF_8)));
        http.route("/events", this::events);
        http.route("/static/echarts.min.js", ex -> resource(ex, ECHARTS, "application/javascript"));
        http.route("/", ex -> {
            if (!ex.getRequestURI().getPath().equals("/")) {
                send(ex, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
                return;
            }
            resource(ex, "/io/xmrec/eval/live/dashboard.html", "text/html; charset=utf-8");
        });
    }

    public String url() {
        return http.url();
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Models from the evaluator's own state store, decoded once per version. */
    private final class StoreModels implements ModelSource {
        private final Map<String, ServedModel> cache = new ConcurrentHashMap<>();
        private final Map<String, Long> watermarks = new ConcurrentHashMap<>();

        private ReadOnlyKeyValueStore<String, byte[]> store(String name) {
            try {
                return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.keyValueStore()));
            } catch (RuntimeException e) {
                throw new ModelClient.NotFound("the evaluator's stores are not ready (" + streams.state() + ")");
            }
        }

        @Override
        public ServedModel model(String market) {
            byte[] version = store(LiveEvaluator.VERSIONS_STORE).get(market);
            if (version == null) {
                throw new ModelClient.NotFound("no model for market " + market);
            }
            ServedModel held = cache.get(market);
            if (held == null || held.version() != java.nio.ByteBuffer.wrap(version).getLong()) {
                byte[] b = store(LiveEvaluator.MODELS_STORE).get(market);
                ModelRecord r = serde.deserialize(b, ModelRecord.class);
                held = ModelCodec.served(r);
                cache.put(market, held);
                if (r.getWatermark() != null) {
                    watermarks.put(market, r.getWatermark().toEpochMilli());
                }
            }
            return held;
        }

        @Override
        public Map<String, Long> versions() {
            Map<String, Long> v = new TreeMap<>();
            try (KeyValueIterator<String, byte[]> it = store(LiveEvaluator.VERSIONS_STORE).all()) {
                while (it.hasNext()) {
                    KeyValue<String, byte[]> kv = it.next();
                    v.put(kv.key, java.nio.ByteBuffer.wrap(kv.value).getLong());
                }
            }
            return v;
        }
    }

    private void followHistory() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : historyConsumer.poll(Duration.ofMillis(500))) {
                    if (r.value() == null) {
                        continue;
                    }
                    EvaluationRecord e = serde.deserialize(r.value(), EvaluationRecord.class);
                    Deque<EvaluationRecord> d = history.computeIfAbsent(e.getMarket(), k -> new ArrayDeque<>());
                    synchronized (d) {
                        d.addLast(e);
                        while (d.size() > 2000) {
                            d.removeFirst();
                        }
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            historyConsumer.close();
        }
    }

    private static ObjectNode json(EvaluationRecord e) {
        return JSON.createObjectNode().put("market", e.getMarket()).put("kind", e.getKind())
                .put("model_version", e.getModelVersion()).put("users", e.getUsers()).put("ndcg10", e.getNdcg10())
                .put("hr10", e.getHr10()).put("time", e.getTime().toEpochMilli());
    }

    /** market -> kind -> the latest measurement, plus model versions and freshness. */
    ObjectNode latest() {
        ObjectNode out = JSON.createObjectNode();
        ObjectNode markets = out.putObject("markets");
        try {
            ReadOnlyKeyValueStore<String, byte[]> store = streams.store(StoreQueryParameters.fromNameAndType(
                    LiveEvaluator.METRICS_STORE, QueryableStoreTypes.keyValueStore()));
            try (KeyValueIterator<String, byte[]> it = store.all()) {
                while (it.hasNext()) {
                    KeyValue<String, byte[]> kv = it.next();
                    EvaluationRecord e = serde.deserialize(kv.value, EvaluationRecord.class);
                    ObjectNode m = markets.has(e.getMarket()) ? (ObjectNode) markets.get(e.getMarket())
                            : markets.putObject(e.getMarket());
                    m.set(e.getKind(), json(e));
                }
            }
            ReadOnlyKeyValueStore<String, byte[]> counters = streams.store(StoreQueryParameters.fromNameAndType(
                    LiveEvaluator.COUNTERS_STORE, QueryableStoreTypes.keyValueStore()));
            try (KeyValueIterator<String, byte[]> it = counters.all()) {
                while (it.hasNext()) {
                    KeyValue<String, byte[]> kv = it.next();
                    int bar = kv.key.indexOf('|');
                    String market = kv.key.substring(0, bar);
                    ObjectNode owner = market.equals("*") || market.equals("?") ? out.with("system").with(market)
                            : markets.has(market) ? (ObjectNode) markets.get(market) : markets.putObject(market);
                    owner.with("counters").put(kv.key.substring(bar + 1), java.nio.ByteBuffer.wrap(kv.value).getDouble());
                }
            }
            for (Map.Entry<String, Long> v : models.versions().entrySet()) {
                ObjectNode m = markets.has(v.getKey()) ? (ObjectNode) markets.get(v.getKey()) : markets.putObject(v.getKey());
                m.put("model_version", v.getValue());
                models.model(v.getKey()); // decodes only a model that changed; keeps its watermark
                Long w = models.watermarks.get(v.getKey());
                if (w != null) {
                    m.put("watermark", w);
                }
            }
        } catch (RuntimeException e) {
            out.put("status", "starting: " + streams.state());
        }
        out.put("now", System.currentTimeMillis());
        return out;
    }

    private ObjectNode historyJson() {
        ObjectNode out = JSON.createObjectNode();
        history.forEach((market, d) -> {
            ArrayNode a = out.putArray(market);
            synchronized (d) {
                d.forEach(e -> a.add(json(e)));
            }
        });
        return out;
    }

    /** Prometheus text format: model versions, nDCG@10 / HR@10 per market and split, users measured. */
    String prometheus() {
        return prometheus(latest());
    }

    /** The Prometheus text of a snapshot as {@code /api/metrics} gives it (public for checks of dashboards). */
    public static String prometheus(ObjectNode l) {
        StringBuilder b = new StringBuilder();
        b.append("# HELP xmrec_model_version Newest model version per market.\n# TYPE xmrec_model_version gauge\n");
        l.path("markets").fields().forEachRemaining(e -> {
            if (e.getValue().has("model_version")) {
                b.append("xmrec_model_version{market=\"").append(e.getKey()).append("\"} ")
                        .append(e.getValue().get("model_version").asLong()).append('\n');
            }
        });
        String[][] splits = {{"holdout-valid", "valid"}, {"holdout-test", "test"}, {"prequential", "prequential"},
                {"holdout-test-full", "test_full"}};
        String[][] refSplits = {{"reference-valid", "valid"}, {"reference-test", "test"}};
        for (String[] metric : new String[][] {{"ndcg10", "xmrec_eval_ndcg_at_10", "nDCG@10"},
                {"hr10", "xmrec_eval_hr_at_10", "HR@10"}, {"users", "xmrec_eval_users", "users measured"}}) {
            gauge(b, l, metric[1], metric[2] + " of the newest model per market and split (valid, test, prequential, "
                    + "test_full = full ranking).", splits, metric[0]);
        }
        for (String[] metric : new String[][] {{"ndcg10", "xmrec_reference_ndcg_at_10", "nDCG@10"},
                {"hr10", "xmrec_reference_hr_at_10", "HR@10"}}) {
            gauge(b, l, metric[1], metric[2] + " of the single-market NMF reference per market and split.", refSplits,
                    metric[0]);
        }
        counter(b, l, "xmrec_events_total", "Review events accepted (holdout updates) per market.", "events");
        counter(b, l, "xmrec_train_interactions_total", "Interactions promoted to training per market.", "train");
        counter(b, l, "xmrec_deadletters_total", "Records dead-lettered per market (market ? = not attributable).",
                "deadletters");
        b.append("# HELP xmrec_updates_total Model-updater reports per market and kind (published, refused, trunk, "
                + "reference).\n# TYPE xmrec_updates_total counter\n");
        StringBuilder secs = new StringBuilder("# HELP xmrec_training_seconds_total Seconds the model-updater spent per "
                + "market and kind.\n# TYPE xmrec_training_seconds_total counter\n");
        forEachCounter(l, (market, name, value) -> {
            if (name.startsWith("updates-")) {
                b.append("xmrec_updates_total{market=\"").append(market).append("\",kind=\"")
                        .append(name.substring("updates-".length())).append("\"} ").append((long) value).append('\n');
            } else if (name.startsWith("seconds-")) {
                secs.append("xmrec_training_seconds_total{market=\"").append(market).append("\",kind=\"")
                        .append(name.substring("seconds-".length())).append("\"} ").append(value).append('\n');
            }
        });
        b.append(secs);
        b.append("# HELP xmrec_model_freshness_seconds Event time of the newest interaction in the model, behind now.\n")
                .append("# TYPE xmrec_model_freshness_seconds gauge\n");
        l.path("markets").fields().forEachRemaining(e -> {
            if (e.getValue().has("watermark")) {
                b.append("xmrec_model_freshness_seconds{market=\"").append(e.getKey()).append("\"} ")
                        .append((l.get("now").asLong() - e.getValue().get("watermark").asLong()) / 1000.0).append('\n');
            }
        });
        b.append("# HELP xmrec_model_lag_event_seconds Event time of the newest review seen in the market minus that of "
                + "the newest interaction in its model (how far the model trails the stream, in event time).\n")
                .append("# TYPE xmrec_model_lag_event_seconds gauge\n");
        l.path("markets").fields().forEachRemaining(e -> {
            JsonNode last = e.getValue().path("counters").path("last-event-ms");
            if (e.getValue().has("watermark") && !last.isMissingNode()) {
                b.append("xmrec_model_lag_event_seconds{market=\"").append(e.getKey()).append("\"} ")
                        .append(Math.max(0, last.asDouble() - e.getValue().get("watermark").asLong()) / 1000.0).append('\n');
            }
        });
        return b.toString();
    }

    private interface CounterVisitor {
        void visit(String market, String name, double value);
    }

    /** Every counter of the markets and of the system part ({@code *}: trunks, {@code ?}: dead letters of no market). */
    private static void forEachCounter(ObjectNode l, CounterVisitor v) {
        l.path("markets").fields().forEachRemaining(e -> e.getValue().path("counters").fields()
                .forEachRemaining(c -> v.visit(e.getKey(), c.getKey(), c.getValue().asDouble())));
        l.path("system").fields().forEachRemaining(e -> e.getValue().path("counters").fields()
                .forEachRemaining(c -> v.visit(e.getKey(), c.getKey(), c.getValue().asDouble())));
    }

    private static void gauge(StringBuilder b, ObjectNode l, String name, String help, String[][] splits, String field) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n");
        l.path("markets").fields().forEachRemaining(e -> {
            for (String[] split : splits) {
                if (e.getValue().has(split[0])) {
                    b.append(name).append("{market=\"").append(e.getKey()).append("\",split=\"").append(split[1])
                            .append("\"} ").append(e.getValue().get(split[0]).get(field).asDouble()).append('\n');
                }
            }
        });
    }

    private static void counter(StringBuilder b, ObjectNode l, String name, String help, String counter) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n");
        forEachCounter(l, (market, n, value) -> {
            if (n.equals(counter)) {
                b.append(name).append("{market=\"").append(market).append("\"} ").append((long) value).append('\n');
            }
        });
    }

    private void events(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream os = ex.getResponseBody()) {
            String last = "";
            while (running) {
                ObjectNode l = latest();
                l.remove("now");
                String now = JSON.writeValueAsString(l);
                if (!now.equals(last)) {
                    os.write(("data: " + now + "\n\n").getBytes(StandardCharsets.UTF_8));
                    os.flush();
                    last = now;
                }
                Thread.sleep(1000);
            }
        } catch (IOException | InterruptedException e) {
            // the browser went away, or we are closing
        }
    }

    private static void resource(HttpExchange ex, String path, String type) throws IOException {
        try (InputStream in = EvaluatorService.class.getResourceAsStream(path)) {
            if (in == null) {
                send(ex, 404, "text/plain", ("missing resource " + path).getBytes(StandardCharsets.UTF_8));
                return;
            }
            send(ex, 200, type, in.readAllBytes());
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        RecommendationServer.send(ex, status, type, body);
    }

    /** A temporary state directory for embedded runs. */
    public static Path tempStateDir() {
        try {
            return Files.createTempDirectory("xmrec-evaluator");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a state directory: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        running = false;
        http.close();
        historyConsumer.wakeup();
        streams.close(Duration.ofSeconds(10));
    }
}
