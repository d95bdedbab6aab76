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
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;

/**
 * The updater's input: {@code xmrec.holdouts}, {@code xmrec.train} and {@code xmrec.forks}, read
 * from the beginning by one consumer on the poll thread and kept per market ({@link MarketInput}),
 * with where the input has been read to, the newest event time per market and the newest fork of
 * each market. A record that cannot be decoded is counted, logged with its offset and skipped.
 *
 * <p>Only the markets this updater needs are kept ({@link #retain}): its own, or every market when it
 * trains the trunk (and all of them until the group has planned, so one updater alone reads once).
 * A market it starts to need is read again from the beginning by a {@link CatchUp} consumer up to where
 * the input is, while the records of that market read meanwhile wait; it is held (and can be taken on)
 * once that is done. What the group plans over is every market read, kept or not ({@link #seen}).
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
    /** Every market held (read whole and kept), by code; changed on the poll thread only. */
    final Map<String, MarketInput> markets = new ConcurrentSkipListMap<>();
    /** The newest fork read per market held. */
    final Map<String, ServedModel> forks = new ConcurrentSkipListMap<>();
    /** Every market read, held or not. */
    final java.util.Set<String> seen = new java.util.concurrent.ConcurrentSkipListSet<>();
    /** Markets whose input is whole here: read from their first record on, or caught up. */
    private final java.util.Set<String> held = new java.util.concurrent.ConcurrentSkipListSet<>();
    /** Which markets this updater needs (before the group's first plan: every one). */
    private java.util.function.Predicate<String> keeps = m -> true;
    /** Markets being read again from the beginning, and the records of theirs read meanwhile. */
    private CatchUp catchUp;
    private final Map<String, Object> consumerProps;
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
        this.consumerProps = Map.copyOf(p);
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
        if (catchUp != null && catchUp.finished()) {
            completeCatchUp(now);
        }
    }

    /**
     * Keeps only the markets {@code keeps} accepts from now on: those it no longer accepts are let go, and those it
     * accepts that are not held are read again from the beginning (one catch-up at a time). Poll thread.
     */
    void retain(java.util.function.Predicate<String> keeps) {
        this.keeps = keeps;
        for (String m : held) {
            if (!keeps.test(m)) {
                held.remove(m);
                MarketInput gone = markets.remove(m);
                forks.remove(m);
                log.accept(String.format("updater: %s let go (%,d training interactions): another updater owns it",
                        m, gone == null ? 0 : gone.interactions));
            }
        }
        if (catchUp == null) {
            java.util.TreeSet<String> wanted = new java.util.TreeSet<>();
            for (String m : seen) {
                if (keeps.test(m) && !held.contains(m)) {
                    wanted.add(m);
                }
            }
            if (!wanted.isEmpty()) {
                Map<TopicPartition, Long> until = new java.util.HashMap<>();
                consumer.assignment().forEach(tp -> until.put(tp, consumer.position(tp)));
                catchUp = CatchUp.start(consumerProps, serde, wanted, until, log);
            }
        }
    }

    /** Whether every market read is held here and none is being caught up: what a trunk needs. */
    boolean holdsEverySeen() {
        return catchUp == null && held.containsAll(seen);
    }

    /** Per market held, the training interactions kept (a copy; a market held before its first record counts 0). */
    Map<String, Long> heldInteractions() {
        Map<String, Long> out = new TreeMap<>();
        for (String m : held) {
            MarketInput in = markets.get(m);
            out.put(m, in == null ? 0 : in.interactions);
        }
        return out;
    }

    private void completeCatchUp(long now) {
        CatchUp c = catchUp;
        catchUp = null;
        if (c.failure() != null) {
            log.accept("updater: reading " + c.markets() + " again failed (" + c.failure() + "); trying again");
            return;
        }
        for (String m : c.markets()) {
            if (!keeps.test(m)) {
                continue; // let go while it was read
            }
            markets.put(m, c.inputs().computeIfAbsent(m, MarketInput::new));
            ServedModel f = c.forks().get(m);
            if (f != null) {
                forks.put(m, f);
            }
            held.add(m);
        }
        for (CatchUp.Later r : c.later()) {
            if (held.contains(r.market())) {
                apply(r.record(), r.partition(), r.offset(), r.timestamp(), now);
            }
        }
        log.accept(String.format("updater: %s read from the beginning in %.1fs (%,d records, %,d more meanwhile)",
                c.markets(), c.seconds(), c.records(), c.later().size()));
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
        Object decoded = decode(r, serde, forkParts);
        if (decoded == null) {
            return; // a part of a fork: its version is complete once its head comes
        }
        String market = marketOf(decoded);
        if (seen.add(market) && keeps.test(market)) {
            held.add(market); // every topic is read from its beginning: the market is read whole from here on
        }
        if (decoded instanceof ServedModel f) {
            listener.fork(f, now); // every trunk's version counts, whatever the market
        } else if (decoded instanceof TrainingInteraction t) {
            interactions++;
            watermarks.merge(market, t.getEventTime().toEpochMilli(), Math::max);
            firstReadMillis.putIfAbsent(market, System.currentTimeMillis());
        }
        String partition = r.topic() + "-" + r.partition();
        if (held.contains(market)) {
            apply(decoded, partition, r.offset(), r.timestamp(), now);
        } else if (catchUp != null && catchUp.markets().contains(market)) {
            catchUp.later().add(new CatchUp.Later(market, decoded, partition, r.offset(), r.timestamp()));
        }
    }

    /** A fork whole, a holdout or a training interaction decoded; null for a part of a fork. */
    static Object decode(ConsumerRecord<String, byte[]> r, AvroSerde serde, ModelParts.Assembler forkParts) {
        if (r.topic().equals(Topics.FORKS)) {
            return forkParts.accept(r.key(), serde.deserialize(r.value(), ModelRecord.class))
                    .map(ModelRecords::served).orElse(null);
        }
        if (r.topic().equals(Topics.HOLDOUTS)) {
            return serde.deserialize(r.value(), HoldoutState.class);
        }
        return serde.deserialize(r.value(), TrainingInteraction.class);
    }

    /** The market of what {@link #decode} gave. */
    static String marketOf(Object decoded) {
        if (decoded instanceof ServedModel f) {
            return f.market();
        }
        return decoded instanceof HoldoutState h ? h.getMarket() : ((TrainingInteraction) decoded).getMarket();
    }

    /**
     * The market a record's key names, or null when the key does not say (read before decoding): a fork is keyed by
     * its market (with a part's suffix), a training interaction and a holdout by {@code market|user}.
     */
    static String marketOfKey(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null) {
            return null;
        }
        if (r.topic().equals(Topics.FORKS)) {
            return ModelParts.versionKey(r.key());
        }
        int bar = r.key().indexOf('|');
        return bar > 0 ? r.key().substring(0, bar) : null;
    }

    /**
     * Adds a holdout or a training interaction {@link #decode} gave to {@code into}; returns the items it makes newly
     * sold in the market (a holdout's held-out items, a training interaction's item), if any.
     */
    static List<String> addTo(MarketInput into, Object decoded, String partition, long offset) {
        if (decoded instanceof HoldoutState h) {
            return into.holdout(h.getUser(), h.getValidItem(), h.getValidTime() == null ? 0
                    : h.getValidTime().toEpochMilli(), h.getTestItem(), h.getTestTime().toEpochMilli(), (int) h.getVersion());
        }
        TrainingInteraction t = (TrainingInteraction) decoded;
        boolean newItem = into.train(new MarketInput.Entry(t.getUser(), t.getItem(), t.getRating(),
                t.getEventTime().toEpochMilli(), t.getArrival(), partition, offset));
        return newItem ? List.of(t.getItem()) : List.of();
    }

    /** Keeps {@code f} in {@code forks} unless that holds a newer trunk's fork of its market. */
    static void keepNewest(Map<String, ServedModel> forks, ServedModel f) {
        forks.merge(f.market(), f, (a, b) -> b.trunkVersion() > a.trunkVersion() ? b : a);
    }

    /** A record of a held market: into its input, and told to the listener. */
    private void apply(Object decoded, String partition, long offset, long timestamp, long now) {
        if (decoded instanceof ServedModel f) {
            keepNewest(forks, f);
            return;
        }
        String market = marketOf(decoded);
        List<String> sold = addTo(market(market), decoded, partition, offset);
        if (decoded instanceof TrainingInteraction t) {
            listener.trained(market, t.getUser(), t.getItem(), !sold.isEmpty(), partition, offset, timestamp, now);
        } else if (!sold.isEmpty()) {
            listener.sold(market, sold, now);
        }
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
        if (catchUp != null) {
            catchUp.close();
        }
        consumer.close(Duration.ofSeconds(5));
    }
}
