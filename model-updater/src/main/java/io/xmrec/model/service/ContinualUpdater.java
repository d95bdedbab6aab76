package io.xmrec.model.service;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.Split;
import io.xmrec.core.metrics.OfflineEvaluator;
import io.xmrec.core.metrics.RankSummary;
import io.xmrec.core.sampling.EvaluationNegatives;
import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlOptions;
import io.xmrec.model.MamlTrainer;
import io.xmrec.model.ModelCodec;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.NcfTrainer;
import io.xmrec.model.topic.ModelPublisher;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The model-updater service: consumes {@code xmrec.train} and {@code xmrec.holdouts}, keeps a
 * bounded window per market, and
 * <ul>
 *   <li>bootstraps once enough interactions have arrived: NMF++ over every market present, MAML
 *       pre-training of the shared trunk, a FOREC fork per market fine-tuned on that market, each
 *       published on {@code xmrec.models};</li>
 *   <li>then, per market, fine-tunes the market's model whenever at least a micro-batch of new
 *       interactions has arrived (a backlog read in one poll is one batch; it trains on the touched
 *       users' windows, with fresh negatives from the whole market's item pool) and
 *       publishes the next version, unless its validation nDCG@10 on the market's current holdouts
 *       falls more than the rollback margin below the current version's on the same holdouts: then
 *       the update is refused, logged and counted, and the current version stays;</li>
 *   <li>re-trains the trunk and re-forks every market every {@code retrainEvery} interactions, which
 *       is also when interactions of users or items the models do not know yet get in; a market
 *       without a model triggers the re-training early once it has four micro-batches of eligible
 *       interactions.</li>
 * </ul>
 */
public final class ContinualUpdater implements AutoCloseable {

    /**
     * Users per market the rollback guard evaluates on (a seeded sample, the same users every time):
     * comparing two models on all users of a large market cost more than the fine-tuning itself.
     */
    static final int GUARD_USERS = 500;

    /** Settings; {@link #defaults()} suits the embedded demo. */
    public record Settings(int minInteractions, long bootstrapInteractions, int microBatch, int windowPerMarket,
                           long retrainEvery, NcfOptions ncf, MamlOptions maml, ForecFork.Options forec,
                           int continualEpochs, double rollbackMargin, int evalNegatives, long seed) {
        public static Settings defaults() {
            return new Settings(7, 20_000, 500, 200_000, 200_000, NcfOptions.defaults().withEpochs(5),
                    MamlOptions.defaults(), ForecFork.Options.defaults().withEpochs(5), 1, 0.02, 99, 42);
        }
    }

    /** Counters for dashboards and tests. */
    public record Stats(long interactions, long published, long refused, long trunkVersions, Map<String, Long> versions,
                        Map<String, Long> waiting, int restored) {
    }

    private static final class MarketModel {
        NcfModel model;
        long version;
        /** Input offsets ("topic-partition" -> next offset) the published model has trained through. */
        Map<String, Long> trainedThrough = Map.of();
        final List<TrainingInteraction> pending = new ArrayList<>();
        long waiting; // interactions whose user or item the model does not know yet
    }

    private final Settings settings;
    private final Consumer<String> log;
    private final KafkaConsumer<String, byte[]> consumer;
    private final AvroSerde serde;
    private final ModelPublisher publisher;
    private final Map<String, MarketWindow> windows = new TreeMap<>();
    private final Map<String, MarketModel> models = new TreeMap<>();
    private final Map<String, Long> offsets = new TreeMap<>();
    private long interactions;
    private long sinceRetrain;
    private long published;
    private long refused;
    private long trunkVersion;
    private Long watermark;
    private boolean caughtUp;
    private long records;
    private long lastNewMarketCheck;
    private int restored;

