package io.xmrec.model.updater;

import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.serving.ModelParts;
import io.xmrec.serving.ModelRecords;
import io.xmrec.serving.ServedModel;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;

/**
 * The updater's input: {@code xmrec.holdouts}, {@code xmrec.train} and {@code xmrec.forks}, read
 * from the beginning by one consumer on the poll thread and kept per market ({@link MarketInput}),
 * with where the input has been read to, the newest event time per market and the newest fork of
 * each market. A record that cannot be decoded is counted, logged with its offset and skipped.
 */
final class UpdaterInput implements AutoCloseable {

    /** Told, on the poll thread, what each record brought. */
    interface Listener {
        /**
         * A training interaction of {@code market}, read at {@code partition} ({@code topic-n}) and {@code offset};
         * {@code newItem}: the first of its item in the market.
         */
        void trained(String market, String user, String item, boolean newItem, String partition, long offset,
                     long promotedMillis, long now);

        /** Items a holdout change put into a market's stream (its held-out items, new to the market). */
        void sold(String market, List<String> items, long now);

        /** A trunk's fork of a market, whole. */
        void fork(ServedModel fork, long now);
    }

    private final AvroSerde serde;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<TopicPartition, Long> startEnd;
    private final UpdaterCounters counters;
    private final Consumer<String> log;
    private final Listener listener;
    /** Every market read, by code; changed on the poll thread only. */
    final Map<String, MarketInput> markets = new ConcurrentSkipListMap<>();
    /** The newest fork read per market. */
    final Map<String, ServedModel> forks = new ConcurrentSkipListMap<>();
    /** Forks published in several records, put back together. */
    private final ModelParts.Assembler forkParts = new ModelParts.Assembler();
    private final Map<String, Long> offsets = new TreeMap<>();
    /** Per market, the event time of the newest training interaction read: what a model of it has seen. */
    private final Map<String, Long> watermarks = new TreeMap<>();
    /** Per market, when its first training interaction was read (wall clock): the start of its wait for a model. */
    private final Map<String, Long> firstReadMillis = new TreeMap<>();
    private volatile long interactions;
    private boolean replayed;
    private volatile boolean caughtUp;
    private long idleSinceNanos = -1;
    private long lastEndCheck;

    UpdaterInput(String bootstrap, Map<String, Object> clientProps, AvroSerde serde, UpdaterCounters counters,
                 Consumer<String> log, Listener listener) {
        this.serde = serde;
        this.counters = counters;
        this.log = log;
        this.listener = listener;
        Map<String, Object> p = TopicReader.consumerProps(bootstrap, clientProps);
        p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> tps = new ArrayList<>();
        for (String t : List.of(Topics.HOLDOUTS, Topics.TRAIN, Topics.FORKS)) {
            List<PartitionInfo> parts = consumer.partitionsFor(t, Duration.ofSeconds(30));
            if (parts == null || parts.isEmpty()) {
                consumer.close();
                throw new IllegalStateException("topic " + t + " does not exist on " + bootstrap
                        + ": create the topics first (xmrec topics)");
            }
            parts.forEach(pi -> tps.add(new TopicPartition(t, pi.partition())));
        }
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        this.startEnd = consumer.endOffsets(tps);
    }

