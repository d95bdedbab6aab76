package io.xmrec.serving;

import io.xmrec.schemas.ReviewEvent;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every user has reviewed, and what every market sells, straight from the review topics
 * ({@code xmrec.reviews.*}, read from the start and then followed): within a poll of a review
 * being published its item is excluded from the user's recommendations, and an item first sold in
 * a market becomes a candidate there, without waiting for a model. New markets' topics are picked
 * up within seconds. A record that cannot be decoded is counted and skipped.
 */
public final class SeenItems implements SeenSource, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SeenItems.class);
    private static final Duration REFRESH = Duration.ofSeconds(5);

    private final KafkaConsumer<String, byte[]> consumer;
    private final AvroSerde serde;
    /**
     * Per "market|user", the items reviewed, as an array replaced on each new one: a user has a handful, and a
     * concurrent set per user cost about 170 bytes before its first item and 32 per item (about 1.2 GB at 100x
     * XMarket's size, with a String per review besides).
     */
    private final Map<String, String[]> byUser = new ConcurrentHashMap<>();
    /** Per market, its items, each mapped to itself: the one String of that id every user's array refers to. */
    private final Map<String, Map<String, String>> byMarket = new ConcurrentHashMap<>();
    private final AtomicLong events = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final Thread thread;
    private final Duration lookup;
    private volatile boolean running = true;
    private volatile long lastEventMillis;

    public SeenItems(String bootstrap, Map<String, Object> clientProps, AvroSerde serde) {
        this(bootstrap, clientProps, serde, Duration.ofSeconds(10));
    }

    /** {@code lookup}: how long one look-up of the review topics waits for the broker before it is tried again. */
    SeenItems(String bootstrap, Map<String, Object> clientProps, AvroSerde serde, Duration lookup) {
        this.lookup = lookup;
        Map<String, Object> p = new HashMap<>(TopicReader.consumerProps(bootstrap, clientProps));
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"); // the review topics are not transactional
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        this.serde = serde;
        this.thread = new Thread(this::run, "xmrec-seen-items");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        Set<TopicPartition> assigned = new HashSet<>();
        long nextRefresh = 0;
        try {
            while (running) {
                try {
                    nextRefresh = follow(assigned, nextRefresh);
                } catch (org.apache.kafka.common.KafkaException e) {
                    if (e instanceof WakeupException || !running) {
                        throw e;
                    }
                    // the broker out of reach or a topic without a leader for a while: the table waits, it does not end
                    LOG.warn("seen-items table: {}; retrying", e.toString());
                    Thread.sleep(1000);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            if (running) {
                LOG.error("seen-items table stopped following the review topics: {}", t.toString(), t);
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** One round: the review topics looked up again when due, then one poll. Returns when to look up next. */
    private long follow(Set<TopicPartition> assigned, long nextRefresh) throws InterruptedException {
        if (System.nanoTime() >= nextRefresh) {
            List<TopicPartition> found = new ArrayList<>();
            for (Map.Entry<String, List<PartitionInfo>> t : consumer.listTopics(lookup).entrySet()) {
                if (Topics.marketOf(t.getKey()) != null) {
                    t.getValue().forEach(pi -> found.add(new TopicPartition(pi.topic(), pi.partition())));
                }
            }
            List<TopicPartition> added = found.stream().filter(tp -> !assigned.contains(tp)).toList();
            if (!added.isEmpty()) {
                assigned.addAll(added);
                consumer.assign(assigned);
                consumer.seekToBeginning(added);
            }
            nextRefresh = System.nanoTime() + REFRESH.toNanos();
        }
        if (assigned.isEmpty()) {
            Thread.sleep(200);
            return nextRefresh;
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
            accept(r);
        }
        return nextRefresh;
    }

    private void accept(ConsumerRecord<String, byte[]> r) {
        String market = Topics.marketOf(r.topic());
        if (r.value() == null || market == null) {
            return;
        }
        try {
            ReviewEvent e = serde.deserialize(r.value(), ReviewEvent.class);
            if (!market.equals(e.getMarket()) || e.getUser().isEmpty() || e.getItem().isEmpty()) {
                skipped.incrementAndGet();
                return; // the holdout job dead-letters these; they are no one's purchase
            }
            add(market, e.getUser(), e.getItem());
            lastEventMillis = System.currentTimeMillis();
        } catch (RuntimeException | OutOfMemoryError ex) {
            skipped.incrementAndGet();
            LOG.debug("skipping review at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), ex.toString());
        }
    }

    /** Records a review (the topic reader's path; public for in-process feeds and tests). */
    public void add(String market, String user, String item) {
        String known = byMarket.computeIfAbsent(market, k -> new ConcurrentHashMap<>()).putIfAbsent(item, item);
        String one = known == null ? item : known;
        byUser.compute(market + "|" + user, (k, had) -> had == null ? new String[] {one} : with(had, one));
        events.incrementAndGet();
    }

    /** The items of {@code had} and {@code added}: {@code had} itself when it has that one already. */
    private static String[] with(String[] had, String added) {
        for (String x : had) {
            if (x.equals(added)) {
                return had;
            }
        }
        String[] out = java.util.Arrays.copyOf(had, had.length + 1);
        out[had.length] = added;
        return out;
    }

    /** Every item the user has reviewed in the market so far (empty for an unknown user); a copy. */
    @Override
    public Set<String> items(String market, String user) {
        String[] s = byUser.get(market + "|" + user);
        return s == null ? Set.of() : Set.of(s);
    }

    /** Every item reviewed in the market so far: what it sells. */
    @Override
    public Set<String> catalogue(String market) {
        Map<String, String> s = byMarket.get(market);
        return s == null ? Set.of() : Collections.unmodifiableSet(s.keySet());
    }

    /** Reviews taken and records skipped. */
    public long[] counts() {
        return new long[] {events.get(), skipped.get()};
    }

    public boolean alive() {
        return thread.isAlive();
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
