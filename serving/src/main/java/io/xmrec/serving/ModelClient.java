package io.xmrec.serving;

import io.xmrec.schemas.ModelDelta;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Follows the models of every market: the newest snapshot of each from the compacted
 * {@code xmrec.models} (read from the start), then the deltas of {@code xmrec.model-deltas} from
 * where the snapshots say they begin. A delta is applied only to the version it was made from (copy
 * on write: readers keep the model they hold); a delta for a version not reached yet waits (a few
 * hundred per market) for the deltas or snapshot before it; older ones are ignored. A record that
 * cannot be decoded or applied is logged with its offset, counted and skipped: the client goes on
 * with the next. A market's deltas read together are applied together, and after an apply the next
 * ones wait a multiple of what it took ({@link #APPLY_WAIT_FACTOR}), so a large model's deltas cost
 * a bounded share of the client's time. Reference models ({@code market/nmf}) are kept apart ({@link #reference}).
 */
public final class ModelClient implements ModelSource, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelClient.class);
    private static final int MAX_WAITING_DELTAS = 500;
    /**
     * After a market's deltas were applied, the next ones wait until this many times as long as that took has passed
     * (a chain is applied together, each table copied once): applying stays under a fifth of the client's time per
     * market whatever the model's size, at the price of that wait in freshness (at XMarket's size a few milliseconds;
     * bench/results/delta-apply.md has the cost per delta against the model's size).
     */
    static final int APPLY_WAIT_FACTOR = 4;

    private final KafkaConsumer<String, byte[]> consumer;
    private final AvroSerde serde;
    private final Map<String, ServedModel> models = new ConcurrentHashMap<>();
    private final Map<String, ServedModel> references = new ConcurrentHashMap<>();
    private final Map<String, Deque<ModelDelta>> waiting = new HashMap<>();
    private final List<Consumer<ServedModel>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong snapshots = new AtomicLong();
    private final AtomicLong deltas = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean caughtUp;
    private volatile String lastError;
    /** The consumer's positions after its last poll (for {@link #sync}). */
    private final Map<TopicPartition, Long> positions = new ConcurrentHashMap<>();
    private final String bootstrap;
    private final Map<String, Object> clientProps;
    /** A delta read and where (for the log, should it not apply). */
    private record ReadDelta(String at, int bytes, ModelDelta delta) {
    }

    /** Per market, deltas read and not applied yet, in order (on the client's thread only). */
    private final Map<String, List<ReadDelta>> pendingDeltas = new TreeMap<>();
    /** Per market, when its deltas were last applied and how long that took (nanoseconds; the client's thread only). */
    private final Map<String, long[]> lastApply = new HashMap<>();
    /** Deltas read and not applied yet (for {@link #sync}). */
    private volatile int pending;
    /** When the first of the waiting markets' deltas are due (the client's thread only). */
    private long nextDueNanos;
    /** Versions published in several records, put back together (on the client's thread only). */
    private final ModelParts.Assembler parts = new ModelParts.Assembler();

    public ModelClient(String bootstrap, Map<String, Object> clientProps, AvroSerde serde) {
        this.bootstrap = bootstrap;
        this.clientProps = clientProps;
        this.consumer = new KafkaConsumer<>(TopicReader.consumerProps(bootstrap, clientProps), new StringDeserializer(),
                new ByteArrayDeserializer());
        this.serde = serde;
        this.thread = new Thread(this::run, "xmrec-model-client");
        thread.setDaemon(true);
        thread.start();
    }

    private List<TopicPartition> partitions(String topic) {
        List<TopicPartition> tps = new ArrayList<>();
        for (PartitionInfo pi : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            tps.add(new TopicPartition(topic, pi.partition()));
        }
        return tps;
    }

    private void run() {
        try {
            List<TopicPartition> snaps = partitions(Topics.MODELS);
            List<TopicPartition> dels = partitions(Topics.MODEL_DELTAS);
            List<TopicPartition> all = new ArrayList<>(snaps);
            all.addAll(dels);
            consumer.assign(all);
            consumer.seekToBeginning(snaps);
            consumer.pause(dels);
            Map<TopicPartition, Long> end = consumer.endOffsets(snaps);
            // first every snapshot there is now, then the deltas from where those snapshots say theirs begin
            while (running && snaps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                poll();
            }
            Map<Integer, Long> from = new HashMap<>();
            for (ServedModel m : models.values()) {
                m.meta().deltaOffsets().forEach((p, o) -> from.merge(Integer.parseInt(p), o, Math::min));
            }
            for (TopicPartition tp : dels) {
                Long o = from.get(tp.partition());
                if (o == null) {
                    consumer.seekToBeginning(List.of(tp));
                } else {
                    consumer.seek(tp, o);
                }
            }
            consumer.resume(dels);
            caughtUp = true;
            while (running) {
                try {
                    poll();
                } catch (org.apache.kafka.common.errors.RecordDeserializationException e) {
                    // cannot happen with byte-array values, but never let one record stop the client
                    skipped.incrementAndGet();
                    lastError = e.topicPartition() + "@" + e.offset() + ": " + e.getMessage();
                    consumer.seek(e.topicPartition(), e.offset() + 1);
                } catch (org.apache.kafka.common.KafkaException e) {
                    if (e instanceof WakeupException) {
                        throw e;
                    }
                    lastError = e.toString();
                    LOG.warn("model client: {}; retrying", e.toString());
                    Thread.sleep(1000);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            lastError = t.toString();
            LOG.error("model client stopped following models: {}", t.toString(), t);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void poll() {
        long wait = pending == 0 ? 100 : Math.max(1, Math.min(100, (nextDueNanos - System.nanoTime()) / 1_000_000));
        var batch = consumer.poll(Duration.ofMillis(wait));
        // snapshots at once; deltas per market, each market's chain applied in one go once it is due
        for (ConsumerRecord<String, byte[]> r : batch) {
            if (r.value() == null) {
                continue;
            }
            try {
                if (r.topic().equals(Topics.MODELS)) {
                    parts.accept(r.key(), serde.deserialize(r.value(), ModelRecord.class))
                            .ifPresent(m -> acceptSnapshot(ModelRecords.served(m)));
                } else {
                    ModelDelta d = serde.deserialize(r.value(), ModelDelta.class);
                    pendingDeltas.computeIfAbsent(d.getMarket(), k -> new ArrayList<>())
                            .add(new ReadDelta(where(r), r.value().length, d));
                }
            } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
                skip(where(r), r.value().length, e);
            }
        }
        long now = System.nanoTime();
        var due = pendingDeltas.entrySet().iterator();
        int left = 0;
        long next = Long.MAX_VALUE;
        while (due.hasNext()) {
            var e = due.next();
            long[] last = lastApply.get(e.getKey());
            if (last != null && now - last[0] < APPLY_WAIT_FACTOR * last[1]) {
                left += e.getValue().size();
                next = Math.min(next, last[0] + APPLY_WAIT_FACTOR * last[1]);
                continue;
            }
            long t0 = System.nanoTime();
            acceptDeltas(e.getValue());
            long t1 = System.nanoTime();
            lastApply.put(e.getKey(), new long[] {t1, t1 - t0});
            due.remove();
        }
        pending = left;
        nextDueNanos = next;
        // only what was read: a paused partition's position is where the consumer would reset to (the end, while
        // the deltas wait for the snapshots); a sync that took it for read let a new owner take a market over at a
        // version older than the one published (seen as "took in over at v1" after v3 in ContinualUpdaterIntegrationTest)
        Set<TopicPartition> paused = consumer.paused();
        for (TopicPartition tp : consumer.assignment()) {
            if (!paused.contains(tp)) {
                positions.put(tp, consumer.position(tp));
            }
        }
    }

    private static String where(ConsumerRecord<String, byte[]> r) {
        return r.topic() + "-" + r.partition() + "@" + r.offset();
    }

    private void skip(String at, int bytes, Throwable e) {
        skipped.incrementAndGet();
        lastError = at + ": " + e;
        LOG.warn("skipping model record at {} ({} bytes): {}", at, bytes, e.toString());
    }

    /**
     * One market's deltas read, in order: those that chain onto the model held are applied together (each table
     * copied once, {@link ModelRecords#apply(ServedModel, List)}); then each as {@link #acceptDelta} takes it, which
     * passes over those the chain applied (superseded now), keeps those for a later version waiting, and applies the
     * rest one by one when the chain did not apply (a bad one skipped and logged with where it was read).
     */
    private void acceptDeltas(List<ReadDelta> ds) {
        ServedModel m = models.get(ds.get(0).delta().getMarket());
        List<ModelDelta> chain = new ArrayList<>();
        if (m != null) {
            long at = m.version();
            for (ReadDelta r : ds) {
                if (r.delta().getBaseVersion() == at) {
                    chain.add(r.delta());
                    at = r.delta().getVersion();
                } else if (r.delta().getBaseVersion() > at) {
                    break;
                }
            }
        }
        if (chain.size() > 1) {
            try {
                ServedModel next = ModelRecords.apply(m, chain);
                models.put(next.market(), next);
                deltas.addAndGet(chain.size());
                drainWaiting(next.market());
                listeners.forEach(l -> l.accept(models.get(next.market())));
            } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
                // one of them does not fit: one by one below, so the bad one is named and the rest applied
            }
        }
        for (ReadDelta r : ds) {
            try {
                acceptDelta(r.delta());
            } catch (RuntimeException | OutOfMemoryError | StackOverflowError err) {
                skip(r.at(), r.bytes(), err);
            }
        }
    }

    /**
     * Waits until this client has read everything published up to now (e.g. after fencing the
     * previous owner of a market, to continue from its last version); false when the time runs out.
     */
    public boolean sync(Duration timeout) throws InterruptedException {
        Map<TopicPartition, Long> end;
        try (KafkaConsumer<String, byte[]> probe = new KafkaConsumer<>(TopicReader.consumerProps(bootstrap, clientProps),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (String t : List.of(Topics.MODELS, Topics.MODEL_DELTAS)) {
                for (PartitionInfo pi : probe.partitionsFor(t, timeout)) {
                    tps.add(new TopicPartition(t, pi.partition()));
                }
            }
            end = probe.endOffsets(tps, timeout);
        }
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            // the positions before the count of deltas waiting: a poll sets that count, then its positions, so a
            // count read after positions at the end is that poll's or a later one's
            if (caughtUp
                    && end.entrySet().stream().allMatch(e -> positions.getOrDefault(e.getKey(), -1L) >= e.getValue())
                    && pending == 0) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Takes a snapshot if it is newer than the model held (used by the topic reader; public for in-process feeds). */
    public void acceptSnapshot(ServedModel m) {
        snapshots.incrementAndGet();
        Map<String, ServedModel> into = m.meta().reference() ? references : models;
        ServedModel now = into.merge(m.market(), m, (old, neu) -> neu.version() > old.version() ? neu : old);
        if (now == m && !m.meta().reference()) {
            drainWaiting(m.market());
            listeners.forEach(l -> l.accept(models.get(m.market())));
        }
    }

    /** Applies a delta to the model it was made from; waits for that model when it has not arrived yet. */
    public void acceptDelta(ModelDelta d) {
        ServedModel m = models.get(d.getMarket());
        if (m != null && d.getBaseVersion() < m.version()) {
            return; // made from a version already superseded
        }
        if (m == null || d.getBaseVersion() > m.version()) {
            synchronized (waiting) {
                Deque<ModelDelta> q = waiting.computeIfAbsent(d.getMarket(), k -> new ArrayDeque<>());
                if (q.size() >= MAX_WAITING_DELTAS) {
                    q.pollFirst();
                }
                q.addLast(d);
            }
            return;
        }
        ServedModel next = ModelRecords.apply(m, d);
        models.put(d.getMarket(), next);
        deltas.incrementAndGet();
        drainWaiting(d.getMarket());
        listeners.forEach(l -> l.accept(models.get(d.getMarket())));
    }

    private void drainWaiting(String market) {
        boolean progress = true;
        while (progress) {
            progress = false;
            ModelDelta next = null;
            synchronized (waiting) {
                Deque<ModelDelta> q = waiting.get(market);
                ServedModel m = models.get(market);
                if (q == null || m == null) {
                    return;
                }
                q.removeIf(d -> d.getBaseVersion() < m.version());
                for (ModelDelta d : q) {
                    if (d.getBaseVersion() == m.version()) {
                        next = d;
                        break;
                    }
                }
                if (next != null) {
                    q.remove(next);
                }
            }
            if (next != null) {
                ServedModel m = models.get(market);
                models.put(market, ModelRecords.apply(m, next));
                deltas.incrementAndGet();
                progress = true;
            }
        }
    }

    /** Called with a market's newest model whenever it changes. */
    public void onModel(Consumer<ServedModel> listener) {
        listeners.add(listener);
    }

    @Override
    public ServedModel model(String market) {
        return models.get(market);
    }

    @Override
    public ServedModel reference(String market) {
        return references.get(market);
    }

    @Override
    public Map<String, Long> versions() {
        Map<String, Long> v = new TreeMap<>();
        models.forEach((k, m) -> v.put(k, m.version()));
        return v;
    }

    /** Whether it has read every snapshot that existed when it started (and is now following). */
    public boolean caughtUp() {
        return caughtUp;
    }

    /** Whether its thread is still following the topics. */
    public boolean alive() {
        return thread.isAlive();
    }

    /** Snapshots and deltas taken, and records skipped as undecodable or not applicable. */
    public long[] counts() {
        return new long[] {snapshots.get(), deltas.get(), skipped.get()};
    }

    /** The last record skipped (or error that stopped the client), for health pages; null when none. */
    public String lastError() {
        return lastError;
    }

    /** Waits until {@code market} has a model of at least {@code version}; null when the time runs out. */
    public ServedModel await(String market, long version, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            ServedModel m = models.get(market);
            if (m != null && m.version() >= version) {
                return m;
            }
            Thread.sleep(20);
        }
        return null;
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
