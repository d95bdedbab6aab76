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
 * event time reached, ETA) through {@code progress} every {@code progressEvery}: the ETA of a paced
 * replay is the event time still to go at the pace, that of an unpaced one the events still to go
 * at the average rate so far. An interrupt of the publishing thread stops the replay within the
 * pacing sleep: what was sent is flushed for at most a few seconds and the summary says it stopped.
 */
public final class ReplayPublisher {

    /** What a replay did. */
    public record Summary(long events, Map<String, Long> perMarket, double seconds, boolean stopped) {
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
        long lastDay = events.isEmpty() ? 0 : events.get(events.size() - 1).interaction().epochDay();
        long sent = 0;
        boolean stopped = false;
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                new ByteArraySerializer());
        try {
            for (ReplayEvents.Sourced s : events) {
                if (failure.get() != null) {
                    break;
                }
                if (Thread.currentThread().isInterrupted()) {
                    stopped = true;
                    break;
                }
                if (daysPerSecond > 0) {
                    long dueNanos = t0 + (long) ((s.interaction().epochDay() - firstDay) / daysPerSecond * 1e9);
                    long wait = dueNanos - System.nanoTime();
                    if (wait > 0 && !sleep(wait)) {
                        stopped = true;
                        break;
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
                    progress.accept(line(sent, events.size(), now - t0, s.interaction().epochDay(), lastDay));
                }
            }
            if (!stopped) {
                producer.flush();
            }
        } catch (org.apache.kafka.common.errors.InterruptException e) {
            stopped = true; // interrupted inside send: the stop the caller asked for
        } finally {
            boolean interrupted = Thread.interrupted(); // lets close() wait for the flush of what was sent
            producer.close(stopped ? Duration.ofSeconds(3) : Duration.ofSeconds(60));
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (failure.get() != null && !stopped) {
            throw new IllegalStateException("publishing failed after " + sent + " events: " + failure.get().getMessage(),
                    failure.get());
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Summary(sent, perMarket, secs, stopped);
    }

    private String line(long sent, long total, long nanos, long epochDay, long lastDay) {
        double secs = nanos / 1e9;
        double rate = sent / Math.max(secs, 1e-9);
        long eta = daysPerSecond > 0 ? Math.round((lastDay - epochDay) / daysPerSecond)
                : Math.round((total - sent) / Math.max(rate, 1e-9));
        return String.format("ingest: %,d/%,d events | %,.0f events/s | event time %s | ETA %d:%02d:%02d", sent, total,
                rate, LocalDate.ofEpochDay(epochDay), eta / 3600, (eta / 60) % 60, eta % 60);
    }

    /** Sleeps; false when interrupted (the interrupt stays set). */
    private static boolean sleep(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
