package io.xmrec.ingest;

import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Publishes replayed review events to {@code xmrec.reviews.<market>}, keyed by user, with an
 * idempotent producer (acks=all). Pacing: {@code daysPerSecond} days of event time per second of
 * wall time, or as fast as possible when it is not positive. Reports progress (events, events/s,
 * event time reached, ETA) through {@code progress} every {@code progressEvery}.
 */
public final class ReplayPublisher {

    /** What a replay did. */
    public record Summary(long events, Map<String, Long> perMarket, double seconds) {
        public double eventsPerSecond() {
            return seconds > 0 ? events / seconds : 0;
        }
    }

    private final Map<String, Object> producerProps;
    private final AvroSerde serde;
    private final double daysPerSecond;
    private final Duration progressEvery;
    private final Consumer<String> progress;

    public ReplayPublisher(String bootstrap, Map<String, Object> clientProps, AvroSerde serde, double daysPerSecond,
                           Duration progressEvery, Consumer<String> progress) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        this.producerProps = p;
        this.serde = serde;
        this.daysPerSecond = daysPerSecond;
        this.progressEvery = progressEvery;
        this.progress = progress;
    }

    public Summary publish(List<ReplayEvents.Sourced> events) {
        long t0 = System.nanoTime();
        long lastReport = t0;
        Map<String, Long> perMarket = new TreeMap<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        long firstDay = events.isEmpty() ? 0 : events.get(0).interaction().epochDay();
        long sent = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                new ByteArraySerializer())) {
            for (ReplayEvents.Sourced s : events) {
                if (failure.get() != null) {
                    break;
                }
                if (daysPerSecond > 0) {
                    long dueNanos = t0 + (long) ((s.interaction().epochDay() - firstDay) / daysPerSecond * 1e9);
                    long wait = dueNanos - System.nanoTime();
                    if (wait > 0) {
                        producer.flush();
                        sleep(wait);
                    }
                }
                String topic = Topics.reviews(s.market());
                byte[] value = serde.serialize(topic, s.event());
                producer.send(new ProducerRecord<>(topic, s.event().getUser(), value), (md, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                });
                perMarket.merge(s.market(), 1L, Long::sum);
                sent++;
                long now = System.nanoTime();
                if (now - lastReport >= progressEvery.toNanos()) {
                    lastReport = now;
                    progress.accept(line(sent, events.size(), now - t0, s.interaction().epochDay()));
                }
            }
            producer.flush();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("publishing failed after " + sent + " events: " + failure.get().getMessage(),
                    failure.get());
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Summary(sent, perMarket, secs);
    }

    private static String line(long sent, long total, long nanos, long epochDay) {
        double secs = nanos / 1e9;
        double rate = sent / Math.max(secs, 1e-9);
        long eta = Math.round((total - sent) / Math.max(rate, 1e-9));
        return String.format("ingest: %,d/%,d events | %,.0f events/s | event time %s | ETA %d:%02d:%02d", sent, total,
                rate, LocalDate.ofEpochDay(epochDay), eta / 3600, (eta / 60) % 60, eta % 60);
    }

    private static void sleep(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while pacing the replay", e);
        }
    }
}
