package io.xmrec.ingest;

import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.time.LocalDate;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Publishes replayed review events to {@code xmrec.reviews.<market>}, keyed by user, with an
 * idempotent producer (acks=all). Pacing: {@code daysPerSecond} days of event time per second of
 * wall time, or as fast as possible when it is not positive. Reports progress (events, events/s,
 * event time reached, ETA) through {@code progress} every {@code progressEvery}: the ETA of a paced
 * replay is the event time still to go at the pace, that of an unpaced one the events still to go
 * at the average rate so far. An interrupt of the publishing thread stops the replay within the
 * pacing sleep: what was sent is flushed for at most a few seconds and the summary says it stopped.
 *
 * <p>A broker failure can leave the idempotent producer unable to go on (a sequence gap after a
 * leader's restart, after which the Java client retries until its delivery timeout). The replay then
 * closes it and sends again, from a new producer, every event the brokers had not acknowledged, in the
 * original order; it gives up after {@value #MAX_RESTARTS_WITHOUT_PROGRESS} restarts in a row without
 * a new acknowledgement. An event whose write had succeeded unacknowledged is then on its topic twice
 * with one event id: the holdout job drops the second to the dead letters, so nothing is lost and
 * nothing trains twice. The summary counts the restarts and the events sent again.
 */
public final class ReplayPublisher {

    /** What a replay did. */
    public record Summary(long events, Map<String, Long> perMarket, double seconds, boolean stopped, int restarts,
                          long resent) {
        public double eventsPerSecond() {
            return seconds > 0 ? events / seconds : 0;
        }
    }

    /** Producer restarts in a row with no new event acknowledged before the replay gives up. */
    static final int MAX_RESTARTS_WITHOUT_PROGRESS = 3;

    private final Supplier<Producer<String, byte[]>> producers;
    private final AvroSerde serde;
    private final double daysPerSecond;
    private final Duration progressEvery;
    private final Consumer<String> progress;

    public ReplayPublisher(String bootstrap, Map<String, Object> clientProps, AvroSerde serde, double daysPerSecond,
                           Duration progressEvery, Consumer<String> progress) {
        this(producers(bootstrap, clientProps), serde, daysPerSecond, progressEvery, progress);
    }

    /** Idempotent producers (acks=all) of the replay's settings on {@code bootstrap}. */
    private static Supplier<Producer<String, byte[]>> producers(String bootstrap, Map<String, Object> clientProps) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // a batch not acknowledged in 30 s fails its producer, and a new one sends it again (see publish): the
        // client's default of 120 s held a replay still that long after a broker's restart
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        return () -> new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /** With producers from {@code producers}, a new one per attempt (tests give failing ones). */
    ReplayPublisher(Supplier<Producer<String, byte[]>> producers, AvroSerde serde, double daysPerSecond,
                    Duration progressEvery, Consumer<String> progress) {
        this.producers = producers;
        this.serde = serde;
        this.daysPerSecond = daysPerSecond;
        this.progressEvery = progressEvery;
        this.progress = progress;
    }

    public Summary publish(List<ReplayEvents.Sourced> events) {
        long t0 = System.nanoTime();
        Map<String, Long> perMarket = new TreeMap<>();
        Run run = new Run(t0, events, perMarket);
        int restartsWithoutProgress = 0;
        int restarts = 0;
        int ackedBefore = 0;
        while (true) {
            RuntimeException failure = run.attempt();
            if (failure == null || run.stopped) {
                break;
            }
            int ackedNow = run.acknowledged();
            restartsWithoutProgress = ackedNow > ackedBefore ? 0 : restartsWithoutProgress + 1;
            ackedBefore = ackedNow;
            if (!recoverable(failure) || restartsWithoutProgress > MAX_RESTARTS_WITHOUT_PROGRESS) {
                throw new IllegalStateException("publishing failed after " + run.sent + " events ("
                        + restarts + " producer restarts): " + failure.getMessage(), failure);
            }
            restarts++;
            run.next = run.firstUnacked();
            progress.accept(String.format("ingest: the producer failed (%s); a new producer sends again the %,d events "
                    + "not acknowledged, from event %,d (restart %d; a record that had been written is then a "
                    + "duplicate, which the holdout job drops to the dead letters)", failure.getMessage(),
                    run.sent - ackedNow, run.next, restarts));
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Summary(run.sent, perMarket, secs, run.stopped, restarts, run.resent);
    }

    /**
     * Whether a new producer may resend what the failed one did not get acknowledged: timeouts and other
     * retriable errors, and the idempotent producer's own fatal states after a broker failure (a sequence gap
     * or an unknown producer id, in which the Java client retries until its delivery timeout). Not: a record
     * too large, authorisation, serialisation, a bad topic: sending again would fail the same way.
     */
    static boolean recoverable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.apache.kafka.common.errors.RetriableException
                    || t instanceof org.apache.kafka.common.errors.OutOfOrderSequenceException
                    || t instanceof org.apache.kafka.common.errors.UnknownProducerIdException
                    || t instanceof org.apache.kafka.common.errors.InvalidProducerEpochException) {
                return true;
            }
        }
        return false;
    }

    /** One replay: the events, which of them the brokers acknowledged, and one producer at a time. */
    private final class Run {
        final long t0;
        final List<ReplayEvents.Sourced> events;
        final BitSet acked = new BitSet(); // guarded by itself: the producer's callbacks set it
        final Map<String, Long> perMarket;
        final long firstDay;
        final long lastDay;
        long lastReport;
        int next; // the index of the next event to send
        int high; // one past the highest index sent so far
        long sent; // events sent at least once
        long resent; // sends of an event after the first
        boolean stopped;

        Run(long t0, List<ReplayEvents.Sourced> events, Map<String, Long> perMarket) {
            this.t0 = t0;
            this.lastReport = t0;
            this.events = events;
            this.perMarket = perMarket;
            this.firstDay = events.isEmpty() ? 0 : events.get(0).interaction().epochDay();
            this.lastDay = events.isEmpty() ? 0 : events.get(events.size() - 1).interaction().epochDay();
        }

        int firstUnacked() {
            synchronized (acked) {
                return acked.nextClearBit(0);
            }
        }

        int acknowledged() {
            synchronized (acked) {
                return acked.cardinality();
            }
        }

        /** Sends from {@link #next} to the end with a new producer; the first failure a callback saw, or null. */
        RuntimeException attempt() {
            AtomicReference<RuntimeException> failure = new AtomicReference<>();
            Producer<String, byte[]> producer = producers.get();
            try {
                for (; next < events.size(); next++) {
                    if (failure.get() != null) {
                        break;
                    }
                    if (Thread.currentThread().isInterrupted()) {
                        stopped = true;
                        break;
                    }
                    int i = next;
                    boolean again = i < high;
                    if (again) {
                        synchronized (acked) {
                            if (acked.get(i)) {
                                continue;
                            }
                        }
                    }
                    ReplayEvents.Sourced s = events.get(i);
                    if (daysPerSecond > 0 && !again) {
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
                        if (e == null) {
                            synchronized (acked) {
                                acked.set(i);
                            }
                        } else {
                            failure.compareAndSet(null, e instanceof RuntimeException re ? re
                                    : new org.apache.kafka.common.KafkaException(e));
                        }
                    });
                    if (again) {
                        resent++;
                    } else {
                        high = i + 1;
                        perMarket.merge(s.market(), 1L, Long::sum);
                        sent++;
                    }
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
            } catch (org.apache.kafka.common.KafkaException | IllegalStateException e) {
                // send() itself refuses once the producer is in a fatal state: the callbacks' failure says why
                failure.compareAndSet(null, e);
            } finally {
                boolean interrupted = Thread.interrupted(); // lets close() wait for the flush of what was sent
                producer.close(stopped ? Duration.ofSeconds(3) : failure.get() != null ? Duration.ZERO
                        : Duration.ofSeconds(60));
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            return stopped ? null : failure.get();
        }
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
