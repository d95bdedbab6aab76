package io.xmrec.app;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xmrec.app.embedded.EmbeddedSystem;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.UserSplit;
import io.xmrec.core.metrics.RankSummary;
import io.xmrec.ingest.ReplayPublisher;
import io.xmrec.model.updater.UpdaterSettings;
import io.xmrec.model.updater.UpdaterStats;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.ModelDelta;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.ReviewEvent;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.serving.HoldoutEvaluation;
import io.xmrec.serving.ServedModel;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The continual benchmark's driver (bench/continual.sh), kept out of the product's CLI: it lives with the
 * tests and runs from the app's jar and its test classes ({@link #main}). It replays markets into the
 * embedded system, follows
 * every model snapshot and delta, waits until the input is caught up and a trunk trained on all of it
 * is served, then scores the served models on the offline split and writes the per-user ranks
 * in the shape of {@code xmrec offline --out}, so {@code xmrec compare} pairs live with offline.
 */
@Command(name = "continual", mixinStandardHelpOptions = true,
        description = "Benchmark (bench/continual.sh): replays markets into the embedded system and measures "
                + "freshness (promotion and publish to the first served model that trained on an interaction), bytes "
                + "published per interaction, trunks, CPU per part, the time until every interaction is served, and the "
                + "served models' test nDCG@10 on the offline split; writes a JSON summary and per-market rank files.")
final class ContinualCommand implements java.util.concurrent.Callable<Integer> {

