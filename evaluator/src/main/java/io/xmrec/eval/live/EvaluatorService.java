package io.xmrec.eval.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.xmrec.schemas.EvaluationRecord;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.serving.ModelClient;
import io.xmrec.serving.RecommendationServer;
import io.xmrec.serving.SeenItems;
import io.xmrec.serving.ServedModel;
import io.xmrec.serving.http.EventStream;
import io.xmrec.serving.http.JsonHttp;
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
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
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
import java.util.concurrent.ConcurrentHashMap;

/**
 * The evaluator service: runs {@link LiveEvaluator} as a Kafka Streams application, follows the
 * models through serving's {@link ModelClient} and what users reviewed through {@link SeenItems},
 * and serves the shop's endpoints ({@link RecommendationServer}) plus {@code /api/metrics} (the
 * latest measurement per market and kind), {@code /api/history} (the measurements so far, from
 * {@code xmrec.metrics}), {@code /metrics} for Prometheus, {@code /events} (server-sent events:
 * the latest measurements when they change) and the dashboard at {@code /}. {@code /health} is 200
 * while the streams run and the models are followed, 503 otherwise.
 */
public final class EvaluatorService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EvaluatorService.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ECHARTS = "/META-INF/resources/webjars/echarts/5.3.1/dist/echarts.min.js";
    /** Open dashboard streams at most: more are refused with 503, and none can hold an HTTP worker. */
    public static final int MAX_EVENT_STREAMS = 64;

    private final List<java.util.function.Supplier<String>> moreMetrics = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final KafkaStreams streams;
    private final AvroSerde serde;
    private final ModelClient models;
    private final SeenItems seen;
    private final RecommendationServer http;
    private final EventStream events = new EventStream(MAX_EVENT_STREAMS);
    private final Map<String, Deque<EvaluationRecord>> history = new ConcurrentHashMap<>();
    private final KafkaConsumer<String, byte[]> historyConsumer;
    private final Thread historyThread;
    private final Thread broadcaster;
    private volatile boolean running = true;
    private volatile String lastEvent = "";

    public EvaluatorService(String bootstrap, Map<String, Object> clientProps, AvroSerde serde, Path stateDir,
                            String host, int port, LiveEvaluator.Settings settings) {
        this.serde = serde;
        this.models = new ModelClient(bootstrap, clientProps, serde);
        this.seen = new SeenItems(bootstrap, clientProps, serde);
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
        ModelClient m = models;
        this.streams = new KafkaStreams(LiveEvaluator.topology(() -> serde, () -> m, settings), p);
        // a processor that throws is a bug, not data: the thread is replaced and the error logged, the service stays up
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("evaluator stream thread failed, replacing it: {}", e.toString(), e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
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

        this.http = new RecommendationServer(models, seen, this::ready, host, port);
        http.route("/api/metrics", ex -> send(ex, 200, "application/json", JSON.writeValueAsBytes(latest())));
        http.route("/api/history", ex -> send(ex, 200, "application/json", JSON.writeValueAsBytes(historyJson())));
        http.route("/metrics", ex -> {
            StringBuilder text = new StringBuilder(prometheus());
            moreMetrics.forEach(s -> text.append(s.get()));
            send(ex, 200, io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.CONTENT_TYPE,
                    text.toString().getBytes(StandardCharsets.UTF_8));
        });
        http.routeRaw("/events", events.handler(() -> lastEvent.isEmpty() ? null : lastEvent));
        http.route("/static/echarts.min.js", ex -> resource(ex, ECHARTS, "application/javascript"));
        http.route("/", ex -> {
            if (!ex.getRequestURI().getPath().equals("/")) {
                send(ex, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
                return;
            }
            send(ex, 200, "text/html; charset=utf-8", dashboard());
        });
        this.broadcaster = new Thread(this::broadcast, "xmrec-dashboard-events");
        broadcaster.setDaemon(true);
        broadcaster.start();
    }

    /** Whether the service does its job: the streams run and the models are followed. */
    public boolean ready() {
        KafkaStreams.State st = streams.state();
        return (st == KafkaStreams.State.RUNNING || st == KafkaStreams.State.REBALANCING) && models.caughtUp()
                && models.alive();
    }

    /** The models as the evaluator follows them. */
    public ModelClient models() {
        return models;
    }

    /** Sends the latest measurements to the dashboards when they change, once a second. */
    private void broadcast() {
        while (running) {
            try {
                ObjectNode l = latest();
                l.remove("now");
                String now = JSON.writeValueAsString(l);
                if (!now.equals(lastEvent)) {
                    lastEvent = now;
                    events.publish("message", now);
                }
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                LOG.debug("dashboard event not built: {}", e.toString());
            }
        }
    }

    public String url() {
        return http.url();
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    private void followHistory() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : historyConsumer.poll(Duration.ofMillis(500))) {
                    if (r.value() == null) {
                        continue;
                    }
                    EvaluationRecord e;
                    try {
                        e = serde.deserialize(r.value(), EvaluationRecord.class);
                    } catch (RuntimeException | OutOfMemoryError bad) {
                        LOG.warn("skipping metrics record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), bad.toString());
                        continue;
                    }
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
        } catch (RuntimeException e) {
            LOG.error("metrics history stopped: {}", e.toString());
        } finally {
            historyConsumer.close();
        }
    }

    private static ObjectNode json(EvaluationRecord e) {
        return LiveMetric.putAll(JSON.createObjectNode().put("market", e.getMarket()).put("kind", e.getKind())
                .put("model_version", e.getModelVersion()).put("users", e.getUsers()), e)
                .put("time", e.getTime().toEpochMilli());
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
                    EvaluationRecord e;
                    try {
                        e = serde.deserialize(kv.value, EvaluationRecord.class);
                    } catch (RuntimeException bad) {
                        continue;
                    }
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
                ServedModel sm = models.model(v.getKey());
                if (sm != null) {
                    m.put("trunk_version", sm.trunkVersion());
                    m.put("model_created_ms", sm.meta().createdAtMillis());
                    m.put("recipe", sm.meta().recipe());
                    if (sm.meta().watermarkMillis() != null) {
                        m.put("watermark", sm.meta().watermarkMillis());
                    }
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

    /**
     * Adds Prometheus text to what {@code /metrics} answers, for parts that run in the same process
     * (the embedded system's updater).
     */
    public void addMetrics(java.util.function.Supplier<String> prometheusText) {
        moreMetrics.add(prometheusText);
    }

    /** Prometheus text format: model versions, nDCG@10 / HR@10 per market and split, users measured. */
    String prometheus() {
        return EvaluatorMetrics.prometheus(latest());
    }

    /** Where the dashboard page takes the metric table ({@link LiveMetric}) in place of an empty list. */
    static final String METRICS_PLACEHOLDER = "/*xmrec:metrics*/[]";

    private static volatile byte[] dashboardPage;

    /** The dashboard page, given the metric table: put together on the first request, then served as it is. */
    static byte[] dashboard() throws IOException {
        byte[] page = dashboardPage;
        if (page == null) {
            page = dashboardPage = readDashboard();
        }
        return page;
    }

    private static byte[] readDashboard() throws IOException {
        try (InputStream in = EvaluatorService.class.getResourceAsStream("/io/xmrec/eval/live/dashboard.html")) {
            if (in == null) {
                throw new IOException("the dashboard page is missing from the build");
            }
            String page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!page.contains(METRICS_PLACEHOLDER)) {
                throw new IOException("the dashboard page has no place for the metric table");
            }
            return page.replace(METRICS_PLACEHOLDER, LiveMetric.describe().toString()).getBytes(StandardCharsets.UTF_8);
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
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        try (var os = ex.getResponseBody()) {
            os.write(body);
        }
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
        broadcaster.interrupt();
        events.close();
        http.close();
        historyConsumer.wakeup();
        streams.close(Duration.ofSeconds(10));
        seen.close();
        models.close();
    }
}
