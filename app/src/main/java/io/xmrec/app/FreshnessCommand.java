package io.xmrec.app;

import io.xmrec.app.embedded.EmbeddedSystem;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.Markets;
import io.xmrec.ingest.ReplayPublisher;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.ReviewEvent;
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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

@Command(name = "freshness", hidden = true, mixinStandardHelpOptions = true,
        description = "Benchmark (bench/freshness.sh): replays markets into the embedded system at a fixed speed and "
                + "measures, per market, how long after an interaction was published the first model that trained on it "
                + "was published; prints a JSON summary.")
final class FreshnessCommand implements java.util.concurrent.Callable<Integer> {

    @Option(names = "--data", paramLabel = "DIR")
    Path data;

    @Option(names = "--markets", paramLabel = "M[,M...]")
    String markets = String.join(",", Markets.KNOWN);

    @Option(names = "--speed", description = "Days of event time per second (default: 30).")
    double speed = 30;

    @Option(names = "--settle", description = "Seconds to keep measuring after the replay ends (default: 60).")
    int settle = 60;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Per market: latencies from review publish and from promotion to training, to the first model including it. */
    private static final class Lat {
        final List<Long> fromPublish = new ArrayList<>();
        final List<Long> fromPromotion = new ArrayList<>();
        /** From promotion, for interactions promoted after the market's first model was out (steady state). */
        final List<Long> steady = new ArrayList<>();
        long firstModelAt = Long.MAX_VALUE;
        long covered; // train offsets below this are measured
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Map<String, MarketData> loaded = MarketFiles.load(data, Markets.parseList(markets), false, err);
        List<String> log = new ArrayList<>();
        try (EmbeddedSystem sys = EmbeddedSystem.start(new ArrayList<>(loaded.keySet()), DemoCommand.settings(loaded),
                "127.0.0.1", 0, line -> {
                    log.add(line);
                    err.println(line);
                    err.flush();
                })) {
            long t0 = System.currentTimeMillis();
            CompletableFuture<ReplayPublisher.Summary> replay = CompletableFuture.supplyAsync(() -> IngestCommand.ingest(
                    sys.bootstrapServers(), Map.of(), sys.registryUrl(), loaded, speed, new PrintWriter(new StringWriter())));
            AvroSerde serde = new AvroSerde(new RegistryClient(sys.registryUrl()));
            Map<String, Long> published = new HashMap<>();        // event id -> review publish time
            List<long[]> train = new ArrayList<>();                // offset -> (publish time, promotion time)
            List<String> trainMarket = new ArrayList<>();
            Map<String, Lat> lat = new TreeMap<>();
            Map<String, Object> p = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, sys.bootstrapServers(),
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                    ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 80 << 20, ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 80 << 20);
            long end = Long.MAX_VALUE;
            ReplayPublisher.Summary summary = null;
            try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
                List<TopicPartition> tps = new ArrayList<>();
                List<String> topics = new ArrayList<>();
                for (String m : loaded.keySet()) {
                    topics.add(Topics.reviews(m));
                }
                topics.add(Topics.TRAIN);
                topics.add(Topics.MODELS);
                for (String t : topics) {
                    for (PartitionInfo pi : c.partitionsFor(t, Duration.ofSeconds(30))) {
                        tps.add(new TopicPartition(t, pi.partition()));
                    }
                }
                c.assign(tps);
                c.seekToBeginning(tps);
                while (System.currentTimeMillis() < end) {
                    if (summary == null && replay.isDone()) {
                        summary = replay.join();
                        end = System.currentTimeMillis() + settle * 1000L;
                    }
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                        if (r.topic().startsWith(Topics.REVIEWS_PREFIX)) {
                            ReviewEvent e = serde.deserialize(r.value(), ReviewEvent.class);
                            published.put(e.getEventId(), r.timestamp());
                        } else if (r.topic().equals(Topics.TRAIN)) {
                            TrainingInteraction t = serde.deserialize(r.value(), TrainingInteraction.class);
                            Long at = published.get(t.getEventId());
                            while (train.size() < r.offset()) {
                                train.add(null);
                                trainMarket.add(null);
                            }
                            train.add(new long[] {at == null ? -1 : at, r.timestamp()});
                            trainMarket.add(t.getMarket());
                        } else {
                            ModelRecord m = serde.deserialize(r.value(), ModelRecord.class);
                            Long upTo = m.getTrainedThrough().get(Topics.TRAIN + "-0");
                            Lat l = lat.computeIfAbsent(m.getMarket(), k -> new Lat());
                            if (upTo == null) {
                                continue;
                            }
                            l.firstModelAt = Math.min(l.firstModelAt, r.timestamp());
                            for (long o = l.covered; o < Math.min(upTo, train.size()); o++) {
                                long[] x = train.get((int) o);
                                if (x != null && m.getMarket().equals(trainMarket.get((int) o))) {
                                    if (x[0] >= 0) {
                                        l.fromPublish.add(r.timestamp() - x[0]);
                                    }
                                    l.fromPromotion.add(r.timestamp() - x[1]);
                                    if (x[1] >= l.firstModelAt) {
                                        l.steady.add(r.timestamp() - x[1]);
                                    }
                                }
                            }
                            l.covered = Math.max(l.covered, Math.min(upTo, train.size()));
                        }
                    }
                }
            }
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(sys.httpUrl() + "/api/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            var out = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
            out.put("speed_days_per_second", speed);
            out.put("events", summary.events());
            out.put("replay_seconds", summary.seconds());
            out.put("wall_seconds", (System.currentTimeMillis() - t0) / 1000.0);
            var per = out.putObject("markets");
            for (Map.Entry<String, Lat> e : lat.entrySet()) {
                var m = per.putObject(e.getKey());
                m.put("measured", e.getValue().fromPromotion.size());
                m.put("p50_from_publish_ms", pct(e.getValue().fromPublish, 50));
                m.put("p99_from_publish_ms", pct(e.getValue().fromPublish, 99));
                m.put("p50_from_promotion_ms", pct(e.getValue().fromPromotion, 50));
                m.put("p99_from_promotion_ms", pct(e.getValue().fromPromotion, 99));
                m.put("steady_measured", e.getValue().steady.size());
                m.put("p50_steady_ms", pct(e.getValue().steady, 50));
                m.put("p99_steady_ms", pct(e.getValue().steady, 99));
            }
            out.set("evaluator", new com.fasterxml.jackson.databind.ObjectMapper().readTree(metrics));
            out.put("updater", sys.updaterStats().toString());
            spec.commandLine().getOut().println(out.toPrettyString());
        }
        return 0;
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