    public ContinualUpdater(String bootstrap, Map<String, Object> clientProps, String registryUrl, int maxModelBytes,
                            Settings settings, Consumer<String> log) {
        this.settings = settings;
        this.log = log;
        this.serde = new AvroSerde(new RegistryClient(registryUrl));
        Map<String, Object> p = TopicReader.consumerProps(bootstrap, clientProps);
        p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> tps = new ArrayList<>();
        for (String t : List.of(Topics.HOLDOUTS, Topics.TRAIN)) {
            for (PartitionInfo pi : consumer.partitionsFor(t, Duration.ofSeconds(30))) {
                tps.add(new TopicPartition(t, pi.partition()));
            }
        }
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        this.publisher = new ModelPublisher(bootstrap, clientProps, serde, maxModelBytes);
        restore(bootstrap, clientProps);
    }

    /**
     * Restart safety: takes the newest published model of every market as the current one (its
     * version goes on from there) and remembers the input offsets it had trained through. The
     * input is then read from the start again: records below those offsets only rebuild the
     * windows, the rest is trained on, so nothing is lost and nothing is trained twice.
     */
    private void restore(String bootstrap, Map<String, Object> clientProps) {
        Map<String, ModelRecord> latest = new TreeMap<>();
        TopicReader.readToEnd(bootstrap, clientProps, Topics.MODELS, r -> {
            if (r.value() != null) {
                ModelRecord m = serde.deserialize(r.value(), ModelRecord.class);
                latest.merge(m.getMarket(), m, (x, y) -> y.getVersion() > x.getVersion() ? y : x);
            }
        });
        for (ModelRecord r : latest.values()) {
            MarketModel mm = new MarketModel();
            mm.model = ModelCodec.toModel(r, settings.ncf(), settings.forec());
            mm.version = r.getVersion();
            mm.trainedThrough = new TreeMap<>(r.getTrainedThrough());
            models.put(r.getMarket(), mm);
            trunkVersion = Math.max(trunkVersion, r.getTrunkVersion());
            log.accept(String.format("updater: restored %s v%d (trunk v%d) from %s", r.getMarket(), r.getVersion(),
                    r.getTrunkVersion(), Topics.MODELS));
        }
        restored = latest.size();
    }

    /** Runs until {@code stop} says so (checked between polls). */
    public void runUntil(BooleanSupplier stop) {
        while (!stop.getAsBoolean()) {
            step(Duration.ofMillis(200));
        }
    }

    /** One poll and whatever training it makes due. */
    public void step(Duration poll) {
        var records = consumer.poll(poll);
        if (records.isEmpty()) {
            Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
            caughtUp = end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
        } else {
            caughtUp = false;
        }
        for (ConsumerRecord<String, byte[]> r : records) {
            this.records++;
            if (r.value() == null) {
                continue;
            }
            if (r.topic().equals(Topics.HOLDOUTS)) {
                HoldoutState h = serde.deserialize(r.value(), HoldoutState.class);
                window(h.getMarket()).holdout(h);
            } else {
                TrainingInteraction t = serde.deserialize(r.value(), TrainingInteraction.class);
                window(t.getMarket()).add(t);
                interactions++;
                long ms = t.getEventTime().toEpochMilli();
                watermark = watermark == null ? ms : Math.max(watermark, ms);
                MarketModel mm = models.get(t.getMarket());
                boolean trained = mm != null && r.offset() < mm.trainedThrough.getOrDefault(r.topic() + "-" + r.partition(), 0L);
                if (!trained) {
                    sinceRetrain++;
                    if (mm != null) {
                        mm.pending.add(t);
                    }
                }
            }
            offsets.put(r.topic() + "-" + r.partition(), r.offset() + 1);
        }
        if (trunkVersion == 0 ? interactions >= settings.bootstrapInteractions() && eligible() >= settings.bootstrapInteractions()
                : sinceRetrain >= settings.retrainEvery() || newMarketReady()) {
            retrain();
            return;
        }
        for (Map.Entry<String, MarketModel> e : models.entrySet()) {
            if (e.getValue().pending.size() >= settings.microBatch()) {
                fineTune(e.getKey(), e.getValue());
            }
        }
    }

