package io.xmrec.eval.live;

import io.xmrec.core.metrics.RankingMetrics;
import io.xmrec.core.serving.ServedModel;
import io.xmrec.model.ModelCodec;
import io.xmrec.schemas.EvaluationRecord;
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

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The live evaluator as a Kafka Streams topology. Models ({@code xmrec.models}) and holdouts
 * ({@code xmrec.holdouts}) are both re-keyed by market and meet in one processor with two state
 * stores: the newest model per market and every user's holdout (in-memory, changelogged).
 * <ul>
 *   <li>every new model version is evaluated on its market's current validation and test holdouts:
 *       each held-out item ranked against 99 negatives drawn from the model's items with a seed
 *       fixed per (seed, market, user, split), ties pessimistic; HR@10 and nDCG@10 go to
 *       {@code xmrec.metrics} as {@code holdout-valid} and {@code holdout-test};</li>
 *   <li>prequential: when a user's holdout shows a new test item (a new interaction), the model
 *       currently published for the market ranks it before any model has trained on it; the means
 *       over the last {@code window} such interactions per market go to {@code xmrec.metrics} as
 *       {@code prequential} every {@code emitEvery} interactions.</li>
 * </ul>
 * Negatives exclude the user's held-out items only (the evaluator does not keep training
 * histories), which can only make the numbers lower, never higher.
 */
public final class LiveEvaluator {

    public static final String MODELS_STORE = "models";
    public static final String HOLDOUTS_STORE = "holdouts";
    public static final String METRICS_STORE = "metrics";
    /** market -> version of the model in {@link #MODELS_STORE} (8 bytes), so readers decode a model only when it changed. */
    public static final String VERSIONS_STORE = "model-versions";
    static final int K = 10;
    private static final byte MODEL = 'M';
    private static final byte HOLDOUT = 'H';

    /** Settings of the evaluation. */
    public record Settings(int negatives, long seed, int window, int emitEvery) {
        public static Settings defaults() {
            return new Settings(99, 42, 1000, 100);
        }
    }

    private LiveEvaluator() {
    }

    public static Topology topology(Supplier<AvroSerde> serde, Settings s) {
        StreamsBuilder b = new StreamsBuilder();
        for (String store : new String[] {MODELS_STORE, HOLDOUTS_STORE, METRICS_STORE, VERSIONS_STORE}) {
            b.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(store), Serdes.String(),
                    Serdes.ByteArray()));
        }
        KStream<String, byte[]> models = b.stream(Topics.MODELS, Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .filter((k, v) -> k != null && v != null)
                .mapValues(v -> tag(MODEL, v));
        KStream<String, byte[]> holdouts = b.stream(Topics.HOLDOUTS, Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .filter((k, v) -> k != null && v != null && k.indexOf('|') > 0)
                .map((k, v) -> KeyValue.pair(k.substring(0, k.indexOf('|')), tag(HOLDOUT, v)));
        Repartitioned<String, byte[]> byMarket = Repartitioned.with(Serdes.String(), Serdes.ByteArray());
        models.repartition(byMarket.withName("models-by-market"))
                .merge(holdouts.repartition(byMarket.withName("holdouts-by-market")))
                .process(() -> new Evaluate(serde.get(), s), MODELS_STORE, HOLDOUTS_STORE, METRICS_STORE, VERSIONS_STORE)
                .to(Topics.METRICS, Produced.with(Serdes.String(), Serdes.ByteArray()));
        return b.build();
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
        private ProcessorContext<String, byte[]> ctx;
        private KeyValueStore<String, byte[]> models;
        private KeyValueStore<String, byte[]> holdouts;
        private KeyValueStore<String, byte[]> metrics;
        private KeyValueStore<String, byte[]> versions;

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
        }

        @Override
        public void process(Record<String, byte[]> r) {
            byte[] v = untag(r.value());
            if (r.value()[0] == MODEL) {
                onModel(r.key(), v, r.timestamp());
            } else {
                onHoldout(v, r.timestamp());
            }
        }

        private ServedModel model(String market) {
            byte[] bytes = models.get(market);
            if (bytes == null) {
                return null;
            }
            ServedModel m = decoded.get(market);
            if (m == null) {
                m = ModelCodec.served(serde.deserialize(bytes, ModelRecord.class));
                decoded.put(market, m);
            }
            return m;
        }

        private void onModel(String market, byte[] bytes, long ts) {
            ModelRecord rec = serde.deserialize(bytes, ModelRecord.class);
            ServedModel held = model(market);
            if (held != null && held.version() >= rec.getVersion()) {
                return; // an old version arriving late
            }
            models.put(market, bytes);
            versions.put(market, java.nio.ByteBuffer.allocate(8).putLong(rec.getVersion()).array());
            ServedModel m = ModelCodec.served(rec);
            decoded.put(market, m);
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
                    add(valid, rank(m, h, h.getValidItem(), "valid"));
                    add(test, rank(m, h, h.getTestItem(), "test"));
                }
            }
            emit(market, rec.getVersion(), "holdout-valid", users, valid, ts);
            emit(market, rec.getVersion(), "holdout-test", users, test, ts);
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
            boolean newTest = old == null || !old.getTestItem().equals(h.getTestItem())
                    || !old.getTestTime().equals(h.getTestTime());
            ServedModel m = model(h.getMarket());
            if (!newTest || m == null || m.users().indexOf(h.getUser()) < 0) {
                return;
            }
            Prequential p = prequential.computeIfAbsent(h.getMarket(), k -> new Prequential(s.window()));
            p.add(rank(m, h, h.getTestItem(), "prequential-" + h.getVersion()));
            if (p.count % s.emitEvery() == 0) {
                emit(h.getMarket(), m.version(), "prequential", p.size(), p.sums(), ts);
            }
        }

        /** Rank of {@code item} among it and the user's negatives; MAX_VALUE when the model does not know the item. */
        private int rank(ServedModel m, HoldoutState h, String item, String split) {
            int pos = m.items().indexOf(item);
            if (pos < 0) {
                return Integer.MAX_VALUE;
            }
            int n = m.items().size();
            int valid = h.getValidItem() == null ? -1 : m.items().indexOf(h.getValidItem());
            int test = m.items().indexOf(h.getTestItem());
            int want = Math.min(s.negatives(), n - 3);
            int[] cands = new int[want + 1];
            cands[0] = pos;
            SplittableRandom rnd = new SplittableRandom(s.seed() ^ (h.getMarket() + "/" + h.getUser() + "/" + split).hashCode()
                    * 0x9E3779B97F4A7C15L);
            java.util.HashSet<Integer> taken = new java.util.HashSet<>();
            int k = 1;
            while (k <= want) {
                int c = rnd.nextInt(n);
                if (c != pos && c != valid && c != test && taken.add(c)) {
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
