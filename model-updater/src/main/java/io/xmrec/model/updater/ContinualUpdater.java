package io.xmrec.model.updater;

import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.model.MarketModels;
import io.xmrec.model.NcfModel;
import io.xmrec.model.recipe.Recipes;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.UpdateEvent;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.serving.ModelClient;
import io.xmrec.serving.ModelRecords;
import io.xmrec.serving.ServedModel;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The continual model-updater: reads {@code xmrec.train}, {@code xmrec.holdouts} and
 * {@code xmrec.forks} and keeps every market's model following the stream on three paths:
 * <ul>
 *   <li><b>fast</b> (per market, interactions coalesced over {@code fastDelay}): the touched users'
 *       rows re-fitted from their current rows, new users and items folded in, published as a small
 *       delta ({@link MarketUpdater#refreshRows});</li>
 *   <li><b>medium</b> (per market, every {@code headInterval} once enough is new): the market's head
 *       fine-tuned on a sample over all its users, guarded against the current version on every
 *       eligible user's holdout ({@link MarketUpdater#tuneHead});</li>
 *   <li><b>slow</b> (its own thread, on the updater that owns the trunk): the served recipe trained
 *       from scratch on a snapshot of every market, the same recipe and epochs as offline
 *       ({@link TrunkTrainer}), whenever the data grew by {@code retrainGrowth} or the input is
 *       caught up; its forks go out on {@code xmrec.forks} and each market's owner installs its own
 *       and then re-fits, on the fast path, every user whose data came after the trunk's snapshot.</li>
 * </ul>
 * Several updaters in one consumer group share the markets ({@link MarketAssignor}); each market
 * publishes through a transactional channel that fences its previous owner ({@link Publisher}). A
 * market taken over (or after a restart) continues from its newest published version, read back
 * through {@link ModelClient}. A record that cannot be decoded is counted, logged with its offset
 * and skipped.
 */
public final class ContinualUpdater implements AutoCloseable {

    /** The consumer group the updaters share markets in, and how long a silent member keeps its markets. */
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

    /** What has come in for an owned market since its last fast-path job. */
    private static final class Pending {
        final Set<String> users = new TreeSet<>();
        final List<String> sold = new ArrayList<>();
        final Map<String, Integer> popularity = new HashMap<>();
        final List<Long> promoted = new ArrayList<>();
        long oldestNanos;

        boolean isEmpty() {
            return users.isEmpty() && sold.isEmpty();
        }

        void clear() {
            users.clear();
            sold.clear();
            popularity.clear();
            promoted.clear();
        }
    }

    private final UpdaterSettings settings;
    private final Consumer<String> log;
    private final String provenance;
    private final AvroSerde serde;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaConsumer<byte[], byte[]> group;
    private final ModelClient published;
    private final Publisher publisher;
    private final TrunkTrainer trunkTrainer;
    private final ExecutorService workers;
    private final ExecutorService trunkThread;
    private final Map<String, MarketInput> inputs = new ConcurrentSkipListMap<>();
    private final Map<String, MarketUpdater> markets = new ConcurrentSkipListMap<>();
    private final Map<String, Pending> pending = new HashMap<>();
    private final Map<String, ServedModel> forks = new ConcurrentSkipListMap<>();
    /** Forks published in several records, put back together (poll thread). */
    private final io.xmrec.serving.ModelParts.Assembler forkParts = new io.xmrec.serving.ModelParts.Assembler();
    private final Map<String, Long> offsets = new TreeMap<>();
    private final Map<TopicPartition, Long> startEnd;
    private final AtomicInteger running = new AtomicInteger();
    // counters
    private final AtomicLong badRecords = new AtomicLong();
    private final AtomicLong snapshots = new AtomicLong();
    private final AtomicLong rowDeltas = new AtomicLong();
    private final AtomicLong headDeltas = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong trunks = new AtomicLong();
    /** Per market, when its first training interaction was read (wall clock): the start of its wait for a model. */
    private final Map<String, Long> firstReadMillis = new TreeMap<>();
    private final AtomicLong references = new AtomicLong();
    private final AtomicLong foldedUsers = new AtomicLong();
    private final AtomicLong foldedItems = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private volatile double trunkSeconds;
    private volatile long trainedTrunkInteractions;
    /** Promotion to a published model trained on it, and promotion to being read here (the holdout job's commit). */
    private final LatencyWindow freshness = new LatencyWindow(10_000);
    private final LatencyWindow visibility = new LatencyWindow(10_000);

    private volatile long interactions;
    /** Per owned market, users with training interactions its model has no rows for; counted on the poll thread. */
    private volatile Map<String, Integer> usersWithoutRows = Map.of();
    private long usersWithoutRowsAt;
    /** Per market, the event time of the newest training interaction read: what a model of it has seen. */
    private final Map<String, Long> watermarks = new TreeMap<>();
    private boolean replayed;
    private boolean caughtUp;
    private long idleSinceNanos = -1;
    private long lastEndCheck;
    private volatile long trunkVersion;
    private long trunkSnapshotInteractions;
    /** The input a trunk read on the fork topic was trained through, until this updater has read as far. */
    private Map<String, Long> adoptedTrunkThrough;
    private long lastTrunkNanos = System.nanoTime();
    private volatile Future<?> trunkJob;
    /** The markets of the last trunk this updater started (their forks may not have been read back yet). */
    private Set<String> lastTrunkMarkets = Set.of();
    private long trunkJobVersion;
    private volatile boolean closing;
    /** The thread in {@link #runUntil}, which owns the consumers while it runs. */
    private volatile Thread loop;
    // group membership
    private volatile MarketAssignor.Plan plan;
    private volatile String memberId;
    private volatile boolean suspended = true;
    private MarketAssignor.Plan rebalancedFor;
    private volatile boolean trunkOwner;

    public ContinualUpdater(String bootstrap, Map<String, Object> clientProps, AvroSerde serde, int maxModelBytes,
                            UpdaterSettings settings, Group groupSettings, String codeVersion, Consumer<String> log) {
        this.settings = settings;
        this.log = log;
        this.serde = serde;
        Recipes.get(settings.trunkMethod()); // an unknown method is refused here, with the known ones
        this.provenance = MarketUpdater.provenance(settings, codeVersion);
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
        this.published = new ModelClient(bootstrap, clientProps, serde);
        this.publisher = new Publisher(bootstrap, clientProps, serde, maxModelBytes);
        this.trunkTrainer = new TrunkTrainer(settings, log);
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
                return new MarketAssignor.Claim(new TreeSet<>(markets.keySet()), new TreeSet<>(inputs.keySet()), trunkOwner);
            }

            @Override
            public void assigned(MarketAssignor.Plan p, String member, int generation) {
                plan = p;
                memberId = member;
                log.accept(String.format("updater: group generation %d: this updater (%s) owns %s%s", generation, member,
                        p.markets().getOrDefault(member, new TreeSet<>()),
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

    private boolean owns(String market) {
        MarketAssignor.Plan p = plan;
        return p != null && memberId != null && memberId.equals(p.owner(market));
    }

    /** A rebalance begins: nothing new starts and the jobs in flight finish (and publish) first. */
    private void release(boolean lost) {
        suspended = true;
        long until = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (running.get() > 0 && System.nanoTime() < until && !closing) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (lost) {
            log.accept("updater: dropped from the group (no heartbeat within the session timeout): markets given up");
            plan = null;
            dropUnowned();
            cancelTrunk("this updater left the group");
        }
    }

    private void reconcile() {
        boolean was = trunkOwner;
        trunkOwner = plan != null && memberId != null && memberId.equals(plan.trunkOwner());
        if (was && !trunkOwner) {
            cancelTrunk("the trunk now belongs to another updater");
        }
        dropUnowned();
        suspended = false;
    }

    private void dropUnowned() {
        for (MarketUpdater mu : new ArrayList<>(markets.values())) {
            if (!owns(mu.market)) {
                drop(mu, "handed over" + (mu.version > 0 ? " at v" + mu.version : ""));
            }
        }
    }

    private void drop(MarketUpdater mu, String why) {
        markets.remove(mu.market);
        pending.remove(mu.market);
        mu.channel().close();
        log.accept("updater: " + mu.market + " " + why);
    }

    private void cancelTrunk(String why) {
        Future<?> job = trunkJob;
        if (job != null && !job.isDone()) {
            job.cancel(true);
            log.accept("updater: trunk v" + trunkJobVersion + " stopped: " + why);
        }
        trunkJob = null;
    }

    /** Runs until {@code stop} says so (checked between polls) or {@link #close} is called from another thread. */
    public void runUntil(BooleanSupplier stop) {
        loop = Thread.currentThread();
        try {
            while (!stop.getAsBoolean() && !closing) {
                step(Duration.ofMillis(50));
            }
            if (!closing) {
                cancelTrunk("the updater is stopping"); // a stop cancels training at once; close() does the rest
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            // close() woke the poll up
        } finally {
            loop = null;
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** One poll of the group and the input, then whatever became due. */
    public void step(Duration poll) {
        group.poll(Duration.ZERO);
        var batch = consumer.poll(poll);
        long now = System.nanoTime();
        for (ConsumerRecord<String, byte[]> r : batch) {
            if (r.value() != null) {
                try {
                    accept(r, now);
                } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
                    badRecords.incrementAndGet();
                    log.accept(String.format("updater: skipping the record at %s-%d@%d (%d bytes): %s", r.topic(),
                            r.partition(), r.offset(), r.value().length, e));
                }
            }
            if (!r.topic().equals(Topics.FORKS)) {
                offsets.put(r.topic() + "-" + r.partition(), r.offset() + 1);
            }
        }
        adoptTrunkSize();
        checkCaughtUp(batch.isEmpty(), now);
        if (suspended || closing) {
            return;
        }
        MarketAssignor.Plan p = plan;
        if (p != null && p != rebalancedFor && inputs.keySet().stream().anyMatch(m -> !p.lists(m))) {
            rebalancedFor = p; // a market the plan does not list goes by hash for now; a rebalance balances it in
            group.enforceRebalance("a market new to the group's plan");
        }
        for (String m : inputs.keySet()) {
            if (owns(m) && !markets.containsKey(m)) {
                acquire(m);
            }
        }
        if (trunkOwner && replayed && (trunkJob == null || trunkJob.isDone()) && trunkDue(now)) {
            startTrunk(now);
        }
        for (MarketUpdater mu : markets.values()) {
            if (!mu.busy) {
                schedule(mu, now);
            }
        }
        if (now - usersWithoutRowsAt > 1_000_000_000L) {
            usersWithoutRowsAt = now;
            countUsersWithoutRows();
        }
    }

    /** On the poll thread, which owns the inputs: the users each owned market's model does not know yet. */
    private void countUsersWithoutRows() {
        Map<String, Integer> without = new TreeMap<>();
        for (MarketUpdater mu : markets.values()) {
            NcfModel m = mu.model;
            MarketInput in = inputs.get(mu.market);
            if (in != null) {
                int missing = 0;
                for (Map.Entry<String, MarketInput.User> e : in.users.entrySet()) {
                    if (!e.getValue().train.isEmpty() && (m == null || m.users().indexOf(
                            io.xmrec.core.dataset.CrossMarketDataset.userKey(mu.market, e.getKey())) < 0)) {
                        missing++;
                    }
                }
                without.put(mu.market, missing);
            }
        }
        usersWithoutRows = without;
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
            java.util.Optional<ModelRecord> whole = forkParts.accept(r.key(), serde.deserialize(r.value(), ModelRecord.class));
            if (whole.isEmpty()) {
                return; // a part: its version is complete once its head comes
            }
            ServedModel f = ModelRecords.served(whole.get());
            forks.merge(f.market(), f, (a, b) -> b.trunkVersion() > a.trunkVersion() ? b : a);
            if (f.trunkVersion() > trunkVersion) {
                trunkVersion = f.trunkVersion();
                lastTrunkNanos = now;
                if (f.trunkVersion() > trunkJobVersion) { // not the trunk this updater trained and sized itself
                    adoptedTrunkThrough = f.meta().trainedThrough();
                }
            }
            return;
        }
        if (r.topic().equals(Topics.HOLDOUTS)) {
            HoldoutState h = serde.deserialize(r.value(), HoldoutState.class);
            MarketInput in = input(h.getMarket());
            List<String> sold = in.holdout(h.getUser(), h.getValidItem(), h.getValidTime() == null ? 0
                    : h.getValidTime().toEpochMilli(), h.getTestItem(), h.getTestTime().toEpochMilli(), (int) h.getVersion());
            Pending p = pending.get(h.getMarket());
            if (p != null && !sold.isEmpty()) {
                if (p.isEmpty()) {
                    p.oldestNanos = now;
                }
                p.sold.addAll(sold);
            }
            return;
        }
        TrainingInteraction t = serde.deserialize(r.value(), TrainingInteraction.class);
        MarketInput in = input(t.getMarket());
        String tp = r.topic() + "-" + r.partition();
        boolean newItem = in.train(new MarketInput.Entry(t.getUser(), t.getItem(), t.getRating(),
                t.getEventTime().toEpochMilli(), t.getArrival(), tp, r.offset()));
        interactions++;
        long ms = t.getEventTime().toEpochMilli();
        watermarks.merge(t.getMarket(), ms, Math::max);
        firstReadMillis.putIfAbsent(t.getMarket(), System.currentTimeMillis());
        Pending p = pending.get(t.getMarket());
        if (p != null) {
            if (p.isEmpty()) {
                p.oldestNanos = now;
            }
            p.users.add(t.getUser());
            p.popularity.merge(t.getItem(), 1, Integer::sum);
            p.promoted.add(r.timestamp());
            visibility.add(System.currentTimeMillis() - r.timestamp());
            if (newItem) {
                p.sold.add(t.getItem());
            }
        }
    }

    private MarketInput input(String market) {
        return inputs.computeIfAbsent(market, MarketInput::new);
    }

    /**
     * Takes a market on: fences its previous owner, continues from its newest published version
     * (if any), and makes pending every user whose data came after what that version trained on.
     */
    private void acquire(String market) {
        Publisher.Channel channel;
        try {
            channel = publisher.open(market);
            if (!published.sync(Duration.ofSeconds(30))) {
                channel.close();
                log.accept("updater: " + market + ": the published models could not be read to their end; trying again");
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            log.accept("updater: cannot take " + market + " on yet: " + e.getMessage());
            return;
        }
        MarketUpdater mu = new MarketUpdater(market, settings, channel, provenance, log);
        Pending p = new Pending();
        ServedModel last = published.model(market);
        MarketInput in = input(market);
        if (last != null) {
            mu.takeOver(last);
            trunkVersion = Math.max(trunkVersion, last.trunkVersion());
            log.accept(String.format("updater: took %s over at v%d (trunk v%d)", market, last.version(), last.trunkVersion()));
            since(in, u -> last.users().indexOf(u) >= 0, last.meta().trainedThrough(), p);
        }
        p.oldestNanos = System.nanoTime();
        pending.put(market, p);
        markets.put(market, mu);
    }

    /** Makes pending what a model has not trained on: users with data after {@code through}, and users it lacks. */
    private static void since(MarketInput in, java.util.function.Predicate<String> knows, Map<String, Long> through,
                              Pending p) {
        for (Map.Entry<String, MarketInput.User> e : in.users.entrySet()) {
            boolean known = knows.test(e.getKey());
            for (MarketInput.Entry t : e.getValue().train) {
                if (t.offset() >= through.getOrDefault(t.partition(), 0L)) {
                    p.users.add(e.getKey());
                    p.popularity.merge(t.item(), 1, Integer::sum);
                } else if (!known) {
                    p.users.add(e.getKey());
                }
            }
        }
        p.sold.addAll(in.catalogue);
    }

    /**
     * A trunk trained elsewhere (by an updater that was killed or gave the trunk up) counts as this
     * updater's own: its size is the number of interactions read once this updater has read the
     * input as far as that trunk was trained, so the next trunk is due on growth from there rather
     * than at once.
     */
    private void adoptTrunkSize() {
        Map<String, Long> through = adoptedTrunkThrough;
        if (through != null && through.entrySet().stream().allMatch(e -> offsets.getOrDefault(e.getKey(), 0L) >= e.getValue())) {
            trunkSnapshotInteractions = Math.max(trunkSnapshotInteractions, interactions);
            adoptedTrunkThrough = null;
        }
    }

    private boolean trunkDue(long now) {
        if (adoptedTrunkThrough != null) {
            return false; // the newest trunk was trained on input this updater has not read yet
        }
        long eligible = 0;
        boolean missing = false; // a market with trainable users and no fork, nor one being trained
        for (Map.Entry<String, MarketInput> e : inputs.entrySet()) {
            long n = e.getValue().eligibleInteractions(settings.minInteractions());
            eligible += n;
            missing |= n > 0 && !forks.containsKey(e.getKey()) && !lastTrunkMarkets.contains(e.getKey());
        }
        if (eligible == 0) {
            return false;
        }
        boolean idle = caughtUp && idleSinceNanos >= 0 && now - idleSinceNanos >= settings.retrainIdle().toNanos();
        if (trunkVersion == 0 && trunkSnapshotInteractions == 0) {
            return eligible >= settings.bootstrapInteractions() || idle;
        }
        boolean grown = interactions >= (1 + settings.retrainGrowth()) * trunkSnapshotInteractions;
        boolean anything = interactions > trunkSnapshotInteractions;
        boolean interval = !settings.retrainInterval().isZero() && now - lastTrunkNanos >= settings.retrainInterval().toNanos();
        // a missing market's interactions may all have been read before the last trunk started (its holdouts
        // came later), so "anything new" alone would never bring it in
        return grown || ((anything || missing) && (idle || interval));
    }

    private void startTrunk(long now) {
        long version = trunkVersion + 1;
        List<MarketSplit> splits = new ArrayList<>();
        for (MarketInput in : inputs.values()) {
            MarketSplit s = in.split(settings.minInteractions());
            if (!s.users().isEmpty()) {
                splits.add(s);
            }
        }
        if (splits.isEmpty()) {
            return;
        }
        Map<String, Long> at = new TreeMap<>(offsets);
        Map<String, Long> wm = new TreeMap<>(watermarks);
        lastTrunkMarkets = splits.stream().map(MarketSplit::market).collect(java.util.stream.Collectors.toSet());
        boolean bootstrap = trunkVersion == 0;
        trunkSnapshotInteractions = interactions;
        long snapshotInteractions = interactions;
        lastTrunkNanos = now;
        trunkJobVersion = version;
        trunkJob = trunkThread.submit(() -> {
            try {
                trunkTrainer.train(version, splits, at, bootstrap, new TrunkTrainer.Output() {
                    @Override
                    public void forks(TrunkTrainer.Trunk t) {
                        trunkSeconds += t.seconds();
                        trainedTrunkInteractions = snapshotInteractions;
                        trunks.incrementAndGet();
                        for (Map.Entry<String, NcfModel> e : t.models().entrySet()) {
                            ServedModel.Meta meta = new ServedModel.Meta(e.getKey(), version, version, false, at,
                                    wm.get(e.getKey()), null, null, System.currentTimeMillis(),
                                    MarketUpdater.withChoice(provenance, t.choices().get(e.getKey())), Map.of());
                            publisher.fork(ModelRecords.record(MarketModels.served(e.getKey(), e.getValue(), meta,
                                    new int[0], new int[0]), io.xmrec.model.NcfArchitecture.of(e.getValue().net().shape()).label()));
                        }
                        report("*", "trunk", version, version, 0, 0, null, null, t.seconds());
                    }

                    @Override
                    public void reference(String market, NcfModel model, double seconds) {
                        trunkSeconds += seconds;
                        ServedModel.Meta meta = new ServedModel.Meta(market, version, version, true, at, wm.get(market),
                                null, null, System.currentTimeMillis(), "{\"recipe\":\"nmf\",\"reference\":true}", Map.of());
                        publisher.reference(ModelRecords.record(MarketModels.served(market, model, meta,
                                catalogueRows(market, model), new int[0]), "nmf"));
                        references.incrementAndGet();
                    }
                });
            } catch (CancellationException e) {
                // cancelled: cancelTrunk said so
            } catch (RuntimeException | Error e) {
                if (closing || Thread.currentThread().isInterrupted()) {
                    return; // cancelled while in a library call: cancelTrunk said so
                } else {
                    log.accept("updater: trunk v" + version + " failed, the current models stay: " + e);
                }
            }
        });
    }

    /** The rows of the items a market sells in a model's vocabulary (the reference's catalogue). */
    private int[] catalogueRows(String market, NcfModel m) {
        MarketInput in = inputs.get(market);
        if (in == null) {
            return new int[0];
        }
        return in.catalogue.stream().mapToInt(i -> m.items().indexOf(i)).filter(i -> i >= 0).sorted().toArray();
    }

    private void schedule(MarketUpdater mu, long now) {
        MarketInput in = inputs.get(mu.market);
        Pending p = pending.get(mu.market);
        ServedModel fork = forks.get(mu.market);
        if (fork != null && fork.trunkVersion() > mu.trunkVersion) {
            Map<String, Integer> popularity = new HashMap<>(in.trainCounts);
            List<String> sold = new ArrayList<>(in.catalogue);
            var holdouts = in.holdouts(settings.minInteractions());
            String[] pool = in.pool();
            Pending after = new Pending();
            run(mu, "install", () -> {
                MarketUpdater.Done d = mu.install(fork, fork.trunkVersion(), fork.meta().trainedThrough(),
                        fork.meta().watermarkMillis(), popularity, sold, holdouts, pool);
                snapshots.incrementAndGet();
                bytes.addAndGet(d.bytes());
                report(mu.market, "snapshot", d.version(), mu.trunkVersion, 0, 0, d.validNdcg(), null, d.seconds());
            });
            // everything not in the fork's data is re-fitted next: users after its snapshot and users it lacks
            p.clear();
            since(in, u -> fork.users().indexOf(u) >= 0, fork.meta().trainedThrough(), after);
            p.users.addAll(after.users); // the install counted the popularity of everything read so far
            p.oldestNanos = now;
            return;
        }
        if (mu.model == null) {
            firstModel(mu, in, p, now); // no trunk has a model for this market yet
            return;
        }
        if (!p.isEmpty() && now - p.oldestNanos >= settings.fastDelay().toNanos()) {
            Map<String, List<String>> users = new LinkedHashMap<>();
            for (String u : p.users) {
                List<String> items = in.items(u);
                if (!items.isEmpty()) {
                    users.put(u, items);
                }
            }
            Map<String, List<String>> newItems = new LinkedHashMap<>();
            for (List<String> items : users.values()) {
                for (String i : items) {
                    if (mu.model.items().indexOf(i) < 0 && !newItems.containsKey(i)) {
                        newItems.put(i, new ArrayList<>(in.buyers.getOrDefault(i, List.of())));
                    }
                }
            }
            long[] promoted = p.promoted.stream().mapToLong(Long::longValue).toArray();
            MarketUpdater.RowJob job = new MarketUpdater.RowJob(users, newItems, new ArrayList<>(p.sold),
                    new HashMap<>(p.popularity), new TreeMap<>(offsets), watermarks.get(mu.market), promoted);
            int known = (int) users.keySet().stream().filter(u -> mu.model.users()
                    .indexOf(io.xmrec.core.dataset.CrossMarketDataset.userKey(mu.market, u)) >= 0).count();
            p.clear();
            run(mu, "rows", () -> {
                MarketUpdater.Done d = mu.refreshRows(job);
                if (d.refused()) {
                    return; // nothing changed: nothing published
                }
                rowDeltas.incrementAndGet();
                bytes.addAndGet(d.bytes());
                foldedUsers.addAndGet(d.users() - known);
                foldedItems.addAndGet(d.items());
                long done = System.currentTimeMillis();
                for (long t : job.promotedMillis()) {
                    freshness.add(done - t);
                }
                report(mu.market, "rows", d.version(), mu.trunkVersion, job.promotedMillis().length, d.users() - known,
                        null, null, d.seconds());
            });
            return;
        }
        if (mu.headDue(now)) {
            Map<String, List<String>> sample = sample(in, mu.version);
            var holdouts = in.holdouts(settings.minInteractions());
            String[] pool = in.pool();
            Map<String, Long> through = new TreeMap<>(offsets);
            Long wm = watermarks.get(mu.market);
            run(mu, "head", () -> {
                MarketUpdater.Done d = mu.tuneHead(new MarketUpdater.HeadJob(sample, holdouts, pool, through, wm));
                if (d.refused()) {
                    if (d.validNdcg() != null) {
                        refused.incrementAndGet();
                        report(mu.market, "refused", mu.version, mu.trunkVersion, 0, 0, d.validNdcg(), d.previousNdcg(),
                                d.seconds());
                    }
                } else {
                    headDeltas.incrementAndGet();
                    bytes.addAndGet(d.bytes());
                    report(mu.market, "head", d.version(), mu.trunkVersion, 0, 0, d.validNdcg(), d.previousNdcg(),
                            d.seconds());
                }
            });
            return;
        }
        if (mu.snapshotDue(now)) {
            run(mu, "snapshot", () -> {
                MarketUpdater.Done d = mu.snapshot();
                snapshots.incrementAndGet();
                bytes.addAndGet(d.bytes());
                report(mu.market, "snapshot", d.version(), mu.trunkVersion, 0, 0, d.validNdcg(), null, d.seconds());
            });
        }
    }

    /**
     * A market no trunk has a model for gets one of its own as soon as it has enough to train on
     * ({@link UpdaterSettings#firstModelInteractions()}): its single-market NMF, trained in seconds on a
     * worker and installed like a fork of trunk version 0, so the next trunk's fork replaces it. Users
     * it lacks and data that came after its snapshot go to the fast path, as after a trunk.
     */
    private void firstModel(MarketUpdater mu, MarketInput in, Pending p, long now) {
        if (settings.firstModelInteractions() == 0 || now - mu.firstModelCheckedNanos < 1_000_000_000L) {
            return; // counting costs the market's users: once a second is soon enough
        }
        mu.firstModelCheckedNanos = now;
        long eligible = in.eligibleInteractions(settings.minInteractions());
        if (eligible < settings.firstModelInteractions()
                || (mu.firstModelTriedAt > 0 && eligible < 2 * mu.firstModelTriedAt)) {
            return;
        }
        mu.firstModelTriedAt = eligible;
        MarketSplit split = in.split(settings.minInteractions());
        Map<String, Integer> popularity = new HashMap<>(in.trainCounts);
        List<String> sold = new ArrayList<>(in.catalogue);
        var holdouts = in.holdouts(settings.minInteractions());
        String[] pool = in.pool();
        Map<String, Long> at = new TreeMap<>(offsets);
        Long wm = watermarks.get(mu.market);
        Long firstRead = firstReadMillis.get(mu.market);
        Set<String> known = new java.util.HashSet<>();
        split.users().forEach(u -> known.add(u.user()));
        run(mu, "first model", () -> {
            long t0 = System.nanoTime();
            NcfModel m = trunkTrainer.firstModel(split);
            ServedModel.Meta meta = new ServedModel.Meta(mu.market, 0, 0, false, at, wm, null, null,
                    System.currentTimeMillis(), MarketUpdater.asFirstModel(provenance), Map.of());
            ServedModel first = MarketModels.served(mu.market, m, meta, new int[0], new int[0]);
            MarketUpdater.Done d = mu.install(first, 0, at, wm, popularity, sold, holdouts, pool);
            snapshots.incrementAndGet();
            bytes.addAndGet(d.bytes());
            double secs = (System.nanoTime() - t0) / 1e9;
            log.accept(String.format("updater: %s has a first model of its own (single-market NMF on %d users, %d "
                    + "training interactions) in %.1fs%s", mu.market, split.users().size(), eligible, secs,
                    firstRead == null ? "" : String.format(", %.1fs after its first training interaction was read",
                            (System.currentTimeMillis() - firstRead) / 1e3)));
            report(mu.market, "first", d.version(), 0, 0, 0, d.validNdcg(), null, secs);
        });
        Pending after = new Pending();
        p.clear();
        since(in, known::contains, at, after);
        p.users.addAll(after.users);
        p.oldestNanos = now;
    }

    /** Training interactions of a seeded sample of the market's users, up to the head sample's size. */
    private Map<String, List<String>> sample(MarketInput in, long seed) {
        List<String> users = new ArrayList<>(in.users.keySet());
        SplittableRandom rnd = new SplittableRandom(settings.seed() ^ seed);
        for (int i = users.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            String t = users.get(i);
            users.set(i, users.get(j));
            users.set(j, t);
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        int n = 0;
        for (String u : users) {
            if (n >= settings.headSample()) {
                break;
            }
            List<String> items = in.items(u);
            if (!items.isEmpty()) {
                out.put(u, items);
                n += items.size();
            }
        }
        return out;
    }

    private void run(MarketUpdater mu, String what, Runnable job) {
        mu.busy = true;
        running.incrementAndGet();
        workers.execute(() -> {
            try {
                job.run();
            } catch (Publisher.Fenced e) {
                log.accept("updater: " + mu.market + ": " + e.getMessage());
                markets.remove(mu.market, mu);
            } catch (CancellationException e) {
                log.accept("updater: " + what + " of " + mu.market + " stopped: the updater is closing");
            } catch (RuntimeException | Error e) {
                if (closing) {
                    log.accept("updater: " + what + " of " + mu.market + " stopped: the updater is closing");
                } else {
                    log.accept("updater: " + what + " of " + mu.market + " failed, v" + mu.version + " stays: " + e);
                }
            } finally {
                mu.busy = false;
                running.decrementAndGet();
            }
        });
    }


    private void report(String market, String kind, long version, long trunk, int interactionsIn, int newUsers,
                        Double valid, Double previous, double seconds) {
        try {
            publisher.report(UpdateEvent.newBuilder().setMarket(market).setKind(kind).setVersion(version)
                    .setTrunkVersion(trunk).setInteractions(interactionsIn).setNewUsers(Math.max(0, newUsers))
                    .setValidNdcg10(valid).setPreviousNdcg10(previous).setSeconds(seconds).setTime(Instant.now()).build());
        } catch (RuntimeException e) {
            log.accept("updater: report of " + market + " not sent: " + e.getMessage());
        }
    }

    /** The counters. */
    public UpdaterStats stats() {
        Map<String, Long> versions = new TreeMap<>();
        for (MarketUpdater mu : markets.values()) {
            versions.put(mu.market, mu.version);
        }
        Map<String, Integer> without = usersWithoutRows;
        double[] f = freshness.percentiles();
        double[] v = visibility.percentiles();
        return new UpdaterStats(interactions, badRecords.get(), snapshots.get(), rowDeltas.get(), headDeltas.get(),
                refused.get(), trunks.get(), trunkSeconds, trainedTrunkInteractions, trunkJob != null && !trunkJob.isDone(), references.get(), foldedUsers.get(), foldedItems.get(),
                bytes.get(), versions, new TreeSet<>(markets.keySet()), trunkOwner, caughtUp, f[0], f[1], v[0], v[1], without);
    }

    /** The newest trunk version known (trained here or read on the fork topic). */
    public long trunkVersion() {
        return trunkVersion;
    }

    /** Each owned market's newest published version. */
    public Map<String, Long> versions() {
        return stats().versions();
    }

    /** The followed published models (what this updater continues from). */
    public ModelClient published() {
        return published;
    }

    /** Stops everything within seconds: the trunk and the jobs are interrupted, not finished. */
    @Override
    public void close() {
        closing = true;
        Thread running = loop;
        if (running != null && running != Thread.currentThread()) {
            // the consumers belong to the polling thread: wake it, let it leave, then close them here
            consumer.wakeup();
            group.wakeup();
            synchronized (this) {
                long until = System.nanoTime() + 5_000_000_000L;
                while (loop != null && System.nanoTime() < until) {
                    try {
                        wait(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
        cancelTrunk("the updater is closing");
        trunkThread.shutdownNow();
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
            trunkThread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (MarketUpdater mu : markets.values()) {
            mu.channel().close();
        }
        markets.clear();
        published.close();
        publisher.close();
        group.close(Duration.ofSeconds(5));
        consumer.close(Duration.ofSeconds(5));
    }
}
