package io.xmrec.model.updater;

import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.serving.ModelParts;
import io.xmrec.serving.ServedModel;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Reads some markets' input again from the beginning, on a thread of its own with a consumer of its own, up to
 * where the updater's input consumer was when it began ({@code until}); what that consumer reads of these markets
 * meanwhile waits in {@link #later} (poll thread only) and is added after. Used when an updater starts to need a
 * market it did not keep: it takes a market over, or the trunk.
 */
final class CatchUp implements AutoCloseable {

    /** A record of a market being caught up, read by the input consumer meanwhile. */
    record Later(String market, Object record, String partition, long offset, long timestamp) {
    }

    private final SortedSet<String> markets;
    private final Map<String, MarketInput> inputs = new TreeMap<>();
    private final Map<String, ServedModel> forks = new TreeMap<>();
    private final List<Later> later = new ArrayList<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final long startNanos = System.nanoTime();
    private volatile boolean finished;
    private volatile Throwable failure;
    private volatile double seconds;
    private volatile long records;

    private CatchUp(Map<String, Object> consumerProps, AvroSerde serde, SortedSet<String> markets,
                    Map<TopicPartition, Long> until, Consumer<String> log) {
        this.markets = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(markets));
        Map<String, Object> p = new HashMap<>(consumerProps);
        p.remove(org.apache.kafka.clients.consumer.ConsumerConfig.CLIENT_ID_CONFIG);
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        log.accept("updater: reading " + markets + " from the beginning: this updater needs them now");
        this.thread = new Thread(() -> {
            try {
                read(serde, until);
            } catch (WakeupException e) {
                failure = new IllegalStateException("closed");
            } catch (Throwable t) {
                failure = t;
            } finally {
                seconds = (System.nanoTime() - startNanos) / 1e9;
                finished = true;
                consumer.close(Duration.ofSeconds(5));
            }
        }, "xmrec-updater-catch-up");
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts reading {@code markets} from the beginning up to {@code until} (exclusive, per partition). */
    static CatchUp start(Map<String, Object> consumerProps, AvroSerde serde, SortedSet<String> markets,
                         Map<TopicPartition, Long> until, Consumer<String> log) {
        return new CatchUp(consumerProps, serde, markets, until, log);
    }

    private void read(AvroSerde serde, Map<TopicPartition, Long> until) {
        Map<TopicPartition, Long> todo = new HashMap<>();
        until.forEach((tp, end) -> {
            if (end > 0) {
                todo.put(tp, end);
            }
        });
        consumer.assign(todo.keySet());
        consumer.seekToBeginning(todo.keySet());
        ModelParts.Assembler parts = new ModelParts.Assembler();
        long n = 0;
        while (todo.keySet().stream().anyMatch(tp -> consumer.position(tp) < todo.get(tp))) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                Long end = todo.get(new TopicPartition(r.topic(), r.partition()));
                if (end == null || r.offset() >= end || r.value() == null) {
                    continue; // the input consumer reads it, and keeps it in `later` if it is of these markets
                }
                n++;
                String keyed = UpdaterInput.marketOfKey(r);
                if (keyed != null && !markets.contains(keyed)) {
                    continue; // another market's record, known by its key: not decoded
                }
                Object decoded;
                try {
                    decoded = UpdaterInput.decode(r, serde, parts);
                } catch (RuntimeException e) {
                    continue; // the input consumer counted and logged it when it read it
                }
                String market = decoded == null ? null : UpdaterInput.marketOf(decoded);
                if (market == null || !markets.contains(market)) {
                    continue;
                }
                if (decoded instanceof ServedModel f) {
                    UpdaterInput.keepNewest(forks, f);
                } else {
                    UpdaterInput.addTo(inputs.computeIfAbsent(market, MarketInput::new), decoded,
                            r.topic() + "-" + r.partition(), r.offset());
                }
            }
            records = n;
        }
        records = n;
    }

    SortedSet<String> markets() {
        return markets;
    }

    /** Whether the thread is done (read or failed); then its results may be taken. */
    boolean finished() {
        return finished;
    }

    Throwable failure() {
        return failure;
    }

    Map<String, MarketInput> inputs() {
        return inputs;
    }

    Map<String, ServedModel> forks() {
        return forks;
    }

    /** Records of these markets read by the input consumer since the catch-up began (poll thread only). */
    List<Later> later() {
        return later;
    }

    double seconds() {
        return seconds;
    }

    long records() {
        return records;
    }

    @Override
    public void close() {
        try {
            consumer.wakeup();
        } catch (RuntimeException e) {
            // closed already: the thread is done
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
