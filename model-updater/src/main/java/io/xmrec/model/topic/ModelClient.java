package io.xmrec.model.topic;

import io.xmrec.core.serving.ServedModel;
import io.xmrec.model.ModelCodec;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Follows {@code xmrec.models} and keeps the newest model of every market ready to score:
 * {@link #recommend} and {@link #score} answer from it in plain Java. It reads the compacted
 * topic from the beginning (so it starts with the latest model of every market) and then keeps
 * polling on a background thread; a record with a version not newer than the one held is ignored.
 */
public final class ModelClient implements ModelSource, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelClient.class);

    /** No model (yet) for a market, or the user is not in it. */
    public static final class NotFound extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public NotFound(String message) {
            super(message);
        }
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final AvroSerde serde;
    private final Map<String, ServedModel> models = new ConcurrentHashMap<>();
    private final List<Consumer<ServedModel>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    public ModelClient(String bootstrap, Map<String, Object> clientProps, String registryUrl) {
        this.consumer = new KafkaConsumer<>(TopicReader.consumerProps(bootstrap, clientProps), new StringDeserializer(),
                new ByteArrayDeserializer());
        this.serde = new AvroSerde(new RegistryClient(registryUrl));
        List<TopicPartition> tps = new ArrayList<>();
        for (PartitionInfo pi : consumer.partitionsFor(Topics.MODELS, Duration.ofSeconds(30))) {
            tps.add(new TopicPartition(Topics.MODELS, pi.partition()));
        }
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        this.thread = new Thread(this::loop, "xmrec-model-client");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        continue;
                    }
                    try {
                        accept(serde.deserialize(r.value(), ModelRecord.class));
                    } catch (RuntimeException e) {
                        LOG.warn("skipping model record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    private void accept(ModelRecord r) {
        if (r.getReference()) {
            return; // a single-market NMF kept for comparison, not a model to serve
        }
        ServedModel m = ModelCodec.served(r);
        ServedModel now = models.merge(r.getMarket(), m, (old, neu) -> neu.version() > old.version() ? neu : old);
        if (now == m) {
            listeners.forEach(l -> l.accept(m));
        }
    }

    /** Called with every newer model as it arrives. */
    public void onModel(Consumer<ServedModel> listener) {
        listeners.add(listener);
    }

    @Override
    public Map<String, Long> versions() {
        Map<String, Long> v = new TreeMap<>();
        models.forEach((k, m) -> v.put(k, m.version()));
        return v;
    }

    @Override
    public ServedModel model(String market) {
        ServedModel m = models.get(market);
        if (m == null) {
            throw new NotFound("no model for market " + market + (models.isEmpty() ? " (no model received yet)"
                    : " (models: " + versions().keySet() + ")"));
        }
        return m;
    }

    /** Waits until {@code market} has a model of at least {@code version}. */
    public ServedModel await(String market, long version, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            ServedModel m = models.get(market);
            if (m != null && m.version() >= version) {
                return m;
            }
            Thread.sleep(50);
        }
        throw new NotFound("no model of version >= " + version + " for market " + market + " within " + timeout);
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
