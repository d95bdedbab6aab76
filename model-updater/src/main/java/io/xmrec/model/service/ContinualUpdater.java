package io.xmrec.model.service;

import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.MarketStatistics;
import io.xmrec.core.data.SourceSelector;
import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.Split;
import io.xmrec.core.holdout.UserSplit;
import io.xmrec.core.metrics.OfflineEvaluator;
import io.xmrec.core.metrics.RankSummary;
import io.xmrec.core.sampling.EvaluationNegatives;
import io.xmrec.core.sampling.SeededOrder;
import io.xmrec.core.serving.UserFoldIn;
import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlOptions;
import io.xmrec.model.MamlTrainer;
import io.xmrec.model.ModelCodec;
import io.xmrec.model.NcfArchitecture;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.NcfTrainer;
import io.xmrec.model.ParameterTransfer;
import io.xmrec.model.topic.ModelPublisher;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.UpdateEvent;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The model-updater service: consumes {@code xmrec.train}, {@code xmrec.holdouts} and
 * {@code xmrec.forks}, keeps a
 * bounded window per market, and
 * <ul>
 *   <li>bootstraps once enough interactions have arrived: NMF++ over every market present, MAML
 *       pre-training of the shared trunk, a FOREC fork per market fine-tuned on that market, each
 *       published on {@code xmrec.models};</li>
 *   <li>then, per market and in parallel ({@code workers} threads, one job per market at a time),
 *       fine-tunes the market's model on its new interactions as soon as a micro-batch is full or
 *       the oldest of them has waited {@code maxDelay}: users the model does not know yet are first
 *       folded in ({@link UserFoldIn}: their embeddings fitted with the rest of the network fixed),
 *       then the head is trained on the touched users' windows with fresh negatives from the
 *       market's pool. The new version is published unless its validation nDCG@10 on a fixed
 *       sample of the market's users falls more than the rollback margin below the current
 *       version's on the same users and negatives: then it is refused, logged, counted and
 *       reported on {@code xmrec.updates};</li>
 *   <li>re-trains the trunk in the background every {@code retrainEvery} interactions or
 *       {@code retrainInterval}, and early when a market without a model has four micro-batches of
 *       eligible interactions: warm-started from the previous trunk (rows of known users and items,
 *       dense layers), a few NMF epochs on the whole window, MAML, and re-forks with each market's
 *       head warm-started from its previous head. Markets keep fine-tuning on the old trunk
 *       meanwhile; each switches once idle, with everything that arrived after the trunk's
 *       snapshot as its pending batch. Items no trunk has seen wait for the next trunk.</li>
 *   <li>optionally trains a single-market NMF per market with every trunk and publishes it as a
 *       reference record (key {@code market/nmf}) for the dashboard's comparison line.</li>
 * </ul>
 * Several updaters in one consumer group share this work ({@link MarketAssignor}): each reads
 * all of the input, one trains the trunk and publishes the forks on {@code xmrec.forks}, and each
 * market is fine-tuned (and its fork installed) only by its owner, who takes it over from its
 * newest published version. One updater alone owns everything.
 */
public final class ContinualUpdater implements AutoCloseable {

    /**
     * Users per market the rollback guard evaluates on (a seeded sample, the same users every time):
     * comparing two models on all users of a large market cost more than the fine-tuning itself.
     */
    static final int GUARD_USERS = 500;

    /**
     * Fold-in in the stream: 20 Adam steps of 0.15 instead of the offline 60 of 0.05, three times
     * cheaper (a micro-batch may bring a hundred new users); bench/results/new-users-20steps.md
     * measures what it costs in quality.
     */
    public static final UserFoldIn.Options STREAMING_FOLD_IN = new UserFoldIn.Options(20, 0.15, 4, 42);

    /** Settings; {@link #defaults()} suits the embedded demo. */
    public record Settings(int minInteractions, long bootstrapInteractions, int microBatch, Duration maxDelay,
                           int windowPerMarket, long retrainEvery, Duration retrainInterval, NcfOptions ncf,
                           MamlOptions maml, ForecFork.Options forec, int continualEpochs, int warmEpochs,
                           UserFoldIn.Options foldIn, double rollbackMargin, int evalNegatives, int workers,
                           boolean references, boolean sourceHeads, long seed) {
        public Settings {
            if (minInteractions < 3 || bootstrapInteractions < 1 || microBatch < 1 || windowPerMarket < 1
                    || retrainEvery < 1 || continualEpochs < 1 || warmEpochs < 1 || workers < 1 || evalNegatives < 1
                    || rollbackMargin < 0 || maxDelay.isNegative() || retrainInterval.isNegative()) {
                throw new IllegalArgumentException("updater settings out of range: " + this);
            }
        }

        public static Settings defaults() {
            return new Settings(7, 20_000, 500, Duration.ofMillis(500), 200_000, 200_000, Duration.ofMinutes(30),
                    NcfOptions.defaults().withEpochs(5), MamlOptions.defaults(), ForecFork.Options.defaults().withEpochs(5),
                    1, 2, STREAMING_FOLD_IN, 0.02, 99, 2, true, true, 42);
        }

        public Settings withMinInteractions(int n) {
            return new Settings(n, bootstrapInteractions, microBatch, maxDelay, windowPerMarket, retrainEvery,
                    retrainInterval, ncf, maml, forec, continualEpochs, warmEpochs, foldIn, rollbackMargin,
                    evalNegatives, workers, references, sourceHeads, seed);
        }

        public Settings withBootstrap(long n) {
            return new Settings(minInteractions, n, microBatch, maxDelay, windowPerMarket, retrainEvery,
                    retrainInterval, ncf, maml, forec, continualEpochs, warmEpochs, foldIn, rollbackMargin,
                    evalNegatives, workers, references, sourceHeads, seed);
        }

        public Settings withMicroBatch(int n, Duration delay) {
            return new Settings(minInteractions, bootstrapInteractions, n, delay, windowPerMarket, retrainEvery,
                    retrainInterval, ncf, maml, forec, continualEpochs, warmEpochs, foldIn, rollbackMargin,
                    evalNegatives, workers, references, sourceHeads, seed);
        }

        public Settings withWindow(int n) {
            return new Settings(minInteractions, bootstrapInteractions, microBatch, maxDelay, n, retrainEvery,
                    retrainInterval, ncf, maml, forec, continualEpochs, warmEpochs, foldIn, rollbackMargin,
                    evalNegatives, workers, references, sourceHeads, seed);
        }

        public Settings withRetrain(long every, Duration interval) {
            return new Settings(minInteractions, bootstrapInteractions, microBatch, maxDelay, windowPerMarket, every,
                    interval, ncf, maml, forec, continualEpochs, warmEpochs, foldIn, rollbackMargin,
                    evalNegatives, workers, references, sourceHeads, seed);
        }

        public Settings withTraining(NcfOptions n, MamlOptions m, ForecFork.Options f, int warm) {
            return new Settings(minInteractions, bootstrapInteractions, microBatch, maxDelay, windowPerMarket,
                    retrainEvery, retrainInterval, n, m, f, continualEpochs, warm, foldIn, rollbackMargin,
                    evalNegatives, workers, references, sourceHeads, seed);
        }

        public Settings withRollbackMargin(double margin) {
            return new Settings(minInteractions, bootstrapInteractions, microBatch, maxDelay, windowPerMarket,
                    retrainEvery, retrainInterval, ncf, maml, forec, continualEpochs, warmEpochs, foldIn, margin,
                    evalNegatives, workers, references, sourceHeads, seed);
        }

        public Settings withWorkers(int n, boolean refs) {
            return new Settings(minInteractions, bootstrapInteractions, microBatch, maxDelay, windowPerMarket,
                    retrainEvery, retrainInterval, ncf, maml, forec, continualEpochs, warmEpochs, foldIn, rollbackMargin,
                    evalNegatives, n, refs, sourceHeads, seed);
        }

        /**
         * Whether a market without a head of its own (new, or at the first trunk) starts its fork's
         * head from the head of the market {@link SourceSelector} ranks first for it, when that one is
         * already forked on the same trunk, instead of from random weights.
         */
        public Settings withSourceHeads(boolean on) {
            return new Settings(minInteractions, bootstrapInteractions, microBatch, maxDelay, windowPerMarket,
                    retrainEvery, retrainInterval, ncf, maml, forec, continualEpochs, warmEpochs, foldIn, rollbackMargin,
                    evalNegatives, workers, references, on, seed);
        }
    }

