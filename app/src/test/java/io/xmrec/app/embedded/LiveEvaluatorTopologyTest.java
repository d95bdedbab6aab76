package io.xmrec.app.embedded;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.eval.live.LiveEvaluator;
import io.xmrec.model.ModelCodec;
import io.xmrec.model.NcfArchitecture;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfNetworks;
import io.xmrec.model.NcfOptions;
import io.xmrec.schemas.EvaluationRecord;
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
        NcfModel m = new NcfModel(NcfArchitecture.NMF, NcfNetworks.build(NcfArchitecture.NMF, 50, 300, o),
                IdVocabulary.ofOrdered(u), IdVocabulary.ofOrdered(it), o, List.of("in"));
        if (constant) {
            m.graph().params().assign(0); // every item scores 0.5: ties rank the held-out item last
        }
        return m;
    }

    private static HoldoutState holdout(int user, int valid, int test, long version) {
        return HoldoutState.newBuilder().setMarket("in").setUser(String.format("u%03d", user))
                .setValidItem(String.format("B%05d", valid)).setValidTime(Instant.ofEpochSecond(version))
                .setTestItem(String.format("B%05d", test)).setTestTime(Instant.ofEpochSecond(version + 1))
                .setTrainCount(5).setVersion(version).build();
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
                    new LiveEvaluator.Settings(99, 42, 1000, 10)), p)) {
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
                assertEquals(List.of("holdout-valid", "holdout-test"), out.stream().map(EvaluationRecord::getKind).toList());
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
                assertEquals(2, two.size(), "version 2 evaluated once, the late version 1 not at all");
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
            }
        }
    }
}
