package io.xmrec.eval.live;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;
import io.xmrec.schemas.DeadLetter;
import io.xmrec.schemas.EvaluationRecord;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.UpdateEvent;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.InMemorySchemaRegistry;
import io.xmrec.serving.ModelSource;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ServedModel;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live evaluator's processors on Kafka's TopologyTestDriver, with an in-memory schema registry
 * and models from a map: no broker, no registry server.
 */
class LiveEvaluatorTopologyTest {

    private final AvroSerde serde = new AvroSerde(new InMemorySchemaRegistry());
    private final Map<String, ServedModel> models = new ConcurrentHashMap<>();
    private final Map<String, ServedModel> references = new ConcurrentHashMap<>();
    private TopologyTestDriver d;
    private TestInputTopic<String, byte[]> holdouts;
    private TestInputTopic<String, byte[]> train;
    private TestOutputTopic<String, byte[]> metrics;

    @BeforeEach
    void start() {
        ModelSource source = new ModelSource() {
            @Override
            public ServedModel model(String market) {
                return models.get(market);
            }

            @Override
            public ServedModel reference(String market) {
                return references.get(market);
            }

            @Override
            public Map<String, Long> versions() {
                Map<String, Long> v = new TreeMap<>();
                models.forEach((k, m) -> v.put(k, m.version()));
                return v;
            }
        };
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "xmrec-evaluator-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        LiveEvaluator.Settings s = new LiveEvaluator.Settings(99, 42, new LiveEvaluator.Prequential(1000, 10),
                new LiveEvaluator.FullRanking(20, Duration.ofMinutes(5)), Duration.ofSeconds(2), 7,
                LiveEvaluator.Settings.DEFAULT_MAX_USERS);
        d = new TopologyTestDriver(LiveEvaluator.topology(() -> serde, () -> source, s), p);
        holdouts = d.createInputTopic(Topics.HOLDOUTS, new StringSerializer(), new ByteArraySerializer());
        train = d.createInputTopic(Topics.TRAIN, new StringSerializer(), new ByteArraySerializer());
        metrics = d.createOutputTopic(Topics.METRICS, new StringDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void stop() {
        d.close();
    }

    private static String item(int i) {
        return String.format("B%05d", i);
    }

    private static String user(int u) {
        return String.format("u%03d", u);
    }

    /** A model of 50 users and 400 items: all weights zero (every pair scores 0.5), or random. */
    private static ServedModel model(long version, boolean constant, boolean reference) {
        List<String> u = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            u.add(user(i));
        }
        List<String> it = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            it.add(item(i));
        }
        NetShape shape = NetShape.nmf(8, 8, List.of(16, 8));
        Net net = constant ? Net.zeros(shape, 50, 400) : Net.init(shape, 50, 400, 0.5, version);
        ModelMeta meta = ModelMeta.builder("in", version, 1).reference(reference)
                .createdAtMillis(System.currentTimeMillis()).build();
        return new ServedModel(meta, net, IdVocabulary.ofRows(u), IdVocabulary.ofRows(it), new int[0], new int[0]);
    }

    private HoldoutState holdout(int u, int valid, int test, long version) {
        return HoldoutState.newBuilder().setMarket("in").setUser(user(u)).setValidItem(item(valid))
                .setValidTime(Instant.ofEpochSecond(version)).setTestItem(item(test))
                .setTestTime(Instant.ofEpochSecond(version + 1)).setTrainCount(5).setVersion(version).build();
    }

    private void pipeHoldout(int u, int valid, int test, long version) {
        holdouts.pipeInput("in|" + user(u), serde.serialize(Topics.HOLDOUTS, holdout(u, valid, test, version)));
    }

    private void pipeTrain(int u, int i) {
        train.pipeInput("in|" + user(u), serde.serialize(Topics.TRAIN, TrainingInteraction.newBuilder().setMarket("in")
                .setUser(user(u)).setItem(item(i)).setRating(5f).setEventTime(Instant.ofEpochSecond(i)).setArrival(i).build()));
    }

    private List<EvaluationRecord> read() {
        List<EvaluationRecord> out = new ArrayList<>();
        metrics.readValuesToList().forEach(v -> out.add(serde.deserialize(v, EvaluationRecord.class)));
        return out;
    }

    private double counter(String key) {
        byte[] b = d.<String, byte[]>getKeyValueStore(LiveEvaluator.COUNTERS_STORE).get(key);
        return b == null ? 0 : ByteBuffer.wrap(b).getDouble();
    }

    /** 50 users, each with 5 training items of the 300 the market sells, a validation and a test item. */
    private void market() {
        for (int u = 0; u < 50; u++) {
            for (int j = 0; j < 5; j++) {
                pipeTrain(u, (u * 6 + j) % 300);
            }
            pipeHoldout(u, 300 + u, 350 + u, 7);
        }
    }

    @Test
    void theNewestVersionIsMeasuredOnEveryEligibleUserOnTheOfflineProtocolAndOlderOnesAreSkipped() {
        market();
        models.put("in", model(1, true, false));
        d.advanceWallClockTime(Duration.ofSeconds(3));
        List<EvaluationRecord> out = read();
        List<String> kinds = out.stream().map(EvaluationRecord::getKind).toList();
        assertTrue(kinds.containsAll(List.of("holdout-valid", "holdout-test", "holdout-test-full")), kinds.toString());
        EvaluationRecord valid = out.stream().filter(e -> e.getKind().equals("holdout-valid")).findFirst().orElseThrow();
        assertEquals(50, valid.getUsers());
        assertEquals(0.0, valid.getNdcg10(), "a constant model ranks every held-out item last");
        assertEquals(20, out.stream().filter(e -> e.getKind().equals("holdout-test-full")).findFirst().orElseThrow()
                .getUsers(), "full ranking on the seeded sample of 20 users");

        // versions 2 and 3 come in between two looks: only 3 is measured, and nothing twice
        models.put("in", model(2, false, false));
        models.put("in", model(3, false, false));
        d.advanceWallClockTime(Duration.ofSeconds(3));
        List<EvaluationRecord> next = read();
        assertEquals(List.of(3L, 3L), next.stream().map(EvaluationRecord::getModelVersion).toList());
        assertTrue(next.get(0).getNdcg10() > 0 && next.get(0).getNdcg10() < 1, "" + next.get(0));
        d.advanceWallClockTime(Duration.ofSeconds(3));
        assertTrue(read().isEmpty(), "an unchanged version is not measured again");
        assertEquals(3, counter("in|evaluated-version"));

        // the reference is measured under its own kinds
        references.put("in", model(1, false, true));
        d.advanceWallClockTime(Duration.ofSeconds(3));
        assertEquals(List.of("reference-valid", "reference-test"), read().stream().map(EvaluationRecord::getKind).toList());
    }

    @Test
    void negativesAreTheMarketsItemsTheUserNeverRated() {
        market(); // the market sells items 0-399 (training items 0-299, held-out items 300-399)
        // u000 (who trained on items 0-4) rates every item the market sells but items 6-9 (item 5 nobody bought:
        // it is not sold in the market, so it is no negative either)
        for (int i = 10; i < 400; i++) {
            if (i != 300 && i != 350) {
                pipeTrain(0, i);
            }
        }
        models.put("in", model(1, true, false));
        d.advanceWallClockTime(Duration.ofSeconds(3));
        EvaluationRecord test = read().stream().filter(e -> e.getKind().equals("holdout-test")).findFirst().orElseThrow();
        // with a constant model u000's test item ranks 5th among itself and its only 4 negatives (a hit),
        // everybody else's 100th
        assertEquals(1.0 / 50, test.getHr10(), 1e-12, test.toString());
        assertEquals(1 / (Math.log(6) / Math.log(2)) / 50, test.getNdcg10(), 1e-12);
    }

    @Test
    void newInteractionsAreRankedBeforeTrainingPrequentially() {
        market();
        models.put("in", model(2, false, false));
        for (int u = 0; u < 10; u++) {
            pipeHoldout(u, 350 + u, 200 + u, 8);
        }
        List<EvaluationRecord> pre = read().stream().filter(e -> e.getKind().equals("prequential")).toList();
        assertEquals(1, pre.size());
        assertEquals(10, pre.get(0).getUsers());
        assertEquals(2, pre.get(0).getModelVersion());
        // an old holdout state arriving late changes nothing
        pipeHoldout(0, 300, 350, 7);
        assertTrue(read().isEmpty());
    }

    @Test
    void countersCountAndARecordThatCannotBeReadIsSkippedNotFatal() {
        market();
        d.createInputTopic(Topics.UPDATES, new StringSerializer(), new ByteArraySerializer()).pipeInput("in",
                serde.serialize(Topics.UPDATES, UpdateEvent.newBuilder().setMarket("in").setKind("refused").setVersion(3)
                        .setTrunkVersion(1).setInteractions(200).setSeconds(1.5).setTime(Instant.now()).build()));
        d.createInputTopic(Topics.DEADLETTER, new StringSerializer(), new ByteArraySerializer()).pipeInput(null,
                serde.serialize(Topics.DEADLETTER, DeadLetter.newBuilder().setTopic(Topics.reviews("in")).setPartition(0)
                        .setOffset(5).setErrorClass("bad-bytes").setReason("test").setStage("parse")
                        .setTime(Instant.now()).build()));
        // garbage where a holdout should be, and a wire header claiming an unknown schema
        holdouts.pipeInput("in|u999", new byte[] {0, 0, 0, 0, 99, 1, 2, 3});
        holdouts.pipeInput("in|u998", new byte[] {1, 2, 3});
        assertEquals(50, counter("in|events"));
        assertEquals(250, counter("in|train"));
        assertEquals(1, counter("in|updates-refused"));
        assertEquals(1.5, counter("in|seconds-refused"));
        assertEquals(1, counter("in|deadletters"));
        assertEquals(2, counter("in|bad-records"));
        pipeHoldout(0, 301, 400 - 1, 9); // the next good record is processed
        assertEquals(51, counter("in|events"));
    }
}