    /** Counters for dashboards and tests; {@code versions} and {@code waiting} cover the markets this updater owns. */
    public record Stats(long interactions, long published, long refused, long trunkVersions, Map<String, Long> versions,
                        Map<String, Long> waiting, int restored, long foldedIn, long references, Set<String> owned,
                        boolean trunkOwner) {

        /** The counters in Prometheus text format (the updater's {@code /metrics}). */
        public String prometheus() {
            StringBuilder b = new StringBuilder();
            metric(b, "xmrec_updater_interactions_total", "counter", "Training interactions read.", interactions);
            metric(b, "xmrec_updater_published_total", "counter", "Model versions published.", published);
            metric(b, "xmrec_updater_refused_total", "counter", "Updates refused by the rollback guard.", refused);
            metric(b, "xmrec_updater_trunk_version", "gauge", "Version of the newest trunk seen.", trunkVersions);
            metric(b, "xmrec_updater_folded_in_total", "counter", "New users folded in between trunks.", foldedIn);
            metric(b, "xmrec_updater_references_total", "counter", "Reference NMF models published.", references);
            metric(b, "xmrec_updater_owned_markets", "gauge", "Markets this updater fine-tunes.", owned.size());
            metric(b, "xmrec_updater_trunk_owner", "gauge", "1 when this updater trains the trunk.", trunkOwner ? 1 : 0);
            b.append("# HELP xmrec_updater_owns 1 for each market this updater fine-tunes.\n")
                    .append("# TYPE xmrec_updater_owns gauge\n");
            owned.forEach(m -> b.append("xmrec_updater_owns{market=\"").append(m).append("\"} 1\n"));
            b.append("# HELP xmrec_updater_model_version Newest published model version per owned market.\n")
                    .append("# TYPE xmrec_updater_model_version gauge\n");
            versions.forEach((m, v) -> b.append("xmrec_updater_model_version{market=\"").append(m).append("\"} ")
                    .append(v).append('\n'));
            b.append("# HELP xmrec_updater_waiting_total Interactions with an item no trunk has seen yet, per market.\n")
                    .append("# TYPE xmrec_updater_waiting_total counter\n");
            waiting.forEach((m, v) -> b.append("xmrec_updater_waiting_total{market=\"").append(m).append("\"} ")
                    .append(v).append('\n'));
            return b.toString();
        }

        private static void metric(StringBuilder b, String name, String type, String help, long value) {
            b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(' ')
                    .append(type).append('\n').append(name).append(' ').append(value).append('\n');
        }
    }

    /**
     * The consumer group the updaters share markets in, and how long a silent member keeps its
     * markets (a killed updater's markets move after this).
     */
    public record Group(String id, Duration sessionTimeout) {
        public Group {
            if (id == null || id.isBlank() || sessionTimeout.toMillis() < 1000) {
                throw new IllegalArgumentException("updater group id must be set and the session timeout at least 1 s: "
                        + id + ", " + sessionTimeout);
            }
        }

        public static Group defaults() {
            return new Group(Topics.PREFIX + "xmrec-updater", Duration.ofSeconds(15));
        }
    }

    /**
     * One market as this updater sees it. Every updater keeps every market's log (what arrived
     * since the newest fork's snapshot) and newest fork, so it can take the market over at any
     * time; the model, version and pending micro-batch exist while it owns the market. Fields
     * change on the poll thread only, while no fine-tuning of the market runs.
     */
    private static final class MarketModel {
        final String market;
        volatile NcfModel model;
        volatile long version;
        volatile long trunkVersion;
        /** Input offsets ("topic-partition" -> next offset) the published model has trained through. */
        volatile Map<String, Long> trainedThrough = Map.of();
        final java.util.ArrayDeque<Pending> pending = new java.util.ArrayDeque<>();
        long oldestPending;
        volatile boolean busy;
        final AtomicLong waiting = new AtomicLong(); // interactions with an item the model does not know yet
        volatile Set<String> guardUsers = Set.of();
        /** Whether this updater owns the market and has read its newest published version. */
        boolean acquired;
        /** The newest fork published for the market (a trunk's FOREC model before any micro-batch), or null. */
        ModelRecord fork;
        /**
         * Training interactions read at or after the newest fork's snapshot (at most a window's worth,
         * the oldest dropped first, as the window drops them): what a new fork trains on first.
         */
        final java.util.ArrayDeque<Pending> log = new java.util.ArrayDeque<>();

