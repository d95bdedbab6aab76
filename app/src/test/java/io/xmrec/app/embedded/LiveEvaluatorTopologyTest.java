package io.xmrec.app.embedded;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.eval.live.LiveEvaluator;
import io.xmrec.model.ModelCodec;
import io.xmrec.model.NcfArchitecture;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfOptions;
import io.xmrec.schemas.DeadLetter;
import io.xmrec.schemas.EvaluationRecord;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.UpdateEvent;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.schemas.registry.RegistryServer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The live evaluator's topology in Kafka's TopologyTestDriver (the registry is the in-process one). */
class LiveEvaluatorTopologyTest {

    private static NcfModel model(boolean constant) {
        List<String> u = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            u.add(String.format("in/u%03d", i));
        }
        List<String> it = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            it.add(String.format("B%05d", i));
        }
        NcfOptions o = NcfOptions.defaults().withEmbeddingStd(0.5);
        NcfModel m = NcfModel.fresh(NcfArchitecture.NMF, IdVocabulary.ofOrdered(u), IdVocabulary.ofOrdered(it), o,
                List.of("in"));
        if (constant) {
            for (int t = 0; t < m.net().tensors(); t++) {
                java.util.Arrays.fill(m.net().values(t), 0f); // every item scores 0.5: ties rank the held-out item last
            }
        }
        return m;
    }

    private static HoldoutState holdout(int user, int valid, int test, long version) {
        return HoldoutState.newBuilder().setMarket("in").setUser(String.format("u%03d", user))
                .setValidItem(String.format("B%05d", valid)).setValidTime(Instant.ofEpochSecond(version))
                .setTestItem(String.format("B%05d", test)).setTestTime(Instant.ofEpochSecond(version + 1))
                .setTrainCount(5).setVersion(version).build();
    }

    private static io.xmrec.schemas.ModelRecord referenceRecord(NcfModel m) {
        io.xmrec.schemas.ModelRecord r = ModelCodec.toRecord("in", m, new ModelCodec.Meta(1, 1, Map.of(), null, null, null));
        r.setReference(true);
        return r;
    }

    @Test
    void evaluatesEachNewModelVersionOnItsMarketsHoldoutsAndNewInteractionsPrequentially() {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(null);
             RegistryServer registry = RegistryServer.start(kafka.bootstrapServers(), "127.0.0.1", 0, Map.of())) {
            AvroSerde serde = new AvroSerde(new RegistryClient(registry.url()));
            Properties p = new Properties();
            p.put(StreamsConfig.APPLICATION_ID_CONFIG, "xmrec-evaluator-test");
            p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
            try (TopologyTestDriver d = new TopologyTestDriver(LiveEvaluator.topology(() -> serde,
                    new LiveEvaluator.Settings(99, 42, 1000, 10, 20, java.time.Duration.ZERO)), p)) {
                TestInputTopic<String, byte[]> models = d.createInputTopic(Topics.MODELS, new StringSerializer(),
                        new ByteArraySerializer());
                TestInputTopic<String, byte[]> holdouts = d.createInputTopic(Topics.HOLDOUTS, new StringSerializer(),
                        new ByteArraySerializer());
                TestOutputTopic<String, byte[]> metrics = d.createOutputTopic(Topics.METRICS, new StringDeserializer(),
                        new ByteArrayDeserializer());
                for (int u = 0; u < 50; u++) {
                    holdouts.pipeInput("in|" + String.format("u%03d", u), serde.serialize(Topics.HOLDOUTS, holdout(u, u, u + 100, 7)));
                }
                NcfModel constant = model(true);
                models.pipeInput("in", serde.serialize(Topics.MODELS, ModelCodec.toRecord("in", constant,
                        new ModelCodec.Meta(1, 1, Map.of(), null, null, null))));
                List<EvaluationRecord> out = new ArrayList<>();
                metrics.readValuesToList().forEach(v -> out.add(serde.deserialize(v, EvaluationRecord.class)));
                assertEquals(List.of("holdout-valid", "holdout-test", "holdout-test-full"),
                        out.stream().map(EvaluationRecord::getKind).toList());
                assertEquals(20, out.get(2).getUsers(), "full ranking on the seeded sample of 20 users");
                assertEquals(50, out.get(0).getUsers());
                assertEquals(0.0, out.get(0).getNdcg10(), "a constant model ranks every held-out item last");

                NcfModel learned = model(false);
                byte[] v2 = serde.serialize(Topics.MODELS, ModelCodec.toRecord("in", learned,
                        new ModelCodec.Meta(2, 1, Map.of(), null, null, null)));
                models.pipeInput("in", v2);
                models.pipeInput("in", serde.serialize(Topics.MODELS, ModelCodec.toRecord("in", constant,
                        new ModelCodec.Meta(1, 1, Map.of(), null, null, null)))); // late old version: ignored
                List<EvaluationRecord> two = new ArrayList<>();
                metrics.readValuesToList().forEach(v -> two.add(serde.deserialize(v, EvaluationRecord.class)));
                assertEquals(3, two.size(), "version 2 evaluated once, the late version 1 not at all");
                assertEquals(2, two.get(1).getModelVersion());
                assertTrue(two.get(1).getNdcg10() > 0 && two.get(1).getNdcg10() < 1, "" + two.get(1));

                // ten users get a new interaction: ranked by model v2 before training, emitted every 10
                for (int u = 0; u < 10; u++) {
                    holdouts.pipeInput("in|" + String.format("u%03d", u),
                            serde.serialize(Topics.HOLDOUTS, holdout(u, u + 100, u + 200, 8)));
                }
                List<EvaluationRecord> pre = new ArrayList<>();
                metrics.readValuesToList().forEach(v -> pre.add(serde.deserialize(v, EvaluationRecord.class)));
                assertEquals(1, pre.size());
                assertEquals("prequential", pre.get(0).getKind());
                assertEquals(10, pre.get(0).getUsers());
                assertEquals(2, pre.get(0).getModelVersion());
                // an old holdout state arriving late changes nothing
                holdouts.pipeInput("in|u000", serde.serialize(Topics.HOLDOUTS, holdout(0, 0, 100, 7)));
                assertTrue(metrics.isEmpty());

                // negatives are items the user never rated: u000 (valid B00100, test B00200) has trained on every
                // item but those and five more, so a constant model ranks its held-out items 6th (a hit), everybody
                // else's 100th
                TestInputTopic<String, byte[]> train = d.createInputTopic(Topics.TRAIN, new StringSerializer(),
                        new ByteArraySerializer());
                int trained = 0;
                for (int i = 0; i < 295; i++) {
                    if (i != 100 && i != 200) {
                        train.pipeInput("in|u000", serde.serialize(Topics.TRAIN, TrainingInteraction.newBuilder()
                                .setMarket("in").setUser("u000").setItem(String.format("B%05d", i)).setRating(5f)
                                .setEventTime(Instant.ofEpochSecond(i)).setArrival(i).build()));
                        trained++;
                    }
                }
                models.pipeInput("in", serde.serialize(Topics.MODELS, ModelCodec.toRecord("in", constant,
                        new ModelCodec.Meta(3, 1, Map.of(), null, null, null))));
                List<EvaluationRecord> three = new ArrayList<>();
                metrics.readValuesToList().forEach(v -> three.add(serde.deserialize(v, EvaluationRecord.class)));
                assertEquals("holdout-test", three.get(1).getKind());
                assertEquals(1.0 / 50, three.get(1).getHr10(), 1e-12, "only u000 hits: " + three.get(1));
                assertEquals(1 / (Math.log(7) / Math.log(2)) / 50, three.get(1).getNdcg10(), 1e-12);

                // a reference model is measured under its own kinds and is not the market's model
                models.pipeInput(Topics.referenceKey("in"), serde.serialize(Topics.MODELS, referenceRecord(learned)));
                List<EvaluationRecord> ref = new ArrayList<>();
                metrics.readValuesToList().forEach(v -> ref.add(serde.deserialize(v, EvaluationRecord.class)));
                assertEquals(List.of("reference-valid", "reference-test"), ref.stream().map(EvaluationRecord::getKind).toList());
                assertEquals(3L, java.nio.ByteBuffer.wrap(d.<String, byte[]>getKeyValueStore(LiveEvaluator.VERSIONS_STORE)
                        .get("in")).getLong());

                // counters: events (holdout updates), training interactions, updater reports, dead letters
                d.createInputTopic(Topics.UPDATES, new StringSerializer(), new ByteArraySerializer()).pipeInput("in",
                        serde.serialize(Topics.UPDATES, UpdateEvent.newBuilder().setMarket("in").setKind("refused")
                                .setVersion(3).setTrunkVersion(1).setInteractions(200).setSeconds(1.5)
                                .setTime(Instant.now()).build()));
                d.createInputTopic(Topics.DEADLETTER, new StringSerializer(), new ByteArraySerializer()).pipeInput(null,
                        serde.serialize(Topics.DEADLETTER, DeadLetter.newBuilder().setTopic(Topics.reviews("in"))
                                .setPartition(0).setOffset(5).setErrorClass("bad-bytes").setReason("test")
                                .setStage("parse").setTime(Instant.now()).build()));
                var counters = d.<String, byte[]>getKeyValueStore(LiveEvaluator.COUNTERS_STORE);
                java.util.function.Function<String, Double> c = k -> java.nio.ByteBuffer.wrap(counters.get(k)).getDouble();
                assertEquals(50 + 10, c.apply("in|events"), "holdout updates; the stale late one is not an event");
                assertEquals(trained, c.apply("in|train"));
                assertEquals(1, c.apply("in|updates-refused"));
                assertEquals(1.5, c.apply("in|seconds-refused"));
                assertEquals(1, c.apply("in|deadletters"));
            }
        }
    }
}
