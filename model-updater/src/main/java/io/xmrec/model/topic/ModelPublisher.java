package io.xmrec.model.topic;

import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Publishes market models on the compacted {@code xmrec.models} topic, keyed by market. A record
 * larger than the topic's {@code max.message.bytes} would be refused by the broker after the
 * fact; the publisher checks the encoded size first and throws {@link TooLarge} with the sizes and
 * the way out (raise the topic's limit, or shrink the model: fewer users or items per market,
 * smaller embeddings), and the previous version stays the current one.
 */
public final class ModelPublisher implements AutoCloseable {

    /** A model that does not fit in one record. */
    public static final class TooLarge extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        TooLarge(String message) {
            super(message);
        }
    }

    private final KafkaProducer<String, byte[]> producer;
    private final AvroSerde serde;
    private final int maxBytes;

    public ModelPublisher(String bootstrap, Map<String, Object> clientProps, AvroSerde serde, int maxBytes) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxBytes + 1024);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(32L << 20, 2L * maxBytes));
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.serde = serde;
        this.maxBytes = maxBytes;
    }

    /** Encodes and publishes on {@code xmrec.models}; returns the encoded size. Blocks until the broker has it. */
    public int publish(ModelRecord r) {
        return publish(Topics.MODELS, r);
    }

    /** Encodes and publishes on a model topic ({@code xmrec.models} or {@code xmrec.forks}); returns the encoded size. */
    public int publish(String topic, ModelRecord r) {
        byte[] value = serde.serialize(topic, r);
        if (value.length > maxBytes) {
            throw new TooLarge(String.format("model %s v%d is %,d bytes, over the %,d-byte record limit of %s (%d users, "
                    + "%d items): raise max.message.bytes of the topic (and the broker's message.max.bytes) or publish a "
                    + "smaller model; version %d stays unpublished", r.getMarket(), r.getVersion(), value.length, maxBytes,
                    topic, r.getUsers().size(), r.getItems().size(), r.getVersion()));
        }
        try {
            String key = r.getReference() ? Topics.referenceKey(r.getMarket()) : r.getMarket();
            RecordMetadata md = producer.send(new ProducerRecord<>(topic, key, value))
                    .get(60, TimeUnit.SECONDS);
            if (md == null) {
                throw new IllegalStateException("no acknowledgement for model " + r.getMarket());
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish model " + r.getMarket() + " v" + r.getVersion() + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot publish model " + r.getMarket() + " v" + r.getVersion() + ": " + e, e);
        }
        return value.length;
    }

    /** Reports what the updater did on {@code xmrec.updates} (not waited for: a lost report loses no data). */
    public void report(io.xmrec.schemas.UpdateEvent e) {
        producer.send(new ProducerRecord<>(Topics.UPDATES, e.getMarket(), serde.serialize(Topics.UPDATES, e)));
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