        MarketModel(String market) {
            this.market = market;
        }

        long forkOffset(String partition) {
            return fork == null ? 0 : fork.getTrainedThrough().getOrDefault(partition, 0L);
        }
    }

    /** An interaction not trained on yet, with where it was read ("topic-partition", offset). */
    private record Pending(TrainingInteraction t, String partition, long offset) {
    }

    /** A trunk being trained in the background: its snapshot, and the tasks (trunk and forks, references). */
    private static final class TrunkJob {
        final long version;
        final Map<String, Long> offsets;
        final Long watermark;
        final List<Future<?>> tasks = new ArrayList<>();
        volatile boolean failed;

        TrunkJob(long version, Map<String, Long> offsets, Long watermark) {
            this.version = version;
            this.offsets = offsets;
            this.watermark = watermark;
        }

        boolean done() {
            return tasks.stream().allMatch(Future::isDone);
        }
    }

    private final Settings settings;
    private final Consumer<String> log;
    private final String bootstrap;
    private final Map<String, Object> clientProps;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaConsumer<byte[], byte[]> group;
    private final AvroSerde serde;
    private final ModelPublisher publisher;
    private final Map<String, MarketWindow> windows = new ConcurrentSkipListMap<>();
    private final Map<String, MarketModel> models = new ConcurrentSkipListMap<>();
    private final Map<String, Long> offsets = new TreeMap<>();
    private final ExecutorService workers;
    private final ExecutorService trunkThread;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong foldedIn = new AtomicLong();
    private final AtomicLong references = new AtomicLong();
    private final AtomicInteger running = new AtomicInteger();
    /** The newest trunk version seen (on the fork topic, or in models taken over). */
    private volatile long trunkVersion;
    /** The version of the trunk last started here, and the markets whose forks of it have not been read back yet. */
    private long trunkStarted;
    private final Set<String> awaitedForks = new java.util.TreeSet<>();
    private volatile NcfModel trunk;
    /** Single-market NMF reference models (trunk thread only). */
    private final Map<String, NcfModel> referenceModels = new HashMap<>();
    private TrunkJob trunkJob;
    private volatile boolean closing;
    private long interactions;
    private long lastTrunkNanos = System.nanoTime();
    private Long watermark;
    private boolean inputAtEnd;
    /** End offsets of the input when this updater started: no trunk is started before they are read. */
    private final Map<TopicPartition, Long> startEnd;
    private boolean replayed;
    private long records;
    private long lastNewMarketCheck;
    private int restored;
    /** The group's plan, this member's id; no market is fine-tuned while a rebalance is in progress. */
    private volatile MarketAssignor.Plan plan;
    private volatile String memberId;
    private boolean suspended = true;
    private MarketAssignor.Plan rebalancedFor;
    private boolean trunkOwner;

    public ContinualUpdater(String bootstrap, Map<String, Object> clientProps, String registryUrl, int maxModelBytes,
                            Settings settings, Consumer<String> log) {
        this(bootstrap, clientProps, registryUrl, maxModelBytes, settings, Group.defaults(), log);
    }