    /** One poll of the input: every record decoded and told to the listener. */
    void poll(Duration timeout) {
        var batch = consumer.poll(timeout);
        long now = System.nanoTime();
        for (ConsumerRecord<String, byte[]> r : batch) {
            if (r.value() != null) {
                try {
                    accept(r, now);
                } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
                    counters.badRecords.incrementAndGet();
                    log.accept(String.format("updater: skipping the record at %s-%d@%d (%d bytes): %s", r.topic(),
                            r.partition(), r.offset(), r.value().length, e));
                }
            }
            if (!r.topic().equals(Topics.FORKS)) {
                offsets.put(r.topic() + "-" + r.partition(), r.offset() + 1);
            }
        }
        checkCaughtUp(batch.isEmpty(), now);
    }

    private void checkCaughtUp(boolean empty, long now) {
        if (!replayed) {
            replayed = startEnd.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
        }
        if (!empty) {
            caughtUp = false;
            idleSinceNanos = -1;
            return;
        }
        if (now - lastEndCheck > 500_000_000L) {
            lastEndCheck = now;
            Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
            boolean atEnd = end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
            if (atEnd && !caughtUp) {
                idleSinceNanos = now;
            }
            caughtUp = atEnd;
        }
    }

    private void accept(ConsumerRecord<String, byte[]> r, long now) {
        if (r.topic().equals(Topics.FORKS)) {
            Optional<ModelRecord> whole = forkParts.accept(r.key(), serde.deserialize(r.value(), ModelRecord.class));
            if (whole.isEmpty()) {
                return; // a part: its version is complete once its head comes
            }
            ServedModel f = ModelRecords.served(whole.get());
            forks.merge(f.market(), f, (a, b) -> b.trunkVersion() > a.trunkVersion() ? b : a);
            listener.fork(f, now);
            return;
        }
        if (r.topic().equals(Topics.HOLDOUTS)) {
            HoldoutState h = serde.deserialize(r.value(), HoldoutState.class);
            List<String> sold = market(h.getMarket()).holdout(h.getUser(), h.getValidItem(), h.getValidTime() == null
                    ? 0 : h.getValidTime().toEpochMilli(), h.getTestItem(), h.getTestTime().toEpochMilli(), (int) h.getVersion());
            if (!sold.isEmpty()) {
                listener.sold(h.getMarket(), sold, now);
            }
            return;
        }
        TrainingInteraction t = serde.deserialize(r.value(), TrainingInteraction.class);
        boolean newItem = market(t.getMarket()).train(new MarketInput.Entry(t.getUser(), t.getItem(), t.getRating(),
                t.getEventTime().toEpochMilli(), t.getArrival(), r.topic() + "-" + r.partition(), r.offset()));
        interactions++;
        watermarks.merge(t.getMarket(), t.getEventTime().toEpochMilli(), Math::max);
        firstReadMillis.putIfAbsent(t.getMarket(), System.currentTimeMillis());
        listener.trained(t.getMarket(), t.getUser(), t.getItem(), newItem, r.topic() + "-" + r.partition(), r.offset(),
                r.timestamp(), now);
    }

    /** A market's input, begun empty when it is new. */
    MarketInput market(String market) {
        return markets.computeIfAbsent(market, MarketInput::new);
    }

    /** Where the input has been read to: the next offset per topic partition (a copy). */
    Map<String, Long> offsets() {
        return new TreeMap<>(offsets);
    }

    /** Whether the input has been read at least to {@code through} on every partition it names. */
    boolean readThrough(Map<String, Long> through) {
        return through.entrySet().stream().allMatch(e -> offsets.getOrDefault(e.getKey(), 0L) >= e.getValue());
    }

    /** The newest event time read per market (a copy). */
    Map<String, Long> watermarks() {
        return new TreeMap<>(watermarks);
    }

    /** The newest event time read of a market; null before its first training interaction. */
    Long watermark(String market) {
        return watermarks.get(market);
    }

    /** When a market's first training interaction was read (wall clock, ms); null before it. */
    Long firstReadMillis(String market) {
        return firstReadMillis.get(market);
    }

    /** Training interactions read. */
    long interactions() {
        return interactions;
    }

    /** Whether the input that existed at the start has been read. */
    boolean replayed() {
        return replayed;
    }

    /** Whether the last look found the input read to its end. */
    boolean caughtUp() {
        return caughtUp;
    }

    /** Whether the input has been read to its end, with nothing new, for at least {@code d}. */
    boolean idleFor(Duration d, long now) {
        return caughtUp && idleSinceNanos >= 0 && now - idleSinceNanos >= d.toNanos();
    }

    /** Wakes a poll up (from another thread, to close). */
    void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