    /**
     * Whether a market without a model has enough data for one (four micro-batches of eligible
     * interactions): its users are not in the trunk, so it joins at a re-training, which then comes
     * early rather than after {@code retrainEvery} interactions.
     */
    private boolean newMarketReady() {
        if (records - lastNewMarketCheck < 1000 && !caughtUp) {
            return false; // checked now and then: it walks every user's holdout
        }
        lastNewMarketCheck = records;
        for (MarketWindow w : windows.values()) {
            if (!models.containsKey(w.market())
                    && w.eligibleInteractions(settings.minInteractions()) >= 4L * settings.microBatch()) {
                return true;
            }
        }
        return false;
    }

    /** Training interactions of users who would be trained on (their holdouts have arrived). */
    private long eligible() {
        long n = 0;
        for (MarketWindow w : windows.values()) {
            n += w.eligibleInteractions(settings.minInteractions());
        }
        return n;
    }

    private MarketWindow window(String market) {
        return windows.computeIfAbsent(market, m -> new MarketWindow(m, settings.windowPerMarket()));
    }

    /** Trunk (NMF++ then MAML) over every market with data, then a fork per market. */
    private void retrain() {
        long t0 = System.nanoTime();
        trunkVersion++;
        sinceRetrain = 0;
        List<MarketSplit> splits = new ArrayList<>();
        for (MarketWindow w : windows.values()) {
            MarketSplit s = w.split(settings.minInteractions(), null, i -> true);
            if (!s.users().isEmpty()) {
                splits.add(s);
            }
        }
        if (splits.isEmpty()) {
            trunkVersion--; // cannot happen after a bootstrap check, but a re-training must not publish nothing
            return;
        }
        CrossMarketDataset all = CrossMarketDataset.of(splits);
        NcfOptions o = settings.ncf().withSeed(settings.seed() + trunkVersion);
        NcfModel gmf = new NcfTrainer(o, null).trainGmf(all).model();
        NcfModel mlp = new NcfTrainer(o, null).trainMlp(all, gmf).model();
        NcfModel nmf = new NcfTrainer(o, null).trainNmf(all, gmf, mlp).model();
        NcfModel trunk = new MamlTrainer(settings.maml(), o.seed(), o.negatives(), null).train(nmf, all).model();
        log.accept(String.format("updater: trunk v%d on %s (%d users, %d items) in %.1fs", trunkVersion,
                splits.stream().map(MarketSplit::market).toList(), all.users().size(), all.items().size(),
                (System.nanoTime() - t0) / 1e9));
        for (MarketSplit s : splits) {
            NcfModel forec = ForecFork.fork(trunk, settings.forec(), o.seed());
            CrossMarketDataset target = all.restrictedTo(List.of(s.market()));
            new NcfTrainer(o.withEpochs(settings.forec().epochs()).withBatchSize(settings.forec().batchSize()), null)
                    .train(forec, target);
            MarketModel mm = models.computeIfAbsent(s.market(), k -> new MarketModel());
            mm.model = forec;
            mm.pending.clear();
            mm.waiting = 0;
            RankSummary v = validate(forec, target, negatives(target));
            publish(s.market(), mm, v);
        }
    }

