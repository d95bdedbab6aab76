package io.xmrec.eval.live;

import io.xmrec.schemas.EvaluationRecord;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.serving.HoldoutEvaluation;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What the evaluator's processors read and write of a market in the shared stores: users'
 * holdouts and training items, the market's item pool, the latest measurements and the counters.
 */
final class MarketStores {

    /** A market's eligible users' holdouts and its items (sorted), as read now. */
    record View(List<HoldoutEvaluation.UserHoldout> users, String[] pool, Map<String, List<String>> train,
                Map<String, HoldoutState> holdouts) {
    }

    private final AvroSerde serde;
    final KeyValueStore<String, byte[]> holdouts;
    final KeyValueStore<String, byte[]> train;
    final KeyValueStore<String, byte[]> metrics;
    final KeyValueStore<String, byte[]> counters;

    MarketStores(ProcessorContext<?, ?> ctx, AvroSerde serde) {
        this.serde = serde;
        this.holdouts = ctx.getStateStore(LiveEvaluator.HOLDOUTS_STORE);
        this.train = ctx.getStateStore(LiveEvaluator.TRAIN_STORE);
        this.metrics = store(ctx, LiveEvaluator.METRICS_STORE);
        this.counters = store(ctx, LiveEvaluator.COUNTERS_STORE);
    }

    private static KeyValueStore<String, byte[]> store(ProcessorContext<?, ?> ctx, String name) {
        try {
            return ctx.getStateStore(name);
        } catch (RuntimeException e) {
            return null; // not connected to this processor
        }
    }

    List<String> trainItems(String market, String user) {
        byte[] b = train.get(market + "|" + user);
        return b == null ? List.of() : List.of(new String(b, StandardCharsets.UTF_8).split("\n"));
    }

    /** Reads a market's users and items; a holdout that cannot be decoded is skipped. */
    View view(String market, int minInteractions) {
        Map<String, List<String>> trained = new HashMap<>();
        TreeSet<String> pool = new TreeSet<>();
        try (KeyValueIterator<String, byte[]> it = train.prefixScan(market + "|", new StringSerializer())) {
            while (it.hasNext()) {
                var kv = it.next();
                List<String> items = List.of(new String(kv.value, StandardCharsets.UTF_8).split("\n"));
                trained.put(kv.key.substring(market.length() + 1), items);
                pool.addAll(items);
            }
        }
        List<HoldoutEvaluation.UserHoldout> users = new ArrayList<>();
        Map<String, HoldoutState> hs = new HashMap<>();
        try (KeyValueIterator<String, byte[]> it = holdouts.prefixScan(market + "|", new StringSerializer())) {
            while (it.hasNext()) {
                HoldoutState h;
                try {
                    h = serde.deserialize(it.next().value, HoldoutState.class);
                } catch (RuntimeException e) {
                    continue;
                }
                if (h.getValidItem() != null) {
                    pool.add(h.getValidItem());
                }
                pool.add(h.getTestItem());
                hs.put(h.getUser(), h);
                if (h.getValidItem() == null || h.getTrainCount() + 2 < minInteractions) {
                    continue;
                }
                List<String> rated = new ArrayList<>(trained.getOrDefault(h.getUser(), List.of()));
                rated.add(h.getValidItem());
                rated.add(h.getTestItem());
                users.add(new HoldoutEvaluation.UserHoldout(h.getUser(), h.getValidItem(), h.getTestItem(), rated));
            }
        }
        return new View(users, pool.toArray(new String[0]), trained, hs);
    }

    /** Adds to a counter. */
    void count(String market, String name, double by) {
        String key = market + "|" + name;
        byte[] old = counters.get(key);
        double now = (old == null ? 0 : ByteBuffer.wrap(old).getDouble()) + by;
        counters.put(key, ByteBuffer.allocate(8).putDouble(now).array());
    }

    /** Sets a gauge. */
    void set(String market, String name, double value) {
        counters.put(market + "|" + name, ByteBuffer.allocate(8).putDouble(value).array());
    }

    /** Raises a maximum. */
    void max(String market, String name, double value) {
        String key = market + "|" + name;
        byte[] old = counters.get(key);
        if (old == null || ByteBuffer.wrap(old).getDouble() < value) {
            counters.put(key, ByteBuffer.allocate(8).putDouble(value).array());
        }
    }

    /**
     * A measurement: stored as the latest of its market and kind, and forwarded to {@code xmrec.metrics};
     * {@code sums} has one sum over the {@code users} ranks per {@link LiveMetric}, in table order.
     */
    void emit(ProcessorContext<String, byte[]> ctx, String market, long version, String kind, int users, double[] sums,
              long ts) {
        EvaluationRecord e = new EvaluationRecord();
        e.setMarket(market);
        e.setModelVersion(version);
        e.setKind(kind);
        e.setUsers(users);
        e.setTime(Instant.ofEpochMilli(ts));
        LiveMetric.setMeans(e, sums, users);
        byte[] out = serde.serialize(Topics.METRICS, e);
        metrics.put(market + "|" + kind, out);
        ctx.forward(new Record<>(market, out, ts));
    }
}
