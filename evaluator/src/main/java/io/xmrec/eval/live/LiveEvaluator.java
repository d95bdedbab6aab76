package io.xmrec.eval.live;

import io.xmrec.core.metrics.RankingMetrics;
import io.xmrec.core.serving.ServedModel;
import io.xmrec.model.ModelCodec;
import io.xmrec.schemas.DeadLetter;
import io.xmrec.schemas.EvaluationRecord;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.UpdateEvent;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The live evaluator as a Kafka Streams topology. Models ({@code xmrec.models}), holdouts
 * ({@code xmrec.holdouts}), training interactions ({@code xmrec.train}), the updater's reports
 * ({@code xmrec.updates}) and dead letters ({@code xmrec.deadletter}) are re-keyed by market and
 * meet in one processor with its state stores: the newest model per market (and its single-market
 * NMF reference), every user's holdout, every user's training items, the latest measurements and
 * counters (in-memory, changelogged).
 * <ul>
 *   <li>every new model version is evaluated on its market's current validation and test holdouts:
 *       each held-out item ranked against 99 negatives drawn from the model's items the user never
 *       rated (training items and held-out items), with a seed fixed per (seed, market, user,
 *       split), ties pessimistic; HR@10 and nDCG@10 go to {@code xmrec.metrics} as
 *       {@code holdout-valid} and {@code holdout-test}; reference models the same way as
 *       {@code reference-valid} and {@code reference-test};</li>
 *   <li>full ranking, at most every {@code fullEvery} per market (it costs a pass over all items per
 *       user): the test item against every item of the market (items of its training interactions
 *       and holdouts) the user has not rated, for a fixed seeded sample of {@code fullUsers} users:
 *       {@code holdout-test-full};</li>
 *   <li>prequential: when a user's holdout shows a new test item (a new interaction), the model
 *       currently published for the market ranks it before any model has trained on it; the means
 *       over the last {@code window} such interactions per market go to {@code xmrec.metrics} as
 *       {@code prequential} every {@code emitEvery} interactions;</li>
 *   <li>counters per market: events (holdout updates, one per accepted review), training
 *       interactions, dead letters, and the updater's reports by kind with their seconds.</li>
 * </ul>
 */
public final class LiveEvaluator {

    public static final String MODELS_STORE = "models";
    public static final String HOLDOUTS_STORE = "holdouts";
    public static final String METRICS_STORE = "metrics";
    /** market -> version of the model in {@link #MODELS_STORE} (8 bytes), so readers decode a model only when it changed. */
    public static final String VERSIONS_STORE = "model-versions";
    /** market|user -> the user's training items, newline-separated. */
    public static final String TRAIN_STORE = "train-items";
    /** market|counter -> a double (8 bytes): events, train, deadletters, updates-KIND, seconds-KIND; last-event-ms (a maximum). */
    public static final String COUNTERS_STORE = "counters";
    static final int K = 10;
    private static final byte MODEL = 'M';
    private static final byte HOLDOUT = 'H';
    private static final byte TRAIN = 'T';
    private static final byte UPDATE = 'U';
    private static final byte DEAD = 'D';

    /** Settings of the evaluation. */
    public record Settings(int negatives, long seed, int window, int emitEvery, int fullUsers, java.time.Duration fullEvery) {
        public static Settings defaults() {
            return new Settings(99, 42, 1000, 100, 100, java.time.Duration.ofMinutes(1));
        }
    }


    private LiveEvaluator() {
    }