    public ContinualUpdater(String bootstrap, Map<String, Object> clientProps, String registryUrl, int maxModelBytes,
                            Settings settings, Group groupSettings, Consumer<String> log) {
        this.settings = settings;
        this.log = log;
        this.bootstrap = bootstrap;
        this.clientProps = Map.copyOf(clientProps);
        this.serde = new AvroSerde(new RegistryClient(registryUrl));
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
            for (PartitionInfo pi : parts) {
                tps.add(new TopicPartition(t, pi.partition()));
            }
        }
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        this.startEnd = consumer.endOffsets(tps);
        this.publisher = new ModelPublisher(bootstrap, clientProps, serde, maxModelBytes);
        this.workers = Executors.newFixedThreadPool(settings.workers(), threads("xmrec-updater-market"));
        this.trunkThread = Executors.newSingleThreadExecutor(threads("xmrec-updater-trunk"));
        Map<String, Object> g = new HashMap<>(clientProps);
        g.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        g.put(ConsumerConfig.GROUP_ID_CONFIG, groupSettings.id());
        g.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        g.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, MarketAssignor.class.getName());
        g.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) groupSettings.sessionTimeout().toMillis());
        g.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(300, groupSettings.sessionTimeout().toMillis() / 5));
        g.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        g.put(MarketAssignor.MEMBERSHIP_CONFIG, new MarketAssignor.Membership() {
            @Override
            public MarketAssignor.Claim claim() {
                return new MarketAssignor.Claim(new java.util.TreeSet<>(owned()), new java.util.TreeSet<>(models.keySet()),
                        trunkOwner);
            }

            @Override
            public void assigned(MarketAssignor.Plan p, String member, int generation) {
                plan = p;
                memberId = member;
                log.accept(String.format("updater: group generation %d: this updater (%s) owns %s%s", generation, member,
                        p.markets().getOrDefault(member, new java.util.TreeSet<>()),
                        member.equals(p.trunkOwner()) ? " and trains the trunk" : ", the trunk is " + p.trunkOwner() + "'s"));
            }
        });
        this.group = new KafkaConsumer<>(g, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        group.subscribe(List.of(Topics.TRAIN), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                release(false);
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                release(true);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                group.pause(partitions); // held for the group's sake only: the input is read by the other consumer
                reconcile();
            }
        });
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Whether this updater fine-tunes the market in the current generation of the group. */
    private boolean owns(String market) {
        MarketAssignor.Plan p = plan;
        return p != null && memberId != null && memberId.equals(p.owner(market));
    }

    /** The markets this updater owns now (of those it has seen). */
    private Set<String> owned() {
        Set<String> s = new java.util.TreeSet<>();
        for (String m : models.keySet()) {
            if (owns(m)) {
                s.add(m);
            }
        }
        return s;
    }

    /**
     * A rebalance begins (or this member was dropped from the group): nothing new is started, and
     * the fine-tuning in flight finishes and publishes first, so the next owner of a market reads
     * its last version. A dropped member also gives up the trunk.
     */
    private void release(boolean lost) {
        suspended = true;
        long until = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        while (running.get() > 0 && System.nanoTime() < until) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (running.get() > 0) {
            log.accept("updater: fine-tuning still running after 4 minutes while giving markets back");
        }
        if (lost) {
            log.accept("updater: dropped from the group (no heartbeat within the session timeout): markets given up");
            plan = null;
            dropUnowned();
            cancelTrunk();
        }
    }

    /** The new plan is in: markets given away are dropped, the trunk job stops if the trunk went elsewhere. */
    private void reconcile() {
        boolean wasTrunkOwner = trunkOwner;
        trunkOwner = plan != null && memberId != null && memberId.equals(plan.trunkOwner());
        if (wasTrunkOwner && !trunkOwner) {
            cancelTrunk();
        }
        dropUnowned();
        suspended = false;
    }

    private void dropUnowned() {
        for (MarketModel mm : models.values()) {
            if (mm.acquired && !owns(mm.market)) {
                mm.acquired = false;
                mm.model = null;
                mm.pending.clear();
                mm.guardUsers = Set.of();
                log.accept("updater: " + mm.market + (mm.version > 0 ? " handed over at v" + mm.version
                        : " handed over (no model yet)"));
            }
        }
    }

    private void cancelTrunk() {
        TrunkJob job = trunkJob;
        if (job != null) {
            job.tasks.forEach(f -> f.cancel(true));
            log.accept("updater: trunk v" + job.version + " stopped: the trunk now belongs to another updater");
            trunkJob = null;
            awaitedForks.clear();
        }
    }

    /**
     * Takes over markets: each one's newest published version becomes the current model (versions
     * go on from there) with the input offsets it had trained through; what the market's log holds
     * beyond them is pending. So nothing is lost and nothing trained twice, after a restart as after
     * a hand-over from another updater.
     */
    private void acquire(List<MarketModel> markets) {
        Set<String> names = new java.util.TreeSet<>();
        markets.forEach(mm -> names.add(mm.market));
        Map<String, ModelRecord> latest = latestPublished(names);
        long now = System.nanoTime();
        for (MarketModel mm : markets) {
            ModelRecord r = latest.get(mm.market);
            if (r != null && (mm.model == null || r.getVersion() > mm.version)) {
                mm.model = ModelCodec.toModel(r, settings.ncf(), settings.forec());
                mm.version = r.getVersion();
                mm.trunkVersion = r.getTrunkVersion();
                mm.trainedThrough = new TreeMap<>(r.getTrainedThrough());
                trunkVersion = Math.max(trunkVersion, r.getTrunkVersion());
                restored++;
                log.accept(String.format("updater: took over %s at v%d (trunk v%d) from %s", r.getMarket(), r.getVersion(),
                        r.getTrunkVersion(), Topics.MODELS));
            }
            mm.pending.clear();
            for (Pending p : mm.log) {
                if (p.offset() >= mm.trainedThrough.getOrDefault(p.partition(), 0L)) {
                    mm.pending.add(p);
                }
            }
            mm.oldestPending = now;
            mm.acquired = true;
        }
    }

    /** The newest published (non-reference) model record of each of these markets. */
    private Map<String, ModelRecord> latestPublished(Set<String> markets) {
        Map<String, ModelRecord> latest = new TreeMap<>();
        TopicReader.readToEnd(bootstrap, clientProps, Topics.MODELS, r -> {
            if (r.value() != null && r.key() != null && markets.contains(r.key())) {
                ModelRecord m = serde.deserialize(r.value(), ModelRecord.class);
                if (!m.getReference()) {
                    latest.merge(m.getMarket(), m, (x, y) -> y.getVersion() > x.getVersion() ? y : x);
                }
            }
        });
        return latest;
    }

    /** Runs until {@code stop} says so (checked between polls). */
    public void runUntil(BooleanSupplier stop) {
        while (!stop.getAsBoolean()) {
            try {
                step(Duration.ofMillis(100));
            } catch (RuntimeException | Error e) {
                log.accept("updater: stopping on " + e + " at " + frames(e)
                        + (e.getCause() != null ? ", caused by " + e.getCause() + " at " + frames(e.getCause()) : ""));
                throw e;
            }
        }
    }

    /**
     * One poll of the group (rebalances happen here) and of the input, then whatever became due:
     * taking over markets, finishing or starting a trunk, installing new forks, dispatching
     * micro-batches.
     */
    public void step(Duration poll) {
        group.poll(Duration.ZERO);
        var batch = consumer.poll(poll);
        if (batch.isEmpty()) {
            Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
            inputAtEnd = end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
        } else {
            inputAtEnd = false;
        }
        if (!replayed) {
            replayed = startEnd.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
        }
        long now = System.nanoTime();
        for (ConsumerRecord<String, byte[]> r : batch) {
            records++;
            if (r.value() != null) {
                accept(r, now);
            }
            if (!r.topic().equals(Topics.FORKS)) {
                offsets.put(r.topic() + "-" + r.partition(), r.offset() + 1);
            }
        }
        if (suspended) {
            return;
        }
        MarketAssignor.Plan p = plan;
        if (p != null && p != rebalancedFor && models.keySet().stream().anyMatch(m -> !p.lists(m))) {
            rebalancedFor = p; // a market the plan does not list goes by hash for now; a rebalance balances it in
            group.enforceRebalance("a market new to the group's plan");
        }
        List<MarketModel> take = models.values().stream().filter(mm -> !mm.acquired && owns(mm.market)).toList();
        if (!take.isEmpty()) {
            acquire(take);
        }
        finishTrunk();
        if (trunkOwner && trunkJob == null && replayed && trunkDue(now)) {
            startTrunk(now);
        }
        for (MarketModel mm : models.values()) {
            if (!mm.acquired || mm.busy) {
                continue;
            }
            if (mm.fork != null && mm.fork.getTrunkVersion() > mm.trunkVersion) {
                installFork(mm);
            } else if (!mm.pending.isEmpty() && mm.model != null
                    && (mm.pending.size() >= settings.microBatch() || now - mm.oldestPending >= settings.maxDelay().toNanos())) {
                dispatch(mm);
            }
        }
    }

    private void accept(ConsumerRecord<String, byte[]> r, long now) {
        if (r.topic().equals(Topics.FORKS)) {
            ModelRecord f = serde.deserialize(r.value(), ModelRecord.class);
            MarketModel mm = market(f.getMarket());
            if (f.getTrunkVersion() >= trunkStarted) {
                awaitedForks.remove(f.getMarket());
            }
            if (mm.fork == null || f.getTrunkVersion() > mm.fork.getTrunkVersion()) {
                mm.fork = f;
                mm.log.removeIf(p -> p.offset() < mm.forkOffset(p.partition()));
                if (f.getTrunkVersion() > trunkVersion) {
                    trunkVersion = f.getTrunkVersion();
                    lastTrunkNanos = now;
                }
            }
            return;
        }
        if (r.topic().equals(Topics.HOLDOUTS)) {
            HoldoutState h = serde.deserialize(r.value(), HoldoutState.class);
            MarketWindow w = window(h.getMarket());
            synchronized (w) {
                w.holdout(h);
            }
            market(h.getMarket());
            return;
        }
        TrainingInteraction t = serde.deserialize(r.value(), TrainingInteraction.class);
        MarketWindow w = window(t.getMarket());
        synchronized (w) {
            w.add(t);
        }
        interactions++;
        long ms = t.getEventTime().toEpochMilli();
        watermark = watermark == null ? ms : Math.max(watermark, ms);
        String tp = r.topic() + "-" + r.partition();
        Pending p = new Pending(t, tp, r.offset());
        MarketModel mm = market(t.getMarket());
        if (r.offset() >= mm.forkOffset(tp)) {
            mm.log.addLast(p);
            if (mm.log.size() > settings.windowPerMarket()) {
                mm.log.removeFirst();
            }
        }
        if (mm.acquired && (mm.model != null || mm.fork != null) && r.offset() >= mm.trainedThrough.getOrDefault(tp, 0L)) {
            if (mm.pending.isEmpty()) {
                mm.oldestPending = now;
            }
            mm.pending.add(p);
        }
    }

    private MarketModel market(String market) {
        return models.computeIfAbsent(market, MarketModel::new);
    }

    /** Interactions read since the newest trunk's snapshot (per market: since its newest fork's). */
    private long sinceRetrain() {
        long n = 0;
        for (MarketModel mm : models.values()) {
            n += mm.log.size();
        }
        return n;
    }

    private boolean trunkDue(long now) {
        if (!awaitedForks.isEmpty()) {
            return false; // the last trunk's forks are on their way: until then the logs still hold what it trained on
        }
        if (trunkVersion == 0) {
            return interactions >= settings.bootstrapInteractions() && eligible() >= settings.bootstrapInteractions();
        }
        long since = sinceRetrain();
        boolean interval = !settings.retrainInterval().isZero()
                && now - lastTrunkNanos >= settings.retrainInterval().toNanos() && since > 0;
        return since >= settings.retrainEvery() || interval || newMarketReady();
    }

    /**
     * A new fork of an owned market is in (its trunk is newer than the model's): it becomes the
     * current model and is published, and everything since the trunk's snapshot is its pending batch.
     */
    private void installFork(MarketModel mm) {
        ModelRecord f = mm.fork;
        mm.model = ModelCodec.toModel(f, settings.ncf(), settings.forec());
        mm.trunkVersion = f.getTrunkVersion();
        mm.guardUsers = Set.of();
        mm.waiting.set(0);
        mm.pending.clear();
        mm.pending.addAll(mm.log);
        mm.oldestPending = System.nanoTime();
        RankSummary valid = new RankSummary(0, 10, f.getValidationHr10() == null ? 0 : f.getValidationHr10(),
                f.getValidationNdcg10() == null ? 0 : f.getValidationNdcg10(), 0);
        publish(mm, valid, f.getTrainedThrough(), f.getWatermark() == null ? null : f.getWatermark().toEpochMilli(), "new fork");
        report(mm.market, "published", mm.version, mm.trunkVersion, 0, 0, valid.ndcg(), null, 0);
    }

    /**
     * Sends one market's oldest pending interactions, at most four micro-batches (a backlog, e.g.
     * after a trunk, goes out in pieces, each published), to a worker. The model it yields has
     * trained through everything read so far except what is still pending.
     */
    private void dispatch(MarketModel mm) {
        List<TrainingInteraction> batch = new ArrayList<>();
        int max = 4 * settings.microBatch();
        while (!mm.pending.isEmpty() && batch.size() < max) {
            batch.add(mm.pending.removeFirst().t());
        }
        Map<String, Long> at = new TreeMap<>(offsets);
        for (Pending left : mm.pending) {
            at.merge(left.partition(), left.offset(), Math::min);
        }
        mm.oldestPending = System.nanoTime();
        Long wm = mm.pending.isEmpty() ? watermark // else a part of the backlog: the newest event time in it
                : Long.valueOf(batch.stream().mapToLong(t -> t.getEventTime().toEpochMilli()).max().orElse(0));
        mm.busy = true;
        running.incrementAndGet();
        workers.execute(() -> {
            try {
                fineTune(mm, batch, at, wm);
            } catch (RuntimeException | Error e) {
                if (closing || e instanceof java.util.concurrent.CancellationException) {
                    log.accept("updater: fine-tuning " + mm.market + " stopped: the updater is closing");
                    return;
                }
                log.accept("updater: fine-tuning " + mm.market + " failed: " + e + " at " + frames(e));
            } finally {
                mm.busy = false;
                running.decrementAndGet();
            }
        });
    }

    private static String frames(Throwable e) {
        return java.util.Arrays.toString(java.util.Arrays.copyOf(e.getStackTrace(), Math.min(6, e.getStackTrace().length)));
    }

    /**
     * Whether a market without a fork has enough data for one (four micro-batches of eligible
     * interactions): its users are not in the trunk, so it joins at a re-training, which then comes
     * early rather than after {@code retrainEvery} interactions.
     */
    private boolean newMarketReady() {
        if (records - lastNewMarketCheck < 1000 && !inputAtEnd) {
            return false; // checked now and then: it walks every user's holdout
        }
        lastNewMarketCheck = records;
        for (MarketWindow w : windows.values()) {
            MarketModel mm = models.get(w.market());
            if (mm == null || mm.fork == null && mm.model == null) {
                synchronized (w) {
                    if (w.eligibleInteractions(settings.minInteractions()) >= 4L * settings.microBatch()) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Training interactions of users who would be trained on (their holdouts have arrived). */
    private long eligible() {
        long n = 0;
        for (MarketWindow w : windows.values()) {
            synchronized (w) {
                n += w.eligibleInteractions(settings.minInteractions());
            }
        }
        return n;
    }

    private MarketWindow window(String market) {
        return windows.computeIfAbsent(market, m -> new MarketWindow(m, settings.windowPerMarket()));
    }

    /** Snapshots every window and trains the next trunk and its forks (then the references) on the trunk thread. */
    private void startTrunk(long now) {
        List<MarketSplit> splits = new ArrayList<>();
        for (MarketWindow w : windows.values()) {
            MarketSplit s;
            synchronized (w) {
                s = w.split(settings.minInteractions(), null, i -> true);
            }
            if (!s.users().isEmpty()) {
                splits.add(s);
            }
        }
        if (splits.isEmpty()) {
            return;
        }
        lastTrunkNanos = now;
        long version = Math.max(trunkVersion, trunkStarted) + 1;
        trunkStarted = version;
        splits.forEach(sp -> awaitedForks.add(sp.market()));
        TrunkJob job = new TrunkJob(version, new TreeMap<>(offsets), watermark);
        Map<String, NcfModel> owned = new TreeMap<>();
        models.forEach((m, mm) -> {
            if (mm.acquired && mm.model != null) {
                owned.put(m, mm.model);
            }
        });
        NcfModel previousTrunk = trunk;
        job.tasks.add(trunkThread.submit(() -> {
            try {
                trainTrunk(job, splits, owned, previousTrunk);
            } catch (RuntimeException | Error e) {
                job.failed = true;
                if (!closing && !Thread.currentThread().isInterrupted()) {
                    log.accept("updater: trunk v" + version + " failed, the current models stay: " + e + " at " + frames(e));
                }
            }
        }));
        if (settings.references()) {
            job.tasks.add(trunkThread.submit(() -> {
                try {
                    trainReferences(version, splits);
                } catch (RuntimeException | Error e) {
                    if (!closing && !Thread.currentThread().isInterrupted()) {
                        log.accept("updater: reference models of trunk v" + version + " failed: " + e + " at " + frames(e));
                    }
                }
            }));
        }
        trunkJob = job;
    }

    /** Lets the next trunk start once this one's tasks are over; what it published comes back through the fork topic. */
    private void finishTrunk() {
        if (trunkJob != null && trunkJob.done()) {
            if (trunkJob.failed || trunkJob.tasks.get(0).isCancelled()) {
                awaitedForks.clear(); // the next one may start
            }
            trunkJob = null;
            inputAtEnd = false; // its forks are on the topic now: read them before calling anything caught up
        }
    }

    /**
     * Trunk (NMF++ then MAML; warm-started from the previous one when there is one), then a fork
     * per market, each published on the fork topic for the market's owner to install.
     */
    private void trainTrunk(TrunkJob job, List<MarketSplit> splits, Map<String, NcfModel> owned, NcfModel previousTrunk) {
        long version = job.version;
        long t0 = System.nanoTime();
        CrossMarketDataset all = CrossMarketDataset.of(splits);
        NcfOptions o = settings.ncf().withSeed(settings.seed() + version);
        Map<String, NcfModel> previous = new TreeMap<>(owned);
        Set<String> others = new java.util.TreeSet<>();
        splits.forEach(s -> others.add(s.market()));
        others.removeAll(owned.keySet());
        if (!others.isEmpty()) { // markets other updaters own: their newest versions, for the users folded in there
            latestPublished(others).forEach((m, r) -> previous.put(m, ModelCodec.toModel(r, settings.ncf(), settings.forec())));
        }
        boolean warm = previousTrunk != null || !previous.isEmpty();
        NcfModel nmf;
        String how;
        if (!warm) {
            NcfModel gmf = new NcfTrainer(o, null).trainGmf(all).model();
            NcfModel mlp = new NcfTrainer(o, null).trainMlp(all, gmf).model();
            nmf = new NcfTrainer(o, null).trainNmf(all, gmf, mlp).model();
            how = "from scratch";
        } else {
            nmf = NcfModel.fresh(NcfArchitecture.NMF, all.users(), all.items(), o,
                    splits.stream().map(MarketSplit::market).toList());
            int[] rows = {0, 0};
            if (previousTrunk != null) {
                rows = ParameterTransfer.warmStart(nmf, previousTrunk, true);
            }
            NcfModel largest = null;
            for (NcfModel m : previous.values()) {
                int[] r = ParameterTransfer.warmStart(nmf, m, false); // users folded in since, and restored models
                rows[0] = Math.max(rows[0], r[0]);
                largest = largest == null || m.users().size() > largest.users().size() ? m : largest;
            }
            if (previousTrunk == null && largest != null) {
                ParameterTransfer.warmStart(nmf, largest, true); // after a restart: dense layers from a market model
            }
            new NcfTrainer(o.withEpochs(settings.warmEpochs()), null).train(nmf, all);
            how = String.format("warm from trunk v%d (%d of %d users, %d of %d items kept), %d NMF epochs",
                    version - 1, rows[0], all.users().size(), rows[1], all.items().size(), settings.warmEpochs());
        }
        NcfModel next = new MamlTrainer(settings.maml(), o.seed(), o.negatives(), null).train(nmf, all).model();
        double secs = (System.nanoTime() - t0) / 1e9;
        log.accept(String.format("updater: trunk v%d on %s (%d users, %d items) %s in %.1fs", version,
                splits.stream().map(MarketSplit::market).toList(), all.users().size(), all.items().size(), how, secs));
        report("*", "trunk", version, version, 0, 0, null, null, secs);
        trunk = next;
        Map<String, NcfModel> forked = new TreeMap<>(); // this trunk's forks, for heads of markets that have none
        boolean sourceHeads = settings.sourceHeads() && splits.size() > 1;
        MarketStatistics stats = null; // counted once, and only when some market has no head of its own
        for (MarketSplit s : forkOrder(splits, previous)) {
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
            long f0 = System.nanoTime();
            NcfModel forec = ForecFork.fork(next, settings.forec(), o.seed());
            NcfModel before = previous.get(s.market());
            boolean warmHead = before != null && before.architecture() == NcfArchitecture.FOREC
                    && ForecFork.copyHead(before, forec, settings.forec());
            String head = warmHead ? "warm" : "new";
            if (!warmHead && sourceHeads) { // the market --source auto would pick, if it is forked already
                if (stats == null) {
                    stats = MarketStatistics.of(splits.stream().map(m -> new MarketData(m.market(), null, "",
                            m.users().stream().flatMap(u -> u.train().stream()).toList(), 0)).toList());
                }
                MarketStatistics.Pair p = SourceSelector.rank(stats, s.market()).get(0);
                NcfModel from = forked.get(p.source());
                if (from != null && ForecFork.copyHead(from, forec, settings.forec())) {
                    head = String.format(java.util.Locale.ROOT, "from %s's (cosine %.3f)", p.source(), p.cosine());
                }
            }
            CrossMarketDataset target = all.restrictedTo(List.of(s.market()));
            int epochs = warmHead ? settings.warmEpochs() : settings.forec().epochs();
            new NcfTrainer(o.withEpochs(epochs).withBatchSize(settings.forec().batchSize()), null).train(forec, target);
            MarketSplit g = s.withUsers(guardSample(s)::contains);
            CrossMarketDataset evalSet = CrossMarketDataset.withVocabularies(List.of(g), forec.users(), forec.items());
            RankSummary v = validate(forec, evalSet, negatives(evalSet));
            ModelCodec.Meta meta = new ModelCodec.Meta(version, version, job.offsets, job.watermark, v.ndcg(), v.hitRate());
            int bytes = publisher.publish(Topics.FORKS, ModelCodec.toRecord(s.market(), forec, meta));
            if (sourceHeads) {
                forked.put(s.market(), forec);
            }
            log.accept(String.format("updater: fork of %s on trunk v%d (head %s, %d epochs): valid nDCG@10 %.4f, %,d bytes "
                    + "in %.1fs", s.market(), version, head, epochs, v.ndcg(), bytes, (System.nanoTime() - f0) / 1e9));
        }
    }

    /**
     * The order forks are trained in: markets with a head of their own first, then the others by
     * size, largest first, so that a market without a head finds the heads of those forked before
     * it to start from.
     */
    static List<MarketSplit> forkOrder(List<MarketSplit> splits, Map<String, NcfModel> previous) {
        List<MarketSplit> out = new ArrayList<>(splits);
        out.sort(java.util.Comparator.comparing((MarketSplit s) -> {
            NcfModel m = previous.get(s.market());
            return m == null || m.architecture() != NcfArchitecture.FOREC;
        }).thenComparing(s -> -s.users().stream().mapToLong(u -> u.train().size()).sum()).thenComparing(MarketSplit::market));
        return out;
    }

    /**
     * Fine-tunes one market's model on a micro-batch (worker thread): folds in new users, trains
     * the head on the touched users' windows, publishes unless the rollback guard refuses.
     */
    private void fineTune(MarketModel mm, List<TrainingInteraction> batch, Map<String, Long> at, Long wm) {
        long t0 = System.nanoTime();
        String market = mm.market;
        NcfModel model = mm.model;
        Predicate<String> knownItem = i -> model.items().indexOf(i) >= 0;
        Set<String> users = new HashSet<>();
        for (TrainingInteraction t : batch) {
            if (knownItem.test(t.getItem())) {
                users.add(t.getUser());
            } else {
                mm.waiting.incrementAndGet();
            }
        }
        MarketWindow w = windows.get(market);
        MarketSplit touched;
        MarketSplit guard;
        List<String> poolIds;
        synchronized (w) {
            if (mm.guardUsers.isEmpty()) { // restored from the topic: choose the guard's users once
                mm.guardUsers = guardSample(w.split(settings.minInteractions(), null, knownItem)
                        .withUsers(u -> model.users().indexOf(CrossMarketDataset.userKey(market, u)) >= 0));
            }
            touched = w.trainable(settings.minInteractions(), users, knownItem);
            guard = w.split(settings.minInteractions(), mm.guardUsers, knownItem);
            poolIds = new ArrayList<>(w.items());
        }
        if (touched.users().isEmpty()) { // nobody trainable yet (no validation item, too short a history): they stay in the window
            log.accept(String.format("updater: %s micro-batch of %d interactions (%d users): nobody trainable yet",
                    market, batch.size(), users.size()));
            return;
        }
        int[] pool = poolIds.stream().mapToInt(model.items()::indexOf).filter(i -> i >= 0).sorted().toArray();
        // new users get embeddings first (the trunk's user tables are frozen in FOREC)
        Map<String, UserFoldIn.Vectors> fresh = new TreeMap<>();
        NcfModel base = model;
        for (UserSplit u : touched.users()) {
            if (model.users().indexOf(CrossMarketDataset.userKey(market, u.user())) < 0) {
                fresh.put(u.user(), null);
            }
        }
        long f0 = System.nanoTime();
        if (!fresh.isEmpty()) {
            ModelRecord rec = ModelCodec.toRecord(market, model, new ModelCodec.Meta(0, 0, Map.of(), null, null, null));
            UserFoldIn fold = new UserFoldIn(ModelCodec.served(rec), settings.foldIn());
            for (UserSplit u : touched.users()) {
                if (fresh.containsKey(u.user())) {
                    int[] pos = u.train().stream().mapToInt(i -> model.items().indexOf(i.item())).toArray();
                    fresh.put(u.user(), fold.fit(pos, pool, u.user()));
                }
            }
            base = ModelCodec.toModel(ModelCodec.withUsers(rec, fresh), settings.ncf(), settings.forec());
            foldedIn.addAndGet(fresh.size());
        }
        double foldSecs = (System.nanoTime() - f0) / 1e9;
        CrossMarketDataset trainSet = CrossMarketDataset.withVocabularies(List.of(touched), base.users(), base.items())
                .withItemPool(market, pool);
        CrossMarketDataset evalOld = CrossMarketDataset.withVocabularies(List.of(guard), model.users(), model.items());
        CrossMarketDataset evalNew = CrossMarketDataset.withVocabularies(List.of(guard), base.users(), base.items());
        EvaluationNegatives negs = negatives(evalOld); // old and new model rank against the same negatives
        RankSummary before = validate(model, evalOld, negs);
        NcfModel next = base == model ? copy(model) : base;
        NcfOptions o = settings.ncf().withEpochs(settings.continualEpochs())
                .withBatchSize(settings.forec().batchSize()).withSeed(settings.seed() + mm.version);
        new NcfTrainer(o, null).train(next, trainSet);
        RankSummary after = validate(next, evalNew, negs);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (after.ndcg() < before.ndcg() - settings.rollbackMargin()) {
            refused.incrementAndGet();
            log.accept(String.format("updater: %s update refused: validation nDCG@10 %.4f vs %.4f of v%d (margin %.3f)",
                    market, after.ndcg(), before.ndcg(), mm.version, settings.rollbackMargin()));
            report(market, "refused", mm.version, mm.trunkVersion, batch.size(), fresh.size(), after.ndcg(),
                    before.ndcg(), secs);
            return;
        }
        mm.model = next;
        publish(mm, after, at, wm, String.format("%d interactions, %d users, %d folded in (%.2fs), %.2fs in all",
                batch.size(), touched.users().size(), fresh.size(), foldSecs, (System.nanoTime() - t0) / 1e9));
        report(market, "published", mm.version, mm.trunkVersion, batch.size(), fresh.size(), after.ndcg(),
                before.ndcg(), (System.nanoTime() - t0) / 1e9);
    }

    /** Single-market NMF per market on the trunk's snapshot, published as reference records (trunk thread). */
    private void trainReferences(long version, List<MarketSplit> splits) {
        for (MarketSplit s : splits) {
            long t0 = System.nanoTime();
            CrossMarketDataset ds = CrossMarketDataset.of(List.of(s));
            NcfOptions o = settings.ncf().withSeed(settings.seed() + version);
            NcfModel prev = referenceModels.get(s.market());
            NcfModel nmf;
            if (prev == null) {
                NcfModel gmf = new NcfTrainer(o, null).trainGmf(ds).model();
                NcfModel mlp = new NcfTrainer(o, null).trainMlp(ds, gmf).model();
                nmf = new NcfTrainer(o, null).trainNmf(ds, gmf, mlp).model();
            } else {
                nmf = NcfModel.fresh(NcfArchitecture.NMF, ds.users(), ds.items(), o, List.of(s.market()));
                ParameterTransfer.warmStart(nmf, prev, true);
                new NcfTrainer(o.withEpochs(settings.warmEpochs()), null).train(nmf, ds);
            }
            referenceModels.put(s.market(), nmf);
            MarketSplit g = s.withUsers(guardSample(s)::contains);
            CrossMarketDataset evalSet = CrossMarketDataset.withVocabularies(List.of(g), nmf.users(), nmf.items());
            RankSummary v = validate(nmf, evalSet, negatives(evalSet));
            ModelCodec.Meta meta = new ModelCodec.Meta(version, version, Map.of(), null, v.ndcg(), v.hitRate());
            ModelRecord r = ModelCodec.toRecord(s.market(), nmf, meta);
            r.setReference(true);
            publisher.publish(r);
            references.incrementAndGet();
            double secs = (System.nanoTime() - t0) / 1e9;
            report(s.market(), "reference", version, version, 0, 0, v.ndcg(), null, secs);
            log.accept(String.format("updater: reference NMF of %s for trunk v%d: valid nDCG@10 %.4f in %.1fs",
                    s.market(), version, v.ndcg(), secs));
        }
    }

    /** The users the rollback guard compares old and new model on: all, or a fixed seeded sample of {@link #GUARD_USERS}. */
    private Set<String> guardSample(MarketSplit s) {
        return Set.copyOf(SeededOrder.first(s.users().stream().map(UserSplit::user).toList(), GUARD_USERS,
                settings.seed()));
    }

    private static NcfModel copy(NcfModel m) {
        return m.copy();
    }

    private EvaluationNegatives negatives(CrossMarketDataset ds) {
        return EvaluationNegatives.empty().sample(ds.target(), ds.items(), settings.evalNegatives(), settings.seed());
    }

    private RankSummary validate(NcfModel model, CrossMarketDataset ds, EvaluationNegatives negs) {
        return OfflineEvaluator.evaluate(model, ds.target(), ds.items(), negs, false).summary(Split.VALIDATION, false, 10);
    }

    private void publish(MarketModel mm, RankSummary valid, Map<String, Long> through, Long wm, String what) {
        long version = mm.version + 1;
        ModelCodec.Meta meta = new ModelCodec.Meta(version, mm.trunkVersion, new LinkedHashMap<>(through), wm,
                valid.ndcg(), valid.hitRate());
        int bytes = publisher.publish(ModelCodec.toRecord(mm.market, mm.model, meta));
        mm.version = version;
        mm.trainedThrough = new TreeMap<>(through);
        published.incrementAndGet();
        log.accept(String.format("updater: published %s v%d (trunk v%d, %s; %s): valid nDCG@10 %.4f HR@10 %.4f, %,d bytes",
                mm.market, version, mm.trunkVersion, mm.model.architecture().label(), what, valid.ndcg(), valid.hitRate(),
                bytes));
    }

    private void report(String market, String kind, long version, long trunk, int batch, int newUsers, Double valid,
                        Double previous, double seconds) {
        publisher.report(UpdateEvent.newBuilder().setMarket(market).setKind(kind).setVersion(version)
                .setTrunkVersion(trunk).setInteractions(batch).setNewUsers(newUsers).setValidNdcg10(valid)
                .setPreviousNdcg10(previous).setSeconds(seconds).setTime(Instant.now()).build());
    }

    /**
     * Whether everything read has been dealt with: this updater has its markets from the group and
     * has taken them over, the input is read to its end, no trunk or fine-tuning runs here, no
     * owned market has a fork to install or interactions waiting for a micro-batch.
     */
    public boolean caughtUp() {
        return inputAtEnd && !suspended && plan != null && trunkJob == null && awaitedForks.isEmpty() && running.get() == 0
                && models.values().stream().allMatch(m -> !owns(m.market) || m.acquired && m.pending.isEmpty() && !m.busy
                && (m.fork == null || m.fork.getTrunkVersion() <= m.trunkVersion));
    }

    public Stats stats() {
        Map<String, Long> v = new TreeMap<>();
        Map<String, Long> w = new TreeMap<>();
        models.forEach((k, m) -> {
            if (m.acquired && m.model != null) {
                v.put(k, m.version);
                w.put(k, m.waiting.get());
            }
        });
        return new Stats(interactions, published.get(), refused.get(), trunkVersion, v, w, restored, foldedIn.get(),
                references.get(), owned(), trunkOwner);
    }

    @Override
    public void close() {
        closing = true;
        workers.shutdownNow();
        trunkThread.shutdownNow();
        try {
            workers.awaitTermination(60, TimeUnit.SECONDS);
            trunkThread.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.close(); // leaves the group: the other updaters take this one's markets over now
        consumer.close();
        publisher.close();
    }
}