    /** {@code java -cp app/target/xmrec.jar:app/target/test-classes io.xmrec.app.ContinualCommand ...} */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ContinualCommand()).execute(args));
    }

    @CommandLine.Mixin
    DataOption data = new DataOption();

    @CommandLine.Mixin
    MarketsOption markets = new MarketsOption();

    @CommandLine.Mixin
    CheckpointOption checkpoint = new CheckpointOption();

    @Option(names = "--speed", paramLabel = "X|max", description = "Days of event time per second, or max (default: 10).")
    String speed = "10";

    @Option(names = "--settle-max", paramLabel = "SECONDS",
            description = "Longest wait after the replay for a trunk on all the data and a quiet stream (default: 900).")
    int settleMax = 900;

    @Option(names = "--quiet-seconds", paramLabel = "SECONDS",
            description = "Seconds without a new model version that end the run once the last trunk is served (default: 20).")
    int quietSeconds = 20;

    @Option(names = "--ranks-dir", paramLabel = "DIR", required = true,
            description = "Where to write MARKET.json: the served model's per-user ranks, as xmrec offline --out writes them.")
    Path ranksDir;

    @Option(names = "--seed", description = "Seed of the evaluation negatives (default: 42, as offline).")
    long seed = 42;

    @Option(names = "--prequential-out", paramLabel = "FILE",
            description = "Also write every new interaction ranked by the model served when it was read (PrequentialTap), gzipped JSON lines.")
    Path prequentialOut;

    @Option(names = "--paths", split = ",", paramLabel = "fast|medium|slow",
            description = "The updater's paths that run (default: all; an empty value: none, the first trunk frozen).")
    List<String> paths = new ArrayList<>(UpdaterSettings.PATHS);

    @Option(names = "--fast-delay-ms", paramLabel = "MS",
            description = "The fast path's coalescing window (default: the updater's, 200 ms).")
    Long fastDelayMs;

    @Option(names = "--bootstrap-epochs", description = "Epochs of every stage of the first trunk (default: the updater's; 0: as later trunks).")
    Integer bootstrapEpochs;

    @Option(names = "--refresh-from-scratch", description = "Own-model retrains from scratch (the updater's option of that name).")
    boolean refreshFromScratch;

    @CommandLine.Mixin
    SideModelsOption sideModels = new SideModelsOption();

    @CommandLine.Mixin
    TrainingBudgetOption budget = new TrainingBudgetOption();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Per market: latencies from review publish and from promotion to training, to the first model including it. */
    private static final class Lat {
        final List<Long> fromPublish = new ArrayList<>();
        final List<Long> fromPromotion = new ArrayList<>();
        final List<Long> steadyPromotion = new ArrayList<>();
        final List<Long> steadyPublish = new ArrayList<>();
        /** Steady interactions over the sub-second target's tail (2.4 s), by the 10-second window they were promoted in. */
        final TreeMap<Long, Integer> slowByWindow = new TreeMap<>();
        long firstModelAt = Long.MAX_VALUE;
        long covered;        // train offsets below this are measured
        long coveredAt;      // when the last of them was covered
        long snapshotBytes;
        long deltaBytes;
        int snapshots;
        int deltas;
    }

    /**
     * How far the evaluator is behind the models, sampled every 5 s from its {@code /api/metrics}: per market, how old
     * the version it measured last was when it measured it ({@code eval-lag-seconds}), and how many versions the
     * models have moved on since ({@code behind}: the served version minus the evaluated one).
     */
    private static final class EvaluatorLag {
        private final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        private final Map<String, List<Double>> lagSeconds = new TreeMap<>();
        private final Map<String, List<Double>> behind = new TreeMap<>();

        void sample(EmbeddedSystem sys) {
            com.fasterxml.jackson.databind.JsonNode markets;
            try {
                var response = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                                sys.httpUrl() + "/api/metrics")).timeout(Duration.ofSeconds(5)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                markets = ResultsJson.MAPPER.readTree(response.body()).path("markets");
            } catch (Exception e) {
                return; // a busy evaluator: the next sample
            }
            markets.fields().forEachRemaining(e -> {
                com.fasterxml.jackson.databind.JsonNode counters = e.getValue().path("counters");
                if (!counters.has("eval-lag-seconds")) {
                    return;
                }
                lagSeconds.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(counters.get("eval-lag-seconds").asDouble());
                ServedModel m = sys.models().model(e.getKey());
                if (m != null && counters.has("evaluated-version")) {
                    behind.computeIfAbsent(e.getKey(), k -> new ArrayList<>())
                            .add((double) Math.max(0, m.version() - counters.get("evaluated-version").asLong()));
                }
            });
        }

        void write(ObjectNode out) {
            lagSeconds.forEach((market, lags) -> {
                List<Double> sorted = lags.stream().sorted().toList();
                List<Double> b = behind.getOrDefault(market, List.of()).stream().sorted().toList();
                out.putObject(market).put("samples", sorted.size())
                        .put("lag_p50_s", sorted.get(sorted.size() / 2))
                        .put("lag_max_s", sorted.get(sorted.size() - 1))
                        .put("behind_p50", b.isEmpty() ? 0 : b.get(b.size() / 2))
                        .put("behind_max", b.isEmpty() ? 0 : b.get(b.size() - 1));
            });
        }
    }

    /** CPU seconds per part of the JVM, sampled every second so threads that end are counted too. */
    private static final class CpuSampler implements AutoCloseable {
        private static final Map<String, Pattern> PARTS = new java.util.LinkedHashMap<>();

        static {
            PARTS.put("updater", Pattern.compile("xmrec-updater.*"));
            PARTS.put("evaluator", Pattern.compile(".*StreamThread.*|xmrec-http.*|xmrec-evaluator.*|xmrec-sse.*|xmrec-models.*"
                    + "|xmrec-seen.*|.*model-client.*"));
            PARTS.put("holdout job", Pattern.compile("(?i).*(flink|source|sink|holdout|keyed|pekko|checkpoint|mailbox).*"));
            PARTS.put("broker", Pattern.compile("(?i).*(kafka-|data-plane|broker|quorum|controller|raft|log-cleaner"
                    + "|ReplicaFetcher|group-coordinator|transaction|ExpirationReaper|metadata).*"));
            PARTS.put("replay", Pattern.compile("replay.*|kafka-producer-network-thread \\| producer-.*"));
        }

        private final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        private final Map<Long, long[]> last = new ConcurrentHashMap<>(); // id -> cpu nanos
        private final Map<Long, String> names = new ConcurrentHashMap<>();
        private final Thread thread;
        private volatile boolean running = true;

        CpuSampler() {
            thread = new Thread(() -> {
                while (running) {
                    sample();
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-cpu-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        private void sample() {
            for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
                if (t == null) {
                    continue;
                }
                long cpu = mx.getThreadCpuTime(t.getThreadId());
                if (cpu >= 0) {
                    last.put(t.getThreadId(), new long[] {cpu});
                    names.put(t.getThreadId(), t.getThreadName());
                }
            }
        }

        Map<String, Double> seconds() {
            sample();
            Map<String, Double> out = new java.util.LinkedHashMap<>();
            PARTS.keySet().forEach(k -> out.put(k, 0.0));
            out.put("other", 0.0);
            last.forEach((id, cpu) -> {
                String name = names.get(id);
                String part = PARTS.entrySet().stream().filter(e -> e.getValue().matcher(name).matches())
                        .map(Map.Entry::getKey).findFirst().orElse("other");
                out.merge(part, cpu[0] / 1e9, Double::sum);
            });
            return out;
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
        }
    }

    /** The demo's updater settings for these markets, with whichever of this run's options were given. */
    private UpdaterSettings settings(Map<String, MarketData> loaded) {
        UpdaterSettings s = DemoCommand.settings(loaded).withPaths(paths.stream().filter(x -> !x.isBlank()).toList());
        if (bootstrapEpochs != null) {
            s = s.withBootstrap(s.bootstrapInteractions(), bootstrapEpochs);
        }
        if (fastDelayMs != null) {
            s = s.withFastDelay(java.time.Duration.ofMillis(fastDelayMs));
        }
        if (refreshFromScratch) {
            s = s.withContinueOwn(false);
        }
        return sideModels.apply(budget.apply(s));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        double daysPerSecond = IngestCommand.parseSpeed(speed);
        Map<String, MarketData> loaded = MarketFiles.load(data.dir, markets.list(), false, err);
        UpdaterSettings settings = settings(loaded);
        List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
        ObjectNode out = ResultsJson.MAPPER.createObjectNode();
        long started = System.currentTimeMillis();
        Duration every = checkpoint.interval(EmbeddedSystem.CHECKPOINTS);
        try (CpuSampler cpu = new CpuSampler();
             EmbeddedSystem sys = EmbeddedSystem.start(new ArrayList<>(loaded.keySet()), settings,
                     every, "127.0.0.1", 0, line -> {
                 log.add(line);
                 err.printf("%7.1f %s%n", (System.currentTimeMillis() - started) / 1000.0, line); // seconds since start
                 err.flush();
             })) {
            long t0 = System.currentTimeMillis();
            CompletableFuture<ReplayPublisher.Summary> replay = CompletableFuture.supplyAsync(() -> IngestCommand.ingest(
                    sys.bootstrapServers(), Map.of(), sys.registryUrl(), loaded, daysPerSecond,
                    new PrintWriter(new StringWriter())));
            AvroSerde serde = new AvroSerde(new RegistryClient(sys.registryUrl()));
            Map<String, Long> published = new HashMap<>();        // event id -> review publish time
            List<long[]> train = new ArrayList<>();                // offset -> (publish time, promotion time)
            Map<String, java.util.Set<String>> trainedUsers = new TreeMap<>(); // market -> users with a training interaction
            ArrayNode coverage = out.putArray("user_coverage");       // every 5 s: seconds, share per market
            EvaluatorLag evaluatorLag = new EvaluatorLag();
            long lastCoverage = 0;
            List<String> trainMarket = new ArrayList<>();
            Map<String, Lat> lat = new TreeMap<>();
            Map<String, Long> firstReview = new TreeMap<>();  // market -> publish time of its first review
            Map<String, long[]> firstModel = new TreeMap<>(); // market -> (read time, trunk version) of its first model
            Map<String, Object> p = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, sys.bootstrapServers(),
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                    ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 80 << 20, ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 80 << 20);
            ReplayPublisher.Summary summary = null;
            long replayDoneAt = -1;
            long trunkAtReplayEnd = -1;
            long lastVersionAt = System.currentTimeMillis();
            long deadline = Long.MAX_VALUE;
            boolean settled = false;
            try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
                 PrequentialTap tap = prequentialOut == null ? null
                         : new PrequentialTap(seed, settings.evalNegatives(), sys.models(), prequentialOut)) {
                List<TopicPartition> tps = new ArrayList<>();
                List<String> topics = new ArrayList<>();
                for (String m : loaded.keySet()) {
                    topics.add(Topics.reviews(m));
                }
                topics.add(Topics.TRAIN);
                topics.add(Topics.HOLDOUTS);
                topics.add(Topics.MODELS);
                topics.add(Topics.MODEL_DELTAS);
                for (String t : topics) {
                    for (PartitionInfo pi : c.partitionsFor(t, Duration.ofSeconds(30))) {
                        tps.add(new TopicPartition(t, pi.partition()));
                    }
                }
                c.assign(tps);
                c.seekToBeginning(tps);
                while (!settled && System.currentTimeMillis() < deadline) {
                    long now = System.currentTimeMillis();
                    if (summary == null && replay.isDone()) {
                        summary = replay.join();
                        replayDoneAt = now;
                        trunkAtReplayEnd = sys.updaterStats().trunk().trunks();
                        deadline = now + settleMax * 1000L;
                        err.printf("bench: replay done after %.1f s; waiting for a trunk on all the data%n",
                                (now - t0) / 1000.0);
                    }
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                        if (r.topic().startsWith(Topics.REVIEWS_PREFIX)) {
                            ReviewEvent e = serde.deserialize(r.value(), ReviewEvent.class);
                            published.put(e.getEventId(), r.timestamp());
                            firstReview.putIfAbsent(e.getMarket(), r.timestamp());
                        } else if (r.topic().equals(Topics.HOLDOUTS)) {
                            if (tap != null) {
                                tap.holdout(serde.deserialize(r.value(), HoldoutState.class), now);
                            }
                        } else if (r.topic().equals(Topics.TRAIN)) {
                            TrainingInteraction t = serde.deserialize(r.value(), TrainingInteraction.class);
                            if (tap != null) {
                                tap.train(t);
                            }
                            Long at = published.get(t.getEventId());
                            while (train.size() < r.offset()) {
                                train.add(null);
                                trainMarket.add(null);
                            }
                            train.add(new long[] {at == null ? -1 : at, r.timestamp()});
                            trainMarket.add(t.getMarket());
                            trainedUsers.computeIfAbsent(t.getMarket(), k -> new java.util.HashSet<>()).add(t.getUser());
                        } else if (r.topic().equals(Topics.MODELS)) {
                            ModelRecord m = serde.deserialize(r.value(), ModelRecord.class);
                            if (m.getReference()) {
                                continue;
                            }
                            if (m.getPart() != 0) { // a part of a large version: its bytes count, its head below
                                lat.computeIfAbsent(m.getMarket(), k -> new Lat()).snapshotBytes += r.serializedValueSize();
                                continue;
                            }
                            firstModel.putIfAbsent(m.getMarket(), new long[] {now, m.getTrunkVersion()});
                            Lat l = lat.computeIfAbsent(m.getMarket(), k -> new Lat());
                            l.snapshots++;
                            l.snapshotBytes += r.serializedValueSize();
                            cover(l, m.getMarket(), m.getTrainedThrough().get(Topics.TRAIN + "-0"), r.timestamp(), train,
                                    trainMarket);
                            lastVersionAt = now;
                        } else {
                            ModelDelta d = serde.deserialize(r.value(), ModelDelta.class);
                            Lat l = lat.computeIfAbsent(d.getMarket(), k -> new Lat());
                            l.deltas++;
                            l.deltaBytes += r.serializedValueSize();
                            cover(l, d.getMarket(), d.getTrainedThrough().get(Topics.TRAIN + "-0"), r.timestamp(), train,
                                    trainMarket);
                            lastVersionAt = now;
                        }
                    }
                    if (now - lastCoverage >= 5000) {
                        lastCoverage = now;
                        evaluatorLag.sample(sys);
                        ObjectNode point = coverage.addObject().put("s", (now - t0) / 1000.0);
                        trainedUsers.forEach((market, users) -> {
                            ServedModel model = sys.models().model(market);
                            long known = model == null ? 0 : users.stream().filter(u -> model.users().indexOf(u) >= 0).count();
                            point.put(market, users.isEmpty() ? 1.0 : known / (double) users.size());
                        });
                    }
                    if (summary != null) {
                        UpdaterStats s = sys.updaterStats();
                        // the slow path has run on the whole data: the newest trunk's snapshot holds every
                        // interaction read, and it ended after the replay (a bootstrap trunk started mid-replay does not count)
                        // (without the slow path no trunk follows the first: settled once caught up and quiet)
                        boolean trunkAfter = !settings.runs("slow") || s.trunk().trunks() > trunkAtReplayEnd
                                && s.trunk().interactions() >= s.input().interactions()
                                && servedFromTrunk(sys, loaded.keySet(), s, trunkAtReplayEnd);
                        settled = trunkAfter && s.input().caughtUp() && now - lastVersionAt > quietSeconds * 1000L;
                    }
                }
            }
            long end = System.currentTimeMillis();
            UpdaterStats stats = sys.updaterStats();
            out.put("speed", speed);
            out.put("checkpoint_seconds", every.toMillis() / 1000.0);
            out.put("events", summary == null ? 0 : summary.events());
            out.put("replay_seconds", summary == null ? -1 : summary.seconds());
            out.put("settled", settled);
            out.put("settle_seconds", replayDoneAt < 0 ? -1 : (end - replayDoneAt) / 1000.0);
            out.put("wall_seconds", (end - t0) / 1000.0);
            out.put("train_interactions", train.stream().filter(java.util.Objects::nonNull).count());
            out.put("trunks", stats.trunk().trunks());
            out.put("trunk_seconds", stats.trunk().seconds());
            ArrayNode trunkLines = out.putArray("trunk_log");
            synchronized (log) {
                log.stream().filter(l -> l.startsWith("updater: trunk v") && (l.contains(" trained in ")
                        || l.contains(" on ["))).forEach(trunkLines::add);
            }
            out.put("updater", stats.toString());
            // a market's wait for a model of its own: from its first review published to its first model read here
            ObjectNode first = out.putObject("first_model");
            firstModel.forEach((market, at) -> {
                Long review = firstReview.get(market);
                first.putObject(market).put("first_review_s", review == null ? -1 : (review - t0) / 1000.0)
                        .put("first_model_s", (at[0] - t0) / 1000.0)
                        .put("seconds", review == null ? -1 : (at[0] - review) / 1000.0).put("trunk_version", at[1]);
            });
            // every interaction covered: per market, when its last training interaction was in a served model
            long coveredAll = 0;
            ObjectNode per = out.putObject("markets");
            for (String market : loaded.keySet()) {
                Lat l = lat.getOrDefault(market, new Lat());
                long lastOffset = -1;
                for (int o = trainMarket.size() - 1; o >= 0; o--) {
                    if (market.equals(trainMarket.get(o))) {
                        lastOffset = o;
                        break;
                    }
                }
                boolean all = lastOffset < 0 || l.covered > lastOffset;
                coveredAll = all && coveredAll >= 0 ? Math.max(coveredAll, l.coveredAt) : -1;
                ObjectNode m = per.putObject(market);
                long interactions = trainMarket.stream().filter(market::equals).count();
                m.put("train_interactions", interactions);
                m.put("measured", l.fromPromotion.size());
                m.put("p50_from_publish_ms", pct(l.fromPublish, 50));
                m.put("p99_from_publish_ms", pct(l.fromPublish, 99));
                m.put("p50_from_promotion_ms", pct(l.fromPromotion, 50));
                m.put("p99_from_promotion_ms", pct(l.fromPromotion, 99));
                m.put("steady_measured", l.steadyPromotion.size());
                m.put("p50_steady_promotion_ms", pct(l.steadyPromotion, 50));
                m.put("p99_steady_promotion_ms", pct(l.steadyPromotion, 99));
                m.put("p50_steady_publish_ms", pct(l.steadyPublish, 50));
                m.put("p99_steady_publish_ms", pct(l.steadyPublish, 99));
                ObjectNode slow = m.putObject("slow_by_window"); // seconds since the start -> interactions over 2.4 s
                l.slowByWindow.forEach((w, n) -> slow.put(Long.toString(w - started / 1000), n));
                m.put("snapshots", l.snapshots).put("snapshot_bytes", l.snapshotBytes);
                m.put("deltas", l.deltas).put("delta_bytes", l.deltaBytes);
                m.put("bytes_per_interaction", interactions == 0 ? 0 : (l.snapshotBytes + l.deltaBytes) / (double) interactions);
                double avgSnapshot = l.snapshots == 0 ? 0 : l.snapshotBytes / (double) l.snapshots;
                m.put("whole_record_bytes_per_interaction", interactions == 0 ? 0
                        : avgSnapshot * (l.snapshots + l.deltas) / interactions);
                m.put("all_covered", all);
                m.put("all_covered_after_s", all && l.coveredAt > 0 ? (l.coveredAt - t0) / 1000.0 : -1);
            }
            out.put("all_covered_after_s", coveredAll > 0 ? (coveredAll - t0) / 1000.0 : -1);
            // the served models on the offline split, per user, as xmrec offline --out writes them
            Files.createDirectories(ranksDir);
            ObjectNode quality = out.putObject("served");
            LeaveOneOutSplitter splitter = new LeaveOneOutSplitter(settings.minInteractions());
            HoldoutEvaluation eval = new HoldoutEvaluation(seed, settings.evalNegatives());
            for (Map.Entry<String, MarketData> e : loaded.entrySet()) {
                ServedModel model = sys.models().model(e.getKey());
                if (model == null) {
                    continue;
                }
                MarketSplit split = splitter.split(e.getValue());
                TreeSet<String> pool = new TreeSet<>();
                List<HoldoutEvaluation.UserHoldout> users = new ArrayList<>();
                for (UserSplit u : split.users()) {
                    List<String> rated = new ArrayList<>();
                    u.train().forEach(i -> rated.add(i.item()));
                    rated.add(u.validation().item());
                    rated.add(u.test().item());
                    pool.addAll(rated);
                    users.add(new HoldoutEvaluation.UserHoldout(u.user(), u.validation().item(), u.test().item(), rated));
                }
                HoldoutEvaluation.Result r = eval.evaluate(model, pool.toArray(String[]::new), users);
                writeRanks(e.getKey(), model, users, r);
                quality.putObject(e.getKey()).put("model_version", model.version()).put("trunk_version", model.trunkVersion())
                        .put("users", r.users()).put("unknown_users", r.unknownUsers())
                        .put("valid_ndcg10", r.valid().ndcg()).put("test_ndcg10", r.test().ndcg())
                        .put("test_hr10", r.test().hitRate())
                        .put("recipe", model.meta().recipe());
            }
            evaluatorLag.write(out.putObject("evaluator_lag"));
            ObjectNode cpuOut = out.putObject("cpu_seconds");
            cpu.seconds().forEach(cpuOut::put);
            long peakHeap = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                    peakHeap += pool.getPeakUsage().getUsed();
                }
            }
            out.put("peak_heap_mb", peakHeap / 1048576.0);
            out.put("peak_rss_mb", peakRssMb());
        }
        spec.commandLine().getOut().println(out.toPrettyString());
        return 0;
    }

    /** Whether every market's served model comes from a trunk trained after the replay ended. */
    private static boolean servedFromTrunk(EmbeddedSystem sys, java.util.Set<String> markets, UpdaterStats s,
                                           long trunksAtReplayEnd) {
        long newest = s.trunk().trunks(); // this updater trains every trunk: trunk versions are 1..trunks
        for (String m : markets) {
            ServedModel model = sys.models().model(m);
            if (model == null || model.trunkVersion() <= trunksAtReplayEnd || model.trunkVersion() < newest) {
                return false;
            }
        }
        return true;
    }

    /** The tail target of issue 26: a promotion in a served model within 2.4 s at the 99th percentile. */
    private static final long SLOW_MS = 2_400;

    private static void cover(Lat l, String market, Long upTo, long at, List<long[]> train, List<String> trainMarket) {
        if (upTo == null) {
            return;
        }
        l.firstModelAt = Math.min(l.firstModelAt, at);
        long until = Math.min(upTo, train.size());
        for (long o = l.covered; o < until; o++) {
            long[] x = train.get((int) o);
            if (x != null && market.equals(trainMarket.get((int) o))) {
                l.fromPromotion.add(at - x[1]);
                if (x[0] >= 0) {
                    l.fromPublish.add(at - x[0]);
                }
                if (x[1] >= l.firstModelAt) {
                    l.steadyPromotion.add(at - x[1]);
                    if (at - x[1] > SLOW_MS) {
                        l.slowByWindow.merge(x[1] / 10_000 * 10, 1, Integer::sum);
                    }
                    if (x[0] >= 0) {
                        l.steadyPublish.add(at - x[0]);
                    }
                }
                l.coveredAt = at;
            }
        }
        l.covered = Math.max(l.covered, until);
    }

    private void writeRanks(String market, ServedModel model, List<HoldoutEvaluation.UserHoldout> users,
                            HoldoutEvaluation.Result r) {
        ObjectNode root = ResultsJson.MAPPER.createObjectNode();
        root.putObject("provenance").put("target", market).put("command", "xmrec continual --speed " + speed)
                .put("seed", seed).put("model_version", model.version()).put("trunk_version", model.trunkVersion())
                .put("git_commit", Provenance.gitCommit());
        ArrayNode results = root.putArray("results");
        ArrayNode perUser = root.putArray("per_user");
        for (String split : List.of("valid", "test")) {
            int[] ranks = split.equals("valid") ? r.validRanks() : r.testRanks();
            RankSummary s = RankSummary.of(ranks, 10);
            results.addObject().put("market", market).put("method", "live").put("split", split).put("users", s.users())
                    .put("hr@10", ResultsJson.round(s.hitRate())).put("ndcg@10", ResultsJson.round(s.ndcg()));
            ObjectNode n = perUser.addObject().put("market", market).put("method", "live").put("split", split);
            ArrayNode u = n.putArray("users");
            users.forEach(h -> u.add(h.user()));
            ArrayNode rk = n.putArray("ranks");
            for (int x : ranks) {
                rk.add(x);
            }
        }
        ResultsJson.write(root, ranksDir.resolve(market + ".json"));
    }

    private static double peakRssMb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (Exception e) {
            // not Linux: unknown
        }
        return -1;
    }

    private static long pct(List<Long> v, int p) {
        if (v.isEmpty()) {
            return -1;
        }
        List<Long> s = new ArrayList<>(v);
        s.sort(null);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }
}