    public static Topology topology(Supplier<AvroSerde> serde, Settings s) {
        StreamsBuilder b = new StreamsBuilder();
        String[] stores = {MODELS_STORE, HOLDOUTS_STORE, METRICS_STORE, VERSIONS_STORE, TRAIN_STORE, COUNTERS_STORE};
        for (String store : stores) {
            b.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(store), Serdes.String(),
                    Serdes.ByteArray()));
        }
        Consumed<String, byte[]> bytes = Consumed.with(Serdes.String(), Serdes.ByteArray());
        KStream<String, byte[]> models = b.stream(Topics.MODELS, bytes)
                .filter((k, v) -> k != null && v != null)
                .map((k, v) -> KeyValue.pair(marketOf(k, '/'), tag(MODEL, v)));
        KStream<String, byte[]> holdouts = b.stream(Topics.HOLDOUTS, bytes)
                .filter((k, v) -> k != null && v != null && k.indexOf('|') > 0)
                .map((k, v) -> KeyValue.pair(marketOf(k, '|'), tag(HOLDOUT, v)));
        KStream<String, byte[]> train = b.stream(Topics.TRAIN, bytes)
                .filter((k, v) -> k != null && v != null && k.indexOf('|') > 0)
                .map((k, v) -> KeyValue.pair(marketOf(k, '|'), tag(TRAIN, v)));
        KStream<String, byte[]> updates = b.stream(Topics.UPDATES, bytes)
                .filter((k, v) -> k != null && v != null)
                .mapValues(v -> tag(UPDATE, v));
        KStream<String, byte[]> dead = b.stream(Topics.DEADLETTER, bytes)
                .filter((k, v) -> v != null)
                .map((k, v) -> {
                    String m = Topics.marketOf(serde.get().deserialize(v, DeadLetter.class).getTopic());
                    return KeyValue.pair(m == null ? "?" : m, tag(DEAD, new byte[0]));
                });
        models.merge(holdouts).merge(train).merge(updates).merge(dead)
                .repartition(Repartitioned.with(Serdes.String(), Serdes.ByteArray()).withName("by-market"))
                .process(() -> new Evaluate(serde.get(), s), stores)
                .to(Topics.METRICS, Produced.with(Serdes.String(), Serdes.ByteArray()));
        return b.build();
    }

    private static String marketOf(String key, char sep) {
        int i = key.indexOf(sep);
        return i < 0 ? key : key.substring(0, i);
    }

    private static byte[] tag(byte t, byte[] v) {
        byte[] out = new byte[v.length + 1];
        out[0] = t;
        System.arraycopy(v, 0, out, 1, v.length);
        return out;
    }

    private static byte[] untag(byte[] v) {
        return java.util.Arrays.copyOfRange(v, 1, v.length);
    }

    /** The processor: keeps the stores and computes the metrics. */
    static final class Evaluate implements Processor<String, byte[], String, byte[]> {
        private final AvroSerde serde;
        private final Settings s;
        private final Map<String, ServedModel> decoded = new HashMap<>();
        private final Map<String, Prequential> prequential = new HashMap<>();
        private final Map<String, Long> lastFull = new HashMap<>();
        private ProcessorContext<String, byte[]> ctx;
        private KeyValueStore<String, byte[]> models;
        private KeyValueStore<String, byte[]> holdouts;
        private KeyValueStore<String, byte[]> metrics;
        private KeyValueStore<String, byte[]> versions;
        private KeyValueStore<String, byte[]> train;
        private KeyValueStore<String, byte[]> counters;

        Evaluate(AvroSerde serde, Settings s) {
            this.serde = serde;
            this.s = s;
        }

        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            this.ctx = context;
            this.models = context.getStateStore(MODELS_STORE);
            this.holdouts = context.getStateStore(HOLDOUTS_STORE);
            this.metrics = context.getStateStore(METRICS_STORE);
            this.versions = context.getStateStore(VERSIONS_STORE);
            this.train = context.getStateStore(TRAIN_STORE);
            this.counters = context.getStateStore(COUNTERS_STORE);
        }

        @Override
        public void process(Record<String, byte[]> r) {
            byte[] v = untag(r.value());
            switch (r.value()[0]) {
                case MODEL -> onModel(v, r.timestamp());
                case HOLDOUT -> onHoldout(v, r.timestamp());
                case TRAIN -> onTrain(v);
                case UPDATE -> {
                    UpdateEvent e = serde.deserialize(v, UpdateEvent.class);
                    count(e.getMarket(), "updates-" + e.getKind(), 1);
                    count(e.getMarket(), "seconds-" + e.getKind(), e.getSeconds());
                }
                case DEAD -> count(r.key(), "deadletters", 1);
                default -> throw new IllegalStateException("unknown record tag " + r.value()[0]);
            }
        }

        private void count(String market, String name, double by) {
            String key = market + "|" + name;
            byte[] old = counters.get(key);
            double now = (old == null ? 0 : java.nio.ByteBuffer.wrap(old).getDouble()) + by;
            counters.put(key, java.nio.ByteBuffer.allocate(8).putDouble(now).array());
        }

        private void latest(String market, String name, double value) {
            String key = market + "|" + name;
            byte[] old = counters.get(key);
            if (old == null || java.nio.ByteBuffer.wrap(old).getDouble() < value) {
                counters.put(key, java.nio.ByteBuffer.allocate(8).putDouble(value).array());
            }
        }

        private ServedModel model(String key) {
            byte[] bytes = models.get(key);
            if (bytes == null) {
                return null;
            }
            ServedModel m = decoded.get(key);
            if (m == null) {
                m = ModelCodec.served(serde.deserialize(bytes, ModelRecord.class));
                decoded.put(key, m);
            }
            return m;
        }

        private void onModel(byte[] bytes, long ts) {
            ModelRecord rec = serde.deserialize(bytes, ModelRecord.class);
            String market = rec.getMarket();
            String key = rec.getReference() ? Topics.referenceKey(market) : market;
            ServedModel held = model(key);
            if (held != null && held.version() >= rec.getVersion()) {
                return; // an old version arriving late
            }
            models.put(key, bytes);
            ServedModel m = ModelCodec.served(rec);
            decoded.put(key, m);
            if (!rec.getReference()) {
                versions.put(market, java.nio.ByteBuffer.allocate(8).putLong(rec.getVersion()).array());
            }
            double[] valid = new double[2];
            double[] test = new double[2];
            int users = 0;
            try (KeyValueIterator<String, byte[]> it = holdouts.prefixScan(market + "|", new StringSerializer())) {
                while (it.hasNext()) {
                    HoldoutState h = serde.deserialize(it.next().value, HoldoutState.class);
                    if (h.getValidItem() == null || m.users().indexOf(h.getUser()) < 0) {
                        continue;
                    }
                    users++;
                    Set<Integer> rated = rated(m, h);
                    add(valid, rank(m, h, h.getValidItem(), "valid", rated));
                    add(test, rank(m, h, h.getTestItem(), "test", rated));
                }
            }
            String prefix = rec.getReference() ? "reference" : "holdout";
            emit(market, rec.getVersion(), prefix + "-valid", users, valid, ts);
            emit(market, rec.getVersion(), prefix + "-test", users, test, ts);
            long now = System.currentTimeMillis();
            if (!rec.getReference() && now - lastFull.getOrDefault(market, Long.MIN_VALUE / 2) >= s.fullEvery().toMillis()) {
                lastFull.put(market, now);
                fullRanking(market, m, rec.getVersion(), ts);
            }
        }

        /** The user's training items and held-out items, as indices of the model's items. */
        private Set<Integer> rated(ServedModel m, HoldoutState h) {
            Set<Integer> out = new java.util.HashSet<>();
            for (String item : trainItems(h.getMarket(), h.getUser())) {
                int i = m.items().indexOf(item);
                if (i >= 0) {
                    out.add(i);
                }
            }
            for (String item : new String[] {h.getValidItem(), h.getTestItem()}) {
                int i = item == null ? -1 : m.items().indexOf(item);
                if (i >= 0) {
                    out.add(i);
                }
            }
            return out;
        }

        private List<String> trainItems(String market, String user) {
            byte[] b = train.get(market + "|" + user);
            return b == null ? List.of() : List.of(new String(b, StandardCharsets.UTF_8).split("\n"));
        }

        private void onTrain(byte[] bytes) {
            TrainingInteraction t = serde.deserialize(bytes, TrainingInteraction.class);
            String key = t.getMarket() + "|" + t.getUser();
            byte[] old = train.get(key);
            String items = old == null ? t.getItem() : new String(old, StandardCharsets.UTF_8) + "\n" + t.getItem();
            train.put(key, items.getBytes(StandardCharsets.UTF_8));
            count(t.getMarket(), "train", 1);
        }

        /**
         * Full ranking of the test item for a fixed seeded sample of users: against every item of
         * the market (its training and held-out items in the model's vocabulary) the user has not rated.
         */
        private void fullRanking(String market, ServedModel m, long version, long ts) {
            java.util.TreeSet<Integer> pool = new java.util.TreeSet<>();
            try (KeyValueIterator<String, byte[]> it = train.prefixScan(market + "|", new StringSerializer())) {
                while (it.hasNext()) {
                    for (String item : new String(it.next().value, StandardCharsets.UTF_8).split("\n")) {
                        int i = m.items().indexOf(item);
                        if (i >= 0) {
                            pool.add(i);
                        }
                    }
                }
            }
            List<HoldoutState> sample = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> it = holdouts.prefixScan(market + "|", new StringSerializer())) {
                while (it.hasNext()) {
                    HoldoutState h = serde.deserialize(it.next().value, HoldoutState.class);
                    if (h.getValidItem() != null && m.users().indexOf(h.getUser()) >= 0) {
                        int t = m.items().indexOf(h.getTestItem());
                        if (t >= 0) {
                            pool.add(t);
                        }
                        sample.add(h);
                    }
                }
            }
            Map<String, HoldoutState> byUser = new HashMap<>();
            sample.forEach(h -> byUser.put(h.getUser(), h));
            sample = io.xmrec.core.sampling.SeededOrder.first(byUser.keySet(), s.fullUsers(), s.seed()).stream()
                    .map(byUser::get).toList();
            double[] sums = new double[2];
            int[] cands = pool.stream().mapToInt(Integer::intValue).toArray();
            for (HoldoutState h : sample) {
                int target = m.items().indexOf(h.getTestItem());
                if (target < 0) {
                    add(sums, Integer.MAX_VALUE);
                    continue;
                }
                Set<Integer> rated = rated(m, h);
                int[] c = new int[cands.length + 1];
                c[0] = target;
                int n = 1;
                for (int i : cands) {
                    if (!rated.contains(i)) {
                        c[n++] = i;
                    }
                }
                float[] sc = m.score(m.userIndex(h.getUser()), Arrays.copyOf(c, n));
                add(sums, RankingMetrics.pessimisticRank(sc[0], sc, 1, sc.length));
            }
            emit(market, version, "holdout-test-full", sample.size(), sums, ts);
        }

        private void onHoldout(byte[] bytes, long ts) {
            HoldoutState h = serde.deserialize(bytes, HoldoutState.class);
            String key = h.getMarket() + "|" + h.getUser();
            byte[] oldBytes = holdouts.get(key);
            HoldoutState old = oldBytes == null ? null : serde.deserialize(oldBytes, HoldoutState.class);
            if (old != null && old.getVersion() > h.getVersion()) {
                return;
            }
            holdouts.put(key, bytes);
            count(h.getMarket(), "events", 1);
            latest(h.getMarket(), "last-event-ms", h.getTestTime().toEpochMilli());
            boolean newTest = old == null || !old.getTestItem().equals(h.getTestItem())
                    || !old.getTestTime().equals(h.getTestTime());
            ServedModel m = model(h.getMarket());
            if (!newTest || m == null || m.users().indexOf(h.getUser()) < 0) {
                return;
            }
            Prequential p = prequential.computeIfAbsent(h.getMarket(), k -> new Prequential(s.window()));
            p.add(rank(m, h, h.getTestItem(), "prequential-" + h.getVersion(), rated(m, h)));
            if (p.count % s.emitEvery() == 0) {
                emit(h.getMarket(), m.version(), "prequential", p.size(), p.sums(), ts);
            }
        }

        /**
         * Rank of {@code item} among it and the user's negatives (items the user has not rated);
         * MAX_VALUE when the model does not know the item.
         */
        private int rank(ServedModel m, HoldoutState h, String item, String split, Set<Integer> rated) {
            int pos = m.items().indexOf(item);
            if (pos < 0) {
                return Integer.MAX_VALUE;
            }
            int n = m.items().size();
            int want = Math.min(s.negatives(), n - rated.size() - (rated.contains(pos) ? 0 : 1));
            if (want < 1) {
                return 1;
            }
            int[] cands = new int[want + 1];
            cands[0] = pos;
            SplittableRandom rnd = new SplittableRandom(s.seed() ^ (h.getMarket() + "/" + h.getUser() + "/" + split).hashCode()
                    * 0x9E3779B97F4A7C15L);
            java.util.HashSet<Integer> taken = new java.util.HashSet<>();
            int k = 1;
            while (k <= want) {
                int c = rnd.nextInt(n);
                if (c != pos && !rated.contains(c) && taken.add(c)) {
                    cands[k++] = c;
                }
            }
            float[] sc = m.score(m.userIndex(h.getUser()), cands);
            return RankingMetrics.pessimisticRank(sc[0], sc, 1, sc.length);
        }

        private static void add(double[] sums, int rank) {
            sums[0] += RankingMetrics.ndcg(rank, K);
            sums[1] += RankingMetrics.hitRate(rank, K);
        }

        private void emit(String market, long version, String kind, int users, double[] sums, long ts) {
            EvaluationRecord e = EvaluationRecord.newBuilder().setMarket(market).setModelVersion(version).setKind(kind)
                    .setUsers(users).setNdcg10(users == 0 ? 0 : sums[0] / users).setHr10(users == 0 ? 0 : sums[1] / users)
                    .setTime(Instant.ofEpochMilli(ts)).build();
            byte[] out = serde.serialize(Topics.METRICS, e);
            metrics.put(market + "|" + kind, out);
            ctx.forward(new Record<>(market, out, ts));
        }
    }

    /** The last {@code window} prequential ranks of a market. */
    static final class Prequential {
        private final double[] ndcg;
        private final double[] hr;
        private int next;
        long count;

        Prequential(int window) {
            ndcg = new double[window];
            hr = new double[window];
        }

        void add(int rank) {
            ndcg[next] = RankingMetrics.ndcg(rank, K);
            hr[next] = RankingMetrics.hitRate(rank, K);
            next = (next + 1) % ndcg.length;
            count++;
        }

        int size() {
            return (int) Math.min(count, ndcg.length);
        }

        double[] sums() {
            double a = 0;
            double b = 0;
            for (int i = 0; i < size(); i++) {
                a += ndcg[i];
                b += hr[i];
            }
            return new double[] {a, b};
        }
    }


}
