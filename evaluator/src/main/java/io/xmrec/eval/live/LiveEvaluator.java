package io.xmrec.eval.live;

import io.xmrec.schemas.DeadLetter;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.serving.ModelSource;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * The live evaluator as a Kafka Streams topology. Holdouts ({@code xmrec.holdouts}), training
 * interactions ({@code xmrec.train}), the updater's reports ({@code xmrec.updates}) and dead letters
 * ({@code xmrec.deadletter}) are re-keyed by market (one repartition topic) and go to processors
 * with one concern each, sharing the market's state stores:
 * <ul>
 *   <li>{@link InputTracker}: every user's holdout and training items, and the counters (events,
 *       training interactions, dead letters, the updater's reports and seconds);</li>
 *   <li>{@link PrequentialEvaluator}: each new interaction ranked by the market's current model
 *       before any model trained on it (the mean over the last {@code window} per market);</li>
 *   <li>{@link VersionEvaluator}: on a wall-clock schedule, the newest model version of each market
 *       (and its single-market reference) on every eligible user's current validation and test
 *       holdout, the offline protocol ({@link io.xmrec.serving.HoldoutEvaluation}); when it falls
 *       behind it skips to the newest version and reports its lag;</li>
 *   <li>{@link FullRankingEvaluator}: at most every {@code fullEvery} per market, a seeded sample of
 *       users' test items ranked against every item of the market they have not trained on.</li>
 * </ul>
 * Models come from a {@link ModelSource} (the serving client following snapshots and deltas), not
 * from the stream: the evaluator needs no deep-learning runtime and never decodes a model twice.
 */
public final class LiveEvaluator {

    public static final String HOLDOUTS_STORE = "holdouts";
    /** market|user -> the user's training items, newline-separated. */
    public static final String TRAIN_STORE = "train-items";
    /** market|kind -> the latest EvaluationRecord (wire bytes). */
    public static final String METRICS_STORE = "metrics";
    /** market|counter -> a double (8 bytes): events, train, deadletters, updates-KIND, seconds-KIND; last-event-ms (a maximum). */
    public static final String COUNTERS_STORE = "counters";
    static final int K = 10;
    static final byte HOLDOUT = 'H';
    static final byte TRAIN = 'T';
    static final byte UPDATE = 'U';
    static final byte DEAD = 'D';

    /**
     * Settings of the evaluation.
     *
     * @param negatives   sampled negatives each held-out or new item is ranked against
     * @param seed        seed of the negatives and of the users sampled
     * @param prequential the rolling prequential measurement
     * @param full        the full-ranking measurement
     * @param evalEvery how often the newest versions are looked at (wall clock)
     * @param minInteractions users with fewer interactions are not evaluated (the protocol's 7)
     * @param maxUsers  a model version is measured on at most this many eligible users of its market: all of
     *                  them below, a seeded sample (the same users for every version) above, with the 95%
     *                  confidence interval of its nDCG@10 counted beside it
     */
    public record Settings(int negatives, long seed, Prequential prequential, FullRanking full, Duration evalEvery,
                           int minInteractions, int maxUsers) {

        /** Users measured per version at most: a second or two of scoring on one core at the default width. */
        public static final int DEFAULT_MAX_USERS = 20_000;

        public static Settings defaults() {
            return new Settings(99, 42, new Prequential(1000, 100), new FullRanking(100, Duration.ofMinutes(1)),
                    Duration.ofSeconds(2), 7, DEFAULT_MAX_USERS);
        }

        public Settings withMaxUsers(int n) {
            return new Settings(negatives, seed, prequential, full, evalEvery, minInteractions, n);
        }

        public int window() {
            return prequential.window();
        }

        public int emitEvery() {
            return prequential.emitEvery();
        }

        public int fullUsers() {
            return full.users();
        }

        public Duration fullEvery() {
            return full.every();
        }
    }

    /**
     * The prequential measurement: each new interaction ranked before any model trained on it.
     *
     * @param window    the newest interactions the rolling means are over, per market
     * @param emitEvery a record is emitted after every this many interactions of a market
     */
    public record Prequential(int window, int emitEvery) {
    }

    /**
     * Ranking against every item of the market, on a seeded sample of users.
     *
     * @param users users ranked at most
     * @param every at most one full ranking per market this often
     */
    public record FullRanking(int users, Duration every) {
    }

    private LiveEvaluator() {
    }

    /** The topology; models come from {@code models}. */
    public static Topology topology(Supplier<AvroSerde> serde, Supplier<ModelSource> models, Settings s) {
        StreamsBuilder b = new StreamsBuilder();
        for (String store : new String[] {HOLDOUTS_STORE, TRAIN_STORE, METRICS_STORE, COUNTERS_STORE}) {
            b.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(store), Serdes.String(),
                    Serdes.ByteArray()));
        }
        Consumed<String, byte[]> bytes = Consumed.with(Serdes.String(), Serdes.ByteArray());
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
                .map((k, v) -> KeyValue.pair(deadMarket(serde.get(), v), tag(DEAD, new byte[0])));
        KStream<String, byte[]> byMarket = holdouts.merge(train).merge(updates).merge(dead)
                .repartition(Repartitioned.with(Serdes.String(), Serdes.ByteArray()).withName("by-market"));
        Produced<String, byte[]> out = Produced.with(Serdes.String(), Serdes.ByteArray());
        KStream<String, InputTracker.NewInteraction> newInteractions = byMarket.process(() -> new InputTracker(serde.get()),
                HOLDOUTS_STORE, TRAIN_STORE, COUNTERS_STORE);
        newInteractions.process(() -> new PrequentialEvaluator(serde.get(), models.get(), s),
                HOLDOUTS_STORE, TRAIN_STORE, METRICS_STORE).to(Topics.METRICS, out);
        byMarket.process(() -> new VersionEvaluator(serde.get(), models.get(), s),
                HOLDOUTS_STORE, TRAIN_STORE, METRICS_STORE, COUNTERS_STORE).to(Topics.METRICS, out);
        byMarket.process(() -> new FullRankingEvaluator(serde.get(), models.get(), s),
                HOLDOUTS_STORE, TRAIN_STORE, METRICS_STORE).to(Topics.METRICS, out);
        return b.build();
    }

    /** The market of a dead letter (by the topic it was read from), "?" when none can be told. */
    private static String deadMarket(AvroSerde serde, byte[] v) {
        try {
            String m = Topics.marketOf(serde.deserialize(v, DeadLetter.class).getTopic());
            return m == null ? "?" : m;
        } catch (RuntimeException | OutOfMemoryError e) {
            return "?"; // an unreadable dead letter is still one: counted, never a reason to stop
        }
    }

    static String marketOf(String key, char sep) {
        int i = key.indexOf(sep);
        return i < 0 ? key : key.substring(0, i);
    }

    static byte[] tag(byte t, byte[] v) {
        byte[] out = new byte[v.length + 1];
        out[0] = t;
        System.arraycopy(v, 0, out, 1, v.length);
        return out;
    }

    static byte[] untag(byte[] v) {
        return java.util.Arrays.copyOfRange(v, 1, v.length);
    }
}
