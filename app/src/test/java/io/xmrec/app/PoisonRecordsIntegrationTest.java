package io.xmrec.app;

import io.xmrec.app.embedded.EmbeddedSystem;
import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.testing.TestData;
import io.xmrec.schemas.DeadLetter;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Corrupt and oversized records on every topic the running system reads (the review topics, the
 * training and holdout topics, forks, models, model deltas, metrics, update reports, dead letters):
 * no part stops. The holdout job dead-letters what it reads and keeps running, the updater skips
 * and counts and publishes its next versions, the evaluator's streams stay up and ready, and the
 * model client serves models published after the bad records.
 */
class PoisonRecordsIntegrationTest {

    /** An 11-byte wire-format record claiming a 2 GiB string right after the header. */
    private static byte[] claimsGigabytes(int schemaId) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0);
        b.writeBytes(ByteBuffer.allocate(4).putInt(schemaId).array());
        long z = ((long) Integer.MAX_VALUE) << 1; // zig-zag varint of 2^31 - 1
        while ((z & ~0x7FL) != 0) {
            b.write((int) ((z & 0x7F) | 0x80));
            z >>>= 7;
        }
        b.write((int) z);
        return b.toByteArray();
    }

    private static void await(String what, BooleanSupplier c, int seconds, List<String> log) throws InterruptedException {
        io.xmrec.core.testing.Await.require(what, java.time.Duration.ofSeconds(seconds), c, () -> "log: " + log);
    }

    @Test
    void noPartStopsOnABadRecordAndTheNextGoodOnesAreProcessed() throws Exception {
        Map<String, MarketData> early = new LinkedHashMap<>();
        Map<String, MarketData> late = new LinkedHashMap<>();
        for (String m : List.of("in", "jp")) {
            MarketData d = TestData.market(m);
            List<Interaction> all = new ArrayList<>(d.interactions());
            all.sort(java.util.Comparator.comparingLong(Interaction::epochDay));
            int cut = (int) (all.size() * 0.7);
            early.put(m, new MarketData(m, d.source(), d.sha256(), List.copyOf(all.subList(0, cut)), 0));
            late.put(m, new MarketData(m, d.source(), d.sha256(), List.copyOf(all.subList(cut, all.size())), 0));
        }
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (EmbeddedSystem sys = EmbeddedSystem.start(List.of("in", "jp"), EmbeddedSystemIntegrationTest.quick(),
                "127.0.0.1", 0, log::add)) {
            IngestCommand.ingest(sys.bootstrapServers(), Map.of(), sys.registryUrl(), early, 0,
                    new PrintWriter(new StringWriter()));
            await("models of both markets", () -> sys.models().model("in") != null && sys.models().model("jp") != null,
                    180, log);
            Map<String, Long> before = new LinkedHashMap<>(sys.models().versions());

            // garbage on every topic the system reads: too short, and a valid header claiming 2 GiB
            RegistryClient registry = new RegistryClient(sys.registryUrl());
            List<String> topics = List.of(Topics.reviews("in"), Topics.TRAIN, Topics.HOLDOUTS, Topics.FORKS, Topics.MODELS,
                    Topics.MODEL_DELTAS, Topics.METRICS, Topics.UPDATES, Topics.DEADLETTER);
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    sys.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
                for (String t : topics) {
                    int id;
                    try {
                        id = registry.latest(t + "-value").id();
                    } catch (RuntimeException e) {
                        id = 1; // no schema yet under this subject: any registered id makes the point
                    }
                    p.send(new ProducerRecord<>(t, "in".getBytes(), new byte[] {1, 2, 3})).get();
                    p.send(new ProducerRecord<>(t, "in".getBytes(), claimsGigabytes(id))).get();
                }
            }

            // then the rest of the reviews: every part must go on with them
            IngestCommand.ingest(sys.bootstrapServers(), Map.of(), sys.registryUrl(), late, 0,
                    new PrintWriter(new StringWriter()));
            await("new versions of both markets after the bad records",
                    () -> sys.models().versions().getOrDefault("in", 0L) > before.get("in")
                            && sys.models().versions().getOrDefault("jp", 0L) > before.get("jp")
                            && sys.updaterStats().input().interactions() > 0, 180, log);
            long lateTrained = sys.models().model("in").meta().trainedThrough().getOrDefault(Topics.TRAIN + "-0", 0L);
            assertTrue(lateTrained > 0, "the served model trained on the training topic");
            // the updater reads its three input topics in whatever order their partitions come: the bad records may be
            // counted after a good record behind them produced a version
            await("the updater skipped and counted the bad train, holdout and fork records",
                    () -> sys.updaterStats().input().badRecords() >= 6, 60, log);
            assertEquals(org.apache.flink.api.common.JobStatus.RUNNING, sys.holdoutJobStatus());
            await("the evaluator ready", () -> sys.evaluatorState().equals("RUNNING ready"), 60, log);

            AvroSerde serde = new AvroSerde(registry);
            List<DeadLetter> dead = new ArrayList<>();
            await("the review topic's bad records dead-lettered", () -> {
                dead.clear();
                TopicReader.readToEnd(sys.bootstrapServers(), Map.of(), Topics.DEADLETTER, r -> {
                    try {
                        dead.add(serde.deserialize(r.value(), DeadLetter.class));
                    } catch (RuntimeException garbage) {
                        // the bad records this test put on the dead-letter topic itself
                    }
                });
                return dead.stream().filter(d -> d.getTopic().equals(Topics.reviews("in"))).count() == 2;
            }, 60, log);
            assertTrue(dead.stream().filter(d -> d.getTopic().equals(Topics.reviews("in")))
                    .anyMatch(d -> d.getReason().contains("cannot decode")), dead.toString());
            assertTrue(log.stream().anyMatch(l -> l.contains("updater: skipping the record at " + Topics.TRAIN)), log.toString());
        }
    }
}