    /** Fine-tunes one market's model on its pending interactions; publishes unless the rollback guard refuses. */
    private void fineTune(String market, MarketModel mm) {
        NcfModel model = mm.model;
        Set<String> users = new HashSet<>();
        for (TrainingInteraction t : mm.pending) {
            if (model.users().indexOf(CrossMarketDataset.userKey(market, t.getUser())) >= 0
                    && model.items().indexOf(t.getItem()) >= 0) {
                users.add(t.getUser());
            } else {
                mm.waiting++;
            }
        }
        mm.pending.clear();
        MarketWindow w = windows.get(market);
        java.util.function.Predicate<String> known = i -> model.items().indexOf(i) >= 0;
        MarketSplit everyone = w.split(settings.minInteractions(), null, known)
                .withUsers(u -> model.users().indexOf(CrossMarketDataset.userKey(market, u)) >= 0);
        MarketSplit touched = everyone.withUsers(users::contains);
        if (touched.users().isEmpty()) {
            return;
        }
        CrossMarketDataset all = CrossMarketDataset.withVocabularies(List.of(everyone), model.users(), model.items());
        CrossMarketDataset evalSet = CrossMarketDataset.withVocabularies(List.of(guardSample(everyone)), model.users(),
                model.items());
        CrossMarketDataset trainSet = CrossMarketDataset.withVocabularies(List.of(touched), model.users(), model.items())
                .withItemPool(market, all.target().itemPool());
        EvaluationNegatives negs = negatives(evalSet); // old and new model rank against the same negatives
        RankSummary before = validate(model, evalSet, negs);
        NcfModel next = copy(model);
        NcfOptions o = settings.ncf().withEpochs(settings.continualEpochs())
                .withBatchSize(settings.forec().batchSize()).withSeed(settings.seed() + mm.version);
        new NcfTrainer(o, null).train(next, trainSet);
        RankSummary after = validate(next, evalSet, negs);
        if (after.ndcg() < before.ndcg() - settings.rollbackMargin()) {
            refused++;
            log.accept(String.format("updater: %s update refused: validation nDCG@10 %.4f vs %.4f of v%d (margin %.3f)",
                    market, after.ndcg(), before.ndcg(), mm.version, settings.rollbackMargin()));
            return;
        }
        mm.model = next;
        publish(market, mm, after);
    }

    /** Users the rollback guard compares old and new model on: all, or a fixed seeded sample of {@link #GUARD_USERS}. */
    private MarketSplit guardSample(MarketSplit everyone) {
        if (everyone.users().size() <= GUARD_USERS) {
            return everyone;
        }
        List<String> ids = new ArrayList<>(everyone.users().stream().map(io.xmrec.core.holdout.UserSplit::user).toList());
        ids.sort(java.util.Comparator.comparingLong(u -> mix(settings.seed(), u)));
        Set<String> keep = new HashSet<>(ids.subList(0, GUARD_USERS));
        return everyone.withUsers(keep::contains);
    }

    private static long mix(long seed, String s) {
        long h = seed ^ 0x9E3779B97F4A7C15L;
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * 0x100000001B3L;
        }
        return h;
    }

    private static NcfModel copy(NcfModel m) {
        return new NcfModel(m.architecture(), m.graph().clone(), m.users(), m.items(), m.options(), m.markets());
    }

    private EvaluationNegatives negatives(CrossMarketDataset ds) {
        return EvaluationNegatives.empty().sample(ds.target(), ds.items(), settings.evalNegatives(), settings.seed());
    }

    private RankSummary validate(NcfModel model, CrossMarketDataset ds, EvaluationNegatives negs) {
        return OfflineEvaluator.evaluate(model, ds.target(), ds.items(), negs, false).summary(Split.VALIDATION, false, 10);
    }

    private void publish(String market, MarketModel mm, RankSummary valid) {
        mm.version++;
        mm.trainedThrough = new TreeMap<>(offsets);
        ModelCodec.Meta meta = new ModelCodec.Meta(mm.version, trunkVersion, new LinkedHashMap<>(offsets), watermark,
                valid.ndcg(), valid.hitRate());
        int bytes = publisher.publish(ModelCodec.toRecord(market, mm.model, meta));
        published++;
        log.accept(String.format("updater: published %s v%d (trunk v%d, %s): valid nDCG@10 %.4f HR@10 %.4f, %,d bytes",
                market, mm.version, trunkVersion, mm.model.architecture().label(), valid.ndcg(), valid.hitRate(), bytes));
    }

    /** Whether the last poll found nothing left to read in the input topics. */
    public boolean caughtUp() {
        return caughtUp;
    }

    public Stats stats() {
        Map<String, Long> v = new TreeMap<>();
        Map<String, Long> w = new TreeMap<>();
        models.forEach((k, m) -> {
            v.put(k, m.version);
            w.put(k, m.waiting);
        });
        return new Stats(interactions, published, refused, trunkVersion, v, w, restored);
    }

    @Override
    public void close() {
        consumer.close();
        publisher.close();
    }
}
